import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/**
 * Every metric OrgHub exports, on a registry of its own per app (tests run several apps in
 * one process). Names follow Prometheus conventions; labels stay low-cardinality (route
 * patterns, never ids).
 */
export function createMetrics(opts: { defaultMetrics: boolean }) {
  const registry = new Registry();
  if (opts.defaultMetrics) collectDefaultMetrics({ register: registry, prefix: 'orghub_' });
  const r = [registry];
  return {
    registry,
    httpDuration: new Histogram({
      name: 'orghub_http_request_duration_seconds',
      help: 'HTTP request duration by route and status',
      labelNames: ['method', 'route', 'status_code'] as const,
      buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers: r,
    }),
    wsConnections: new Gauge({
      name: 'orghub_ws_connections',
      help: 'open WebSocket connections on this node',
      registers: r,
    }),
    wsDisconnects: new Counter({
      name: 'orghub_ws_disconnects_total',
      help: 'closed WebSocket connections by close code',
      labelNames: ['code'] as const,
      registers: r,
    }),
    wsBacklogCloses: new Counter({
      name: 'orghub_ws_backlog_closes_total',
      help: 'sockets closed because their unsent backlog passed WS_MAX_BACKLOG',
      registers: r,
    }),
    messagesIn: new Counter({
      name: 'orghub_messages_in_total',
      help: 'messages accepted and stored',
      labelNames: ['source'] as const,
      registers: r,
    }),
    messagesRejected: new Counter({
      name: 'orghub_messages_rejected_total',
      help: 'frames refused with an error frame, by code',
      labelNames: ['code'] as const,
      registers: r,
    }),
    deliveries: new Counter({
      name: 'orghub_deliveries_total',
      help: 'frames written to sockets',
      registers: r,
    }),
    bytesOut: new Counter({
      name: 'orghub_ws_bytes_out_total',
      help: 'bytes of frames written to sockets',
      registers: r,
    }),
    storesInFlight: new Gauge({
      name: 'orghub_message_stores_in_flight',
      help: 'messages handed to the database and not yet answered (shutdown waits for them)',
      registers: r,
    }),
    storeLatency: new Histogram({
      name: 'orghub_message_store_seconds',
      help: 'time to store one message (transaction included)',
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
      registers: r,
    }),
    gapFills: new Counter({
      name: 'orghub_gap_fills_total',
      help: 'times a hub filled a seq gap from the store',
      registers: r,
    }),
    dbQueries: new Counter({
      name: 'orghub_db_queries_total',
      help: 'queries this node ran on its database (PGlite or PostgreSQL)',
      registers: r,
    }),
    historyReads: new Counter({
      name: 'orghub_history_reads_total',
      help: 'resume and gap-fill reads, by where they were served from (cache: Redis)',
      labelNames: ['source'] as const,
      registers: r,
    }),
    remindersFired: new Counter({
      name: 'orghub_reminders_fired_total',
      help: 'task reminders claimed and sent by this node',
      registers: r,
    }),
  };
}

export type Metrics = ReturnType<typeof createMetrics>;
