/** One account's line in /readyz: how it receives updates and how that went last. */
export interface AccountStatus {
  transport: 'webhook' | 'polling';
  /** Polling: the last poll succeeded. Webhook: null until the first update arrives, then true. */
  connected: boolean | null;
  lastUpdateAt: string | null;
  /** Our description of the last failure (never a token, never personal data). */
  lastError: string | null;
  updates: number;
}

export function createAccountStatus(transport: AccountStatus['transport']) {
  const s: AccountStatus = { transport, connected: null, lastUpdateAt: null, lastError: null, updates: 0 };
  return {
    received(at: Date) {
      s.updates++;
      s.lastUpdateAt = at.toISOString();
      if (transport === 'webhook') s.connected = true;
    },
    ok() {
      s.connected = true;
      s.lastError = null;
    },
    failed(error: string) {
      s.connected = false;
      s.lastError = error;
    },
    snapshot: (): AccountStatus => ({ ...s }),
  };
}

export type AccountStatusTracker = ReturnType<typeof createAccountStatus>;
