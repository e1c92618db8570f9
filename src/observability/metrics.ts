import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';

/** The daemon's Prometheus metrics, on a registry of its own (tests create as many apps as they like). */
export function createMetrics(opts: { defaultMetrics?: boolean } = {}) {
  const registry = new Registry();
  if (opts.defaultMetrics) collectDefaultMetrics({ register: registry, prefix: 'switchboard_' });
  return {
    registry,
    events: new Counter({
      name: 'switchboard_inbound_events_total',
      help: 'Inbound communications processed, by channel and decision',
      labelNames: ['channel', 'decision'] as const,
      registers: [registry],
    }),
    failures: new Counter({
      name: 'switchboard_inbound_failures_total',
      help: 'Inbound events whose processing failed, by source and outcome (retry, dead, rejected)',
      labelNames: ['source', 'outcome'] as const,
      registers: [registry],
    }),
    latency: new Histogram({
      name: 'switchboard_decision_duration_seconds',
      help: 'Time to process one stored inbound event (normalize, decide, route, commit)',
      labelNames: ['source'] as const,
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers: [registry],
    }),
    decisionBatch: new Histogram({
      name: 'switchboard_decision_batch_events',
      help: 'Events decided together in one transaction (the batches the processor forms under load)',
      buckets: [1, 2, 4, 8, 16, 32, 64],
      registers: [registry],
    }),
    outbox: new Counter({
      name: 'switchboard_outbox_attempts_total',
      help: 'Outbox delivery attempts (webhooks, Bitrix24), by subscriber and outcome (delivered, retry, failed)',
      labelNames: ['subscriber', 'outcome'] as const,
      registers: [registry],
    }),
    pending: new Gauge({
      name: 'switchboard_inbound_pending',
      help: 'Inbound events waiting for processing or retry (sampled by the replay worker)',
      registers: [registry],
    }),
  };
}

export type Metrics = ReturnType<typeof createMetrics>;
