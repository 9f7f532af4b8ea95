import type { TestApp } from '../helpers/app.js';
import { TestSocket, openSocket, type Frame } from '../messaging/socket-client.js';

/** A workspace socket under test: every frame recorded; requests await their reply by `req`. */
export class WorkspaceSocket extends TestSocket {
  private n = 0;

  /** Sends a frame with a fresh `req` and resolves with the first frame carrying that `req`. */
  async request(frame: Record<string, unknown>, ms = 10_000): Promise<Frame> {
    const req = `r${++this.n}`;
    const from = this.frames.length;
    this.send({ ...frame, req });
    return this.next((f) => f.req === req, from, ms);
  }

  /** The message events of one group, in arrival order. */
  groupMessages(groupId: string) {
    return this.messages().filter((m) => m['group_id'] === groupId);
  }
}

/** Opens `/ws`; resolves once open, or rejects with the HTTP status of the refusal. */
export function openWorkspace(
  t: TestApp,
  token: string | undefined,
  headers: Record<string, string> = {},
): Promise<WorkspaceSocket> {
  return openSocket(`${t.wsUrl}/ws`, token, (ws) => new WorkspaceSocket(ws), { headers });
}

/** The refusal of an upgrade that must not succeed: its HTTP status and error code. */
export async function refusedWith(p: Promise<WorkspaceSocket>) {
  try {
    const s = await p;
    await s.close();
  } catch (err) {
    const e = err as { status: number; body: { code: string } };
    return { status: e.status, code: e.body.code };
  }
  throw new Error('the upgrade was accepted');
}
