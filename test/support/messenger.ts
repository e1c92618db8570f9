import type { ChannelContext, ChannelDefinition, ChannelModule } from '../../src/channels/channel.js';
import { CHANNELS } from '../../src/channels/index.js';
import type { Sleep } from '../../src/channels/messenger/sleep.js';
import type { ConfigInput } from '../../src/config/schema.js';
import { createTestContext, type TestContext } from './context.js';
import type { Backend } from './pg.js';

/**
 * A test context whose messenger channel `name` is built with a recording `sleep` (retry_after, backoff,
 * not-ready retries are asserted, never waited for: each wait yields for 2 ms so a poller cannot spin).
 */
export async function messengerTestContext(
  backend: Backend,
  name: string,
  create: (ctx: ChannelContext, opts: { sleep: Sleep }) => ChannelModule,
  channels: ConfigInput['channels'],
): Promise<{ ctx: TestContext; waits: number[] }> {
  const waits: number[] = [];
  const sleep: Sleep = async (ms) => {
    waits.push(ms);
    await new Promise((r) => setTimeout(r, 2));
  };
  const list: ChannelDefinition[] = CHANNELS.map((c) =>
    c.name === name ? { ...c, create: (cx: ChannelContext) => create(cx, { sleep }) } : c,
  );
  const ctx = await createTestContext(backend, { channels }, { channels: list });
  return { ctx, waits };
}

/** A polling account for tests: no long-poll hold, short backoff, no phone question. */
export const testPolling = {
  transport: 'polling' as const,
  askPhone: { enabled: false },
  polling: { timeoutSeconds: 0, idleDelayMs: 5, minDelayMs: 5, maxDelayMs: 10 },
};
