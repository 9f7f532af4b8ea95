import { WebSocket } from 'ws';
import {
  OrgHubClient,
  type MessageEvent,
  type WebSocketCtor,
  type WorkspaceEvents,
  type WorkspaceSocket,
} from '../src/index.js';
import { PASSWORD } from '../../test/helpers/app.js';

export const WS = WebSocket as unknown as WebSocketCtor;

/** Fast reconnects for tests; everything else as in production. */
export const FAST = { WebSocket: WS, backoffBaseMs: 50, backoffCapMs: 500 } as const;

export async function signIn(url: string, orgId: string, username: string) {
  const c = new OrgHubClient({ baseUrl: url });
  await c.login({ org_id: orgId, username, password: PASSWORD });
  return c;
}

/** The next emission of `ev` (optionally the first that satisfies `match`). */
export function next<K extends keyof WorkspaceEvents>(
  s: WorkspaceSocket,
  ev: K,
  match: (p: WorkspaceEvents[K]) => boolean = () => true,
): Promise<WorkspaceEvents[K]> {
  return new Promise((resolve) => {
    const off = s.on(ev, (p) => {
      if (!match(p)) return;
      off();
      resolve(p);
    });
  });
}

/** Every emission of `ev`, in order. */
export function record<K extends keyof WorkspaceEvents>(
  s: WorkspaceSocket,
  ev: K,
): WorkspaceEvents[K][] {
  const got: WorkspaceEvents[K][] = [];
  s.on(ev, (p) => got.push(p));
  return got;
}

/** Messages delivered per group, in delivery order. */
export function messagesByGroup(s: WorkspaceSocket): Map<string, MessageEvent[]> {
  const by = new Map<string, MessageEvent[]>();
  s.on('message', (m) => {
    const list = by.get(m.group_id) ?? [];
    list.push(m);
    by.set(m.group_id, list);
  });
  return by;
}

/** Fails unless `got` is exactly `want` (by id), each once, in seq order with no gap. */
export function assertExactlyOnceInOrder(got: MessageEvent[], want: MessageEvent[]): string[] {
  const problems: string[] = [];
  const ids = got.map((m) => m.id);
  if (new Set(ids).size !== ids.length) problems.push('duplicate delivery');
  const wantIds = new Set(want.map((m) => m.id));
  for (const id of wantIds) if (!ids.includes(id)) problems.push(`lost ${id}`);
  for (let i = 1; i < got.length; i++) {
    if (got[i]!.seq !== got[i - 1]!.seq + 1)
      problems.push(`seq ${got[i - 1]!.seq} then ${got[i]!.seq}`);
  }
  return problems;
}
