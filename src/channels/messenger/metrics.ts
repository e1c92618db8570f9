import { Counter, Gauge, type Registry } from 'prom-client';

const REPLIES_TOTAL = 'switchboard_messenger_replies_total';

/**
 * `switchboard_messenger_replies_total`, shared by every messenger channel (VK, Avito, Viber through
 * `state.ts`; Telegram, MAX here): one counter per registry, labelled by channel, account and outcome.
 */
export function messengerRepliesCounter(registry: Registry): Counter<'channel' | 'account' | 'outcome'> {
  const existing = registry.getSingleMetric(REPLIES_TOTAL);
  if (existing) return existing as Counter<'channel' | 'account' | 'outcome'>;
  return new Counter({
    name: REPLIES_TOTAL,
    help: 'Managers’ replies sent through a messenger, by outcome (sent, blocked, rate_limited, failed)',
    labelNames: ['channel', 'account', 'outcome'] as const,
    registers: [registry],
  });
}

const byRegistry = new WeakMap<Registry, ReturnType<typeof build>>();

function build(registry: Registry) {
  return {
    updates: new Counter({
      name: 'switchboard_messenger_updates_total',
      help: 'Messenger updates received (webhook or polling), by channel, account and outcome (stored, rejected)',
      labelNames: ['channel', 'account', 'outcome'] as const,
      registers: [registry],
    }),
    replies: messengerRepliesCounter(registry),
    pollingUp: new Gauge({
      name: 'switchboard_messenger_polling_up',
      help: 'Whether the last poll of a messenger account succeeded (1) or failed (0)',
      labelNames: ['channel', 'account'] as const,
      registers: [registry],
    }),
  };
}

/** The messenger channels' metrics (Telegram, MAX share them, labelled by channel), once per registry. */
export function messengerMetrics(registry: Registry) {
  let m = byRegistry.get(registry);
  if (!m) {
    m = build(registry);
    byRegistry.set(registry, m);
  }
  return m;
}

export type MessengerMetrics = ReturnType<typeof messengerMetrics>;
