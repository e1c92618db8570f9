import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { calendarsFromConfig } from '../src/sla/calendar.js';
import type { TestContext } from './support/context.js';
import { backends } from './support/pg.js';
import { newLead, openSlaContext, type SlaContext, scannerFor, telegramCallsFor } from './support/sla.js';

const weekdays = ['09:00-18:00'];

describe.each(backends())('the working-hours SLA clock in the daemon on %s', (backend) => {
  let ctx: TestContext;
  let bot: SlaContext['bot'];
  let close: () => Promise<void>;

  beforeAll(async () => {
    ({ ctx, bot, close } = await openSlaContext(
      backend,
      // The summary's day is Moscow's; the partners team works in Yekaterinburg (UTC+5).
      { timeZone: 'Europe/Moscow', teams: { partners: { clock: 'working_hours' } } },
      {
        teams: [
          {
            id: 'partners',
            name: 'Партнёры',
            supervisor: 'head',
            members: ['ivanov'],
            timeZone: 'Asia/Yekaterinburg',
            hours: { mon: weekdays, tue: weekdays, wed: weekdays, thu: weekdays, fri: weekdays },
            holidays: ['2026-11-23'],
          },
          { id: 'retail', name: 'Розница', supervisor: 'head', members: ['petrova'] },
        ],
      },
    ));
  });
  afterAll(() => close?.());

  it('a lead of Friday 17:00 (local) is alerted on Tuesday 10:00, after the weekend and a holiday; retail counts wall time', async () => {
    const friday = new Date('2026-11-20T12:00:00Z'); // 17:00 in Yekaterinburg
    ctx.clock.set(friday); // received when it was sent (a time after receipt is clamped to it)
    const partnersLead = await newLead(ctx, { at: friday, team: 'partners', responsible: 'ivanov' });
    const retailLead = await newLead(ctx, { at: friday, team: 'retail', responsible: 'petrova' });
    const scanner = scannerFor(ctx, 'a', { calendars: calendarsFromConfig(ctx.config) });

    ctx.clock.set(new Date('2026-11-20T14:00:00Z'));
    await scanner.runOnce();
    expect(telegramCallsFor(bot.calls, retailLead)).toHaveLength(1);
    expect(telegramCallsFor(bot.calls, partnersLead)).toHaveLength(0);

    for (const t of ['2026-11-21T12:00:00Z', '2026-11-23T05:00:00Z', '2026-11-24T04:59:59.999Z']) {
      ctx.clock.set(new Date(t));
      await scanner.runOnce();
    }
    expect(telegramCallsFor(bot.calls, partnersLead)).toHaveLength(0);

    ctx.clock.set(new Date('2026-11-24T05:00:00Z')); // Tuesday 10:00 in Yekaterinburg
    await scanner.runOnce();
    const calls = telegramCallsFor(bot.calls, partnersLead);
    expect(calls).toHaveLength(1);
    // The age in the text is the client's wait in wall time.
    expect(calls[0]!.json.text).toContain('Лид не взят в работу 3 д 17 ч');

    const summary = (await ctx.request('GET', '/api/v1/sla/summary')).body;
    expect(summary.teams).toEqual([
      expect.objectContaining({ team: 'partners', openNew: 1, overdue: 1, breachesToday: 1 }),
      expect.objectContaining({ team: 'retail', openNew: 1, overdue: 1, breachesToday: 0 }),
    ]);
  });
});
