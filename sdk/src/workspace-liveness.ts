/**
 * Liveness of one connection, for browsers, which cannot see the server's protocol pings:
 * after `everyMs` without a frame, `ping()`; when it fails (no pong within its timeout) the
 * connection is declared dead at once, since a dead link's close handshake could take much
 * longer. Frames of any kind count as signs of life.
 */
export class Liveness {
  private timer: ReturnType<typeof setTimeout> | undefined;
  private lastHeard = 0;
  private generation = 0;

  constructor(private readonly everyMs: number) {}

  heard(): void {
    this.lastHeard = Date.now();
  }

  /** Watches a new connection (and stops watching the previous one). */
  start(ping: () => Promise<unknown>, dead: () => void): void {
    this.stop();
    this.heard();
    if (this.everyMs <= 0) return;
    const gen = this.generation;
    const check = () => {
      if (gen !== this.generation) return;
      const quiet = Date.now() - this.lastHeard;
      if (quiet < this.everyMs) {
        this.timer = setTimeout(check, this.everyMs - quiet);
        return;
      }
      ping().then(
        () => {
          if (gen === this.generation) this.timer = setTimeout(check, this.everyMs);
        },
        () => {
          if (gen === this.generation) dead();
        },
      );
    };
    this.timer = setTimeout(check, this.everyMs);
  }

  stop(): void {
    this.generation++;
    clearTimeout(this.timer);
  }
}
