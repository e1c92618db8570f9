import type { Clock } from '../../core/clock.js';
import { errorMessage } from '../../core/errors.js';
import type { Metrics } from '../../observability/metrics.js';
import { messengerMetrics } from './metrics.js';

/** One account of a messenger channel as /readyz shows it. Never carries personal data or secrets. */
export interface AccountStatus {
  transport: string;
  /** Whether the last exchange with the provider worked; null before the first one. */
  connected: boolean | null;
  lastEventAt: string | null;
  lastError: string | null;
  lastErrorAt: string | null;
}

/**
 * The state of a messenger channel's accounts: connected, last event, last error, for /readyz
 * (`transport.status()`) and the messenger metrics (metrics.ts: up, events, replies, provider errors).
 * Errors are kept as our own messages (codes, provider reasons), never payload content.
 */
export function createChannelState(opts: {
  channel: string;
  accounts: readonly { account: string; transport: string }[];
  metrics: Metrics;
  clock: Clock;
}) {
  const m = messengerMetrics(opts.metrics.registry);
  const accounts = new Map<string, AccountStatus>(
    opts.accounts.map((a) => [
      a.account,
      { transport: a.transport, connected: null, lastEventAt: null, lastError: null, lastErrorAt: null },
    ]),
  );
  const labels = (account: string) => ({ channel: opts.channel, account });
  const touch = (account: string, up: boolean) => {
    const s = accounts.get(account);
    if (s) s.connected = up;
    m.up.set(labels(account), up ? 1 : 0);
  };
  return {
    /** A delivery was verified and stored (or rejected for its shape). */
    event(account: string, outcome: 'stored' | 'rejected' | 'refused'): void {
      m.events.inc({ ...labels(account), outcome });
      if (outcome === 'refused') return;
      const s = accounts.get(account);
      if (s) s.lastEventAt = opts.clock().toISOString();
    },
    /** A provider call (API, long poll) worked. */
    ok(account: string): void {
      touch(account, true);
    },
    /** A provider call failed; `retryable` ones are counted, the account is marked down when it gave up. */
    failed(account: string, err: unknown, final = true): void {
      const retryable = (err as { retryable?: boolean }).retryable === true;
      m.providerErrors.inc({ ...labels(account), retryable: String(retryable && !final) });
      const s = accounts.get(account);
      if (s) {
        s.lastError = errorMessage(err).slice(0, 300);
        s.lastErrorAt = opts.clock().toISOString();
      }
      if (final) touch(account, false);
    },
    reply(account: string, outcome: 'sent' | 'failed'): void {
      m.replies.inc({ ...labels(account), outcome });
    },
    status(): Record<string, AccountStatus> {
      return Object.fromEntries([...accounts].map(([k, v]) => [k, { ...v }]));
    },
  };
}

export type ChannelState = ReturnType<typeof createChannelState>;
