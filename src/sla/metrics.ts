import { Counter, type Registry } from 'prom-client';
import type { DeliveryOutcome } from './deliver.js';

/** `switchboard_sla_deliveries_total{channel,outcome}`; returns the scanner's `onOutcome` hook. */
export function slaMetrics(registry: Registry): (channel: string, outcome: DeliveryOutcome) => void {
  const counter = new Counter({
    name: 'switchboard_sla_deliveries_total',
    help: 'SLA alert delivery attempts by channel and outcome (sent, retry, failed, cancelled, lost)',
    labelNames: ['channel', 'outcome'] as const,
    registers: [registry],
  });
  return (channel, outcome) => counter.inc({ channel, outcome });
}
