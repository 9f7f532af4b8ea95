/**
 * A server event as sockets receive it. Every event carries an `id` by which a client that
 * holds several sockets (or reconnects) drops duplicates.
 */
export interface ServerEvent {
  type: string;
  id: string;
  [field: string]: unknown;
}

/**
 * Where domain services (tasks, reminders, users) send live events. The realtime layer
 * implements it: the event is encoded once, delivered to this node's sockets and carried to
 * the other nodes over the broker. Delivery is best-effort and never blocks the caller: the
 * durable state (the task row, the notification) is already stored when it is called.
 */
export interface EventSink {
  /** Every socket of one user, on every node. */
  toUser(orgId: string, userId: string, event: ServerEvent): void;
  /** Every socket of every user of an org, on every node. */
  toOrg(orgId: string, event: ServerEvent): void;
}
