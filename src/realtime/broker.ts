/**
 * A message carried between nodes. `frame` is the JSON text exactly as sockets receive it,
 * encoded once by the producer; `type` is its `type` field, carried beside it so that no
 * receiver has to parse or match the text to route it; `seq` is set for group messages so
 * receivers can order them and notice gaps.
 */
export interface BrokerMessage {
  channel: string;
  frame: string;
  /** Absent only from a node that does not send it (an older version). */
  type?: string;
  seq?: number;
}

export type BrokerHandler = (msg: BrokerMessage) => void;

/**
 * Moves messages between OrgHub nodes. It does no local delivery: the node that produces a
 * message hands it to its own hub directly, and the broker carries it to the others.
 *
 * Guarantees:
 * - `publish` resolves once the message has been handed to the transport; it never delivers
 *   the message back to the node that published it (own echoes are dropped).
 * - Messages of one channel published by one node arrive at each other node in publish order.
 * - Delivery is at most once. Messages published while the transport is down, or while a node
 *   is disconnected from it, are lost; `onResync` fires after every reconnection so that nodes
 *   can fill gaps from the store (PostgreSQL is the truth, the broker only makes it fast).
 * - A node receives a channel only between `subscribe` and `unsubscribe`; both are idempotent
 *   and a node subscribes only to channels it has local sockets on.
 * - `publish` rejects while the transport is unavailable; callers treat that as "local only".
 */
export interface Broker {
  readonly nodeId: string;
  publish(msg: BrokerMessage): Promise<void>;
  subscribe(channel: string): Promise<void>;
  unsubscribe(channel: string): Promise<void>;
  /** The single handler for every message from other nodes. */
  onMessage(handler: BrokerHandler): void;
  /** Called after the transport reconnects: messages may have been missed meanwhile. */
  onResync(handler: () => void): void;
  /** Resolves when the transport answers; rejects with a reason otherwise. */
  ping(): Promise<void>;
  close(): Promise<void>;
}
