import { randomUUID } from 'node:crypto';
import type { Broker, BrokerHandler, BrokerMessage } from './broker.js';

/**
 * An in-process bus that several nodes (OrgHub apps in one process) can share, as in tests;
 * a single server uses one of its own and so never sends anything anywhere.
 */
export class MemoryBus {
  private readonly nodes = new Set<MemoryBroker>();
  attach(node: MemoryBroker) {
    this.nodes.add(node);
  }
  detach(node: MemoryBroker) {
    this.nodes.delete(node);
  }
  deliver(from: MemoryBroker, msg: BrokerMessage) {
    for (const node of this.nodes) if (node !== from) node.receive(msg);
  }
}

export class MemoryBroker implements Broker {
  readonly nodeId = randomUUID();
  private readonly channels = new Set<string>();
  private handler: BrokerHandler = () => {};
  private closed = false;

  constructor(private readonly bus: MemoryBus = new MemoryBus()) {
    bus.attach(this);
  }

  async publish(msg: BrokerMessage): Promise<void> {
    if (this.closed) throw new Error('broker closed');
    this.bus.deliver(this, msg);
  }
  async subscribe(channel: string): Promise<void> {
    this.channels.add(channel);
  }
  async unsubscribe(channel: string): Promise<void> {
    this.channels.delete(channel);
  }
  onMessage(handler: BrokerHandler): void {
    this.handler = handler;
  }
  onResync(): void {
    // An in-process bus never disconnects, so there is never anything to resync.
  }
  async ping(): Promise<void> {
    if (this.closed) throw new Error('broker closed');
  }
  async close(): Promise<void> {
    this.closed = true;
    this.bus.detach(this);
  }

  /** Called by the bus; delivery is synchronous so per-channel order is publish order. */
  receive(msg: BrokerMessage): void {
    if (!this.closed && this.channels.has(msg.channel)) this.handler(msg);
  }
}
