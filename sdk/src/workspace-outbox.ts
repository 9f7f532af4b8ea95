import type { MessageEvent, PublishFrame, WorkspaceError } from './types.js';
import { WorkspaceRequestError } from './workspace-requests.js';

interface PendingPublish {
  groupId: string;
  content: string;
  resolve: (m: MessageEvent) => void;
  reject: (e: Error) => void;
}

/**
 * Publishes not yet acknowledged, by client_msg_id. Guarantees: each is settled once, with
 * the stored message or a refusal; until then every new connection sends it again with the
 * same client_msg_id, which the server stores once.
 */
export class Outbox {
  private readonly pending = new Map<string, PendingPublish>();
  /** req of a publish frame on the current connection → its client_msg_id. */
  private readonly inflight = new Map<string, string>();

  add(clientMsgId: string, groupId: string, content: string): Promise<MessageEvent> {
    return new Promise((resolve, reject) => {
      this.pending.set(clientMsgId, { groupId, content, resolve, reject });
    });
  }

  ids(): string[] {
    return [...this.pending.keys()];
  }

  frame(clientMsgId: string, req: string): PublishFrame | undefined {
    const p = this.pending.get(clientMsgId);
    if (!p) return undefined;
    this.inflight.set(req, clientMsgId);
    return {
      type: 'publish',
      req,
      group_id: p.groupId,
      content: p.content,
      client_msg_id: clientMsgId,
    };
  }

  /** A message frame with `req`: resolves the publish it answers, if any. */
  stored(req: string, m: MessageEvent): void {
    const p = this.take(req);
    p?.resolve(m);
  }

  /**
   * An error frame with `req`: a refusal rejects the publish; `unavailable` and
   * `rate_limited` stored nothing and are passing, so its client_msg_id is returned to send
   * again. Undefined when `req` was no publish.
   */
  failed(req: string, e: WorkspaceError): { retry?: string } | undefined {
    const id = this.inflight.get(req);
    if (id === undefined) return undefined;
    this.inflight.delete(req);
    const p = this.pending.get(id);
    if (!p) return {};
    if (e.code === 'unavailable' || e.code === 'rate_limited') return { retry: id };
    this.pending.delete(id);
    p.reject(new WorkspaceRequestError(e.code, e.message, e.group_id));
    return {};
  }

  dropConnection(): void {
    this.inflight.clear();
  }

  close(reason: Error): void {
    const all = [...this.pending.values()];
    this.pending.clear();
    this.inflight.clear();
    for (const p of all) p.reject(reason);
  }

  private take(req: string): PendingPublish | undefined {
    const id = this.inflight.get(req);
    if (id === undefined) return undefined;
    this.inflight.delete(req);
    const p = this.pending.get(id);
    this.pending.delete(id);
    return p;
  }
}
