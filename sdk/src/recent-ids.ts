/** The last `size` event ids seen, to deliver each event once when a server repeats it. */
export class RecentIds {
  private readonly seen = new Set<string>();
  private readonly order: string[] = [];

  constructor(private readonly size = 5000) {}

  /** True the first time an id is seen (within the window). */
  add(id: string): boolean {
    if (this.seen.has(id)) return false;
    this.seen.add(id);
    this.order.push(id);
    if (this.order.length > this.size) this.seen.delete(this.order.shift()!);
    return true;
  }
}
