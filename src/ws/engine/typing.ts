import type { TypingEvent } from '../../protocol/workspace.js';
import type { Hub } from '../../realtime/hub.js';

/** A typing indicator lapses this long after the last `typing` frame. */
export const TYPING_TTL_MS = 5000;
/** At most one `typing` event per socket and group in this window; more only refresh it. */
export const TYPING_MIN_INTERVAL_MS = 1000;

/**
 * One subscription's typing indicator. Never stored: it is an event on the group channel
 * (every node's sockets of the group) and a timer here that sends `stopped: true` once the
 * client stops refreshing it, or when the subscription ends or its user sends the message.
 */
export class Typing {
  private sentAt = 0;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly hub: Hub,
    private readonly channel: string,
    private readonly who: Pick<TypingEvent, 'group_id' | 'user_id' | 'username'>,
  ) {}

  /** A `typing` frame: announced, or only kept alive within the rate window. */
  refresh(): void {
    const now = performance.now();
    const active = this.timer !== undefined;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.stop(), TYPING_TTL_MS);
    this.timer.unref();
    // Within the window the indicator is only kept alive: rate-limited without an error,
    // since a client typing fast has done nothing wrong.
    if (active && now - this.sentAt < TYPING_MIN_INTERVAL_MS) return;
    this.sentAt = now;
    this.announce(false);
  }

  /** Ends the indicator (lapsed, message sent, unsubscribed, closed). Idempotent. */
  stop(): void {
    if (this.timer === undefined) return;
    clearTimeout(this.timer);
    this.timer = undefined;
    this.announce(true);
  }

  private announce(stopped: boolean) {
    const event: TypingEvent = { type: 'typing', ...this.who, ...(stopped && { stopped: true }) };
    this.hub.publish(this.channel, event.type, JSON.stringify(event));
  }
}
