import { Counter, Gauge, type Registry } from 'prom-client';
import type { DeliveryOutcome } from './deliver.js';

/**
 * `switchboard_sla_deliveries_total{channel,outcome}` and `switchboard_sla_leads_beyond_lookback`; returns the
 * scanner's `onOutcome` and `onBeyondLookback` hooks.
 */
export function slaMetrics(registry: Registry): {
  onOutcome: (channel: string, outcome: DeliveryOutcome) => void;
  onBeyondLookback: (count: number) => void;
} {
  const counter = new Counter({
    name: 'switchboard_sla_deliveries_total',
    help: 'SLA alert delivery attempts by channel and outcome (sent, retry, failed, cancelled, lost)',
    labelNames: ['channel', 'outcome'] as const,
    registers: [registry],
  });
  const beyond = new Gauge({
    name: 'switchboard_sla_leads_beyond_lookback',
    help: 'Leads still new that were created before sla.scanner.lookback: no longer alerted',
    registers: [registry],
  });
  return {
    onOutcome: (channel, outcome) => counter.inc({ channel, outcome }),
    onBeyondLookback: (count) => beyond.set(count),
  };
}
