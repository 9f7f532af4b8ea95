import type { MessageEvent, SubscribeFrame, SubscribedReply, WorkspaceError } from './types.js';
import type { SubscribeResult } from './workspace-events.js';
import { WorkspaceRequestError } from './workspace-requests.js';

interface Subscription {
  /** The last seq delivered to the app (the resume point); null until the server tells it. */
  lastSeq: number | null;
  /** Whether the server has answered a subscribe of it (so a later one is a resume). */
  established: boolean;
  /** Resubscribed after a reconnect: its reply is reported as `recovered`. */
  resuming: boolean;
  waiters: { resolve: (r: SubscribeResult) => void; reject: (e: Error) => void }[];
}

/**
 * The groups a workspace socket keeps subscribed, with the last seq delivered of each.
 * Guarantees: a group's messages are accepted at most once and in seq order, across
 * resubscribes; a subscription ends only when asked, refused or ended by the server.
 */
export class Subscriptions {
  private readonly subs = new Map<string, Subscription>();
  /** req of a subscribe frame on the current connection → what it subscribes. */
  private readonly inflight = new Map<string, { groupId: string; sub: Subscription }>();

  has(groupId: string): boolean {
    return this.subs.has(groupId);
  }

  snapshot(): ReadonlyMap<string, number | null> {
    return new Map([...this.subs].map(([g, s]) => [g, s.lastSeq]));
  }

  /**
   * Registers a group (a known one keeps its resume point: going back would deliver seqs
   * twice); resolves with the server's answer to the next subscribe frame sent for it.
   */
  add(groupId: string, sinceSeq: number | undefined): Promise<SubscribeResult> {
    let sub = this.subs.get(groupId);
    if (!sub) {
      sub = { lastSeq: null, established: false, resuming: false, waiters: [] };
      this.subs.set(groupId, sub);
    }
    if (sinceSeq !== undefined && sub.lastSeq === null) sub.lastSeq = sinceSeq;
    const s = sub;
    return new Promise((resolve, reject) => s.waiters.push({ resolve, reject }));
  }

  /** Forgets a group; true when it was subscribed. */
  remove(groupId: string, reason: Error): boolean {
    const sub = this.subs.get(groupId);
    if (!sub) return false;
    this.subs.delete(groupId);
    for (const w of sub.waiters.splice(0)) w.reject(reason);
    return true;
  }

  /** The subscribe frame for a group, resuming after its last delivered seq. */
  frame(groupId: string, req: string): SubscribeFrame | undefined {
    const sub = this.subs.get(groupId);
    if (!sub) return undefined;
    this.inflight.set(req, { groupId, sub });
    return {
      type: 'subscribe',
      req,
      group_id: groupId,
      ...(sub.lastSeq !== null && { since_seq: sub.lastSeq }),
    };
  }

  /** On a new connection: every group, those answered before now being resumes. */
  resume(nextReq: () => string): SubscribeFrame[] {
    const frames: SubscribeFrame[] = [];
    for (const [groupId, sub] of this.subs) {
      sub.resuming = sub.established;
      frames.push(this.frame(groupId, nextReq())!);
    }
    return frames;
  }

  /** The server's answer; returns what to report as `recovered` after a reconnect. */
  answered(r: SubscribedReply): { group_id: string; recovered: boolean } | undefined {
    const pending = this.inflight.get(r.req);
    if (!pending) return undefined;
    this.inflight.delete(r.req);
    const { groupId, sub } = pending;
    if (this.subs.get(groupId) !== sub) return undefined;
    // Without a resume point the stream starts after last_seq: that is the resume point now.
    sub.lastSeq ??= r.last_seq;
    const result = { last_seq: r.last_seq, recovered: r.recovered };
    for (const w of sub.waiters.splice(0)) w.resolve(result);
    sub.established = true;
    if (!sub.resuming) return undefined;
    sub.resuming = false;
    return { group_id: groupId, recovered: r.recovered };
  }

  /**
   * An error answering a subscribe frame: a refusal (not_found, rate_limited…) ends the
   * subscription; `unavailable` (the database) changed nothing, so the group to ask again is
   * returned. Undefined when `req` was no subscribe.
   */
  refused(req: string, e: WorkspaceError): { retry?: string } | undefined {
    const pending = this.inflight.get(req);
    if (!pending) return undefined;
    this.inflight.delete(req);
    const { groupId, sub } = pending;
    if (this.subs.get(groupId) !== sub) return {};
    if (e.code === 'unavailable') return { retry: groupId };
    this.remove(groupId, new WorkspaceRequestError(e.code, e.message, e.group_id));
    return {};
  }

  /**
   * Whether a message goes to the app, and so becomes its group's resume point. A reply to a
   * re-sent publish stored before (a duplicate) comes at once, maybe ahead of a replay still
   * under way: it joins only as the very next seq, else the replay delivers it in its place
   * (and the seqs before it are not skipped).
   */
  accept(m: MessageEvent, isReply: boolean): boolean {
    const sub = this.subs.get(m.group_id);
    if (!sub) return false;
    const next =
      sub.lastSeq === null || (isReply ? m.seq === sub.lastSeq + 1 : m.seq > sub.lastSeq);
    if (next) sub.lastSeq = m.seq;
    return next;
  }

  /** The connection is gone: its subscribe frames will get no answer (resume() sends anew). */
  dropConnection(): void {
    this.inflight.clear();
  }

  close(reason: Error): void {
    this.inflight.clear();
    for (const s of this.subs.values()) for (const w of s.waiters.splice(0)) w.reject(reason);
  }
}
