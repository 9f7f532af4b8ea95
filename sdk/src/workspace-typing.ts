/**
 * The client side of typing indicators: at most one `typing` frame per group in each
 * `intervalMs` (the server's rate; faster frames would only keep the indicator alive).
 */
export class TypingThrottle {
  private readonly sentAt = new Map<string, number>();

  constructor(private readonly intervalMs = 1000) {}

  /** True when a frame for the group may go now (and counts it as sent). */
  take(groupId: string): boolean {
    const now = Date.now();
    const last = this.sentAt.get(groupId);
    if (last !== undefined && now - last < this.intervalMs) return false;
    this.sentAt.set(groupId, now);
    return true;
  }

  /** The server ended the group's indicator (the user's message was stored): news again. */
  reset(groupId: string): void {
    this.sentAt.delete(groupId);
  }

  /** A new connection: the server knows of no indicator. */
  clear(): void {
    this.sentAt.clear();
  }
}
