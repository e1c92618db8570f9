import { Counter, Gauge, type Registry } from 'prom-client';

const byRegistry = new WeakMap<Registry, ReturnType<typeof build>>();

function build(registry: Registry) {
  return {
    /** VK, Avito, Viber (state.ts): the account's last exchange with its provider. */
    up: new Gauge({
      name: 'switchboard_messenger_up',
      help: 'Whether the last exchange of a messenger account with its provider worked (1) or failed (0)',
      labelNames: ['channel', 'account'] as const,
      registers: [registry],
    }),
    /** VK, Avito, Viber (state.ts): deliveries by outcome. */
    events: new Counter({
      name: 'switchboard_messenger_events_total',
      help: 'Messenger deliveries (webhook or long poll), by outcome (stored, rejected, refused)',
      labelNames: ['channel', 'account', 'outcome'] as const,
      registers: [registry],
    }),
    /** Every messenger channel: managers' replies by outcome. */
    replies: new Counter({
      name: 'switchboard_messenger_replies_total',
      help: 'Managers’ replies sent through a messenger, by outcome (sent, blocked, rate_limited, failed)',
      labelNames: ['channel', 'account', 'outcome'] as const,
      registers: [registry],
    }),
    /** VK, Avito, Viber (state.ts): failed provider calls. */
    providerErrors: new Counter({
      name: 'switchboard_messenger_provider_errors_total',
      help: 'Failed provider API calls (each attempt), by whether they were retried',
      labelNames: ['channel', 'account', 'retryable'] as const,
      registers: [registry],
    }),
    /** Telegram, MAX: updates by outcome. */
    updates: new Counter({
      name: 'switchboard_messenger_updates_total',
      help: 'Messenger updates received (webhook or polling), by channel, account and outcome (stored, rejected)',
      labelNames: ['channel', 'account', 'outcome'] as const,
      registers: [registry],
    }),
    /** Attachment copies (media-downloads.ts): each attempt's outcome. */
    media: new Counter({
      name: 'switchboard_messenger_media_total',
      help: 'Attachment copies from messenger providers, by outcome (stored, expired, too_large, failed, retry)',
      labelNames: ['channel', 'outcome'] as const,
      registers: [registry],
    }),
    /** Telegram, MAX: the last poll of a polling account. */
    pollingUp: new Gauge({
      name: 'switchboard_messenger_polling_up',
      help: 'Whether the last poll of a messenger account succeeded (1) or failed (0)',
      labelNames: ['channel', 'account'] as const,
      registers: [registry],
    }),
  };
}

/**
 * The messenger channels' metrics, once per registry, labelled by channel and account: VK, Avito and Viber
 * record through `state.ts`, Telegram and MAX directly; `switchboard_messenger_replies_total` is shared.
 */
export function messengerMetrics(registry: Registry) {
  let m = byRegistry.get(registry);
  if (!m) {
    m = build(registry);
    byRegistry.set(registry, m);
  }
  return m;
}

export type MessengerMetrics = ReturnType<typeof messengerMetrics>;
