import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Database, openDatabase } from '../src/db/connect.js';
import type { TestContext } from './support/context.js';
import { backends } from './support/pg.js';
import {
  at,
  H,
  M,
  newLead,
  openSlaContext,
  type SlaContext,
  scannerFor,
  telegramCallsFor,
} from './support/sla.js';

// Two daemons need two sessions on one database: only a server PostgreSQL has that (PGlite is single-session).
describe.skipIf(!backends().includes('postgres'))('two SLA daemons on one PostgreSQL', () => {
  let ctx: TestContext;
  let bot: SlaContext['bot'];
  let close: () => Promise<void>;
  let second: Database;

  beforeAll(async () => {
    ({ ctx, bot, close } = await openSlaContext('postgres', {
      default: {
        steps: [
          { id: 'remind', after: '1h30m', to: ['assignee'] },
          { id: 'supervisor', after: '2h', to: ['supervisor'], repeatEvery: '1h' },
        ],
      },
      // Small batches make the two daemons interleave claim by claim.
      scanner: { batchSize: 3 },
    }));
    second = await openDatabase({ url: ctx.db.url! });
  });
  afterAll(async () => {
    await second?.close();
    await close?.();
  });

  it('fire and send every step exactly once while racing', async () => {
    const leads: string[] = [];
    for (let i = 0; i < 24; i++)
      leads.push(await newLead(ctx, { at: at(i * 1000), responsible: i % 2 ? 'petrova' : 'ivanov' }));
    const a = scannerFor(ctx, 'daemon-a');
    const b = scannerFor(ctx, 'daemon-b', { sql: second.sql });

    const sentBy = { a: 0, b: 0 };
    for (const t of [90 * M + 30_000, 2 * H + 30_000, 2 * H + 31_000, 3 * H + 30_000, 3 * H + 40_000]) {
      ctx.clock.set(at(t));
      const [ra, rb] = await Promise.all([a.runOnce(), b.runOnce()]);
      sentBy.a += ra.outcomes.sent;
      sentBy.b += rb.outcomes.sent;
    }

    for (const id of leads) {
      const chats = telegramCallsFor(bot.calls, id).map((c) => c.json.chat_id);
      // remind to the assignee, supervisor at 2 h, its repeat at 3 h: one message each.
      expect(
        chats.filter((c) => c === 1000),
        id,
      ).toHaveLength(2);
      expect(
        chats.filter((c) => c === 1001 || c === 1002),
        id,
      ).toHaveLength(1);
    }
    const rows = await ctx.db.sql<{ status: string; n: number }[]>`
      SELECT status, count(*)::int AS n FROM sla_notifications GROUP BY status`;
    // 24 leads x (remind: 2 channels + supervisor x2: 2 channels each) = 144 deliveries, all sent once.
    expect(rows).toEqual([{ status: 'sent', n: 144 }]);
    expect(sentBy.a + sentBy.b).toBe(144);
    const steps = await ctx.db.sql`SELECT count(*)::int AS n FROM sla_steps`;
    expect(steps[0]!.n).toBe(72);
    const inbox = await ctx.db.sql`SELECT count(*)::int AS n FROM notifications`;
    expect(inbox[0]!.n).toBe(72);
  });
});
