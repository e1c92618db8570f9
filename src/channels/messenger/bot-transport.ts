import type { ChannelTransport } from '../channel.js';
import type { AccountStatusTracker } from './account-status.js';

interface TransportBot {
  account: { transport: 'webhook' | 'polling' };
  status: AccountStatusTracker;
}

/**
 * The transport of a Telegram or MAX module, when it has bots: a poller for every polling account (built now,
 * started by `start()`, awaited by `stop()`), and each bot's status line for /readyz.
 */
export function botTransport<B extends TransportBot>(
  bots: ReadonlyMap<string, B>,
  createPoller: (bot: B) => { start(): void; stop(): Promise<void> },
): { transport?: ChannelTransport } {
  const pollers = [...bots.values()].filter((b) => b.account.transport === 'polling').map(createPoller);
  if (bots.size === 0) return {};
  return {
    transport: {
      start: () => {
        for (const p of pollers) p.start();
      },
      stop: async () => {
        await Promise.all(pollers.map((p) => p.stop()));
      },
      status: () => Object.fromEntries([...bots].map(([name, b]) => [name, b.status.snapshot()])),
    },
  };
}
