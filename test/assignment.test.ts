import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type ConfigInput, configSchema } from '../src/config/schema.js';
import { openDatabase } from '../src/db/connect.js';
import { createPhoneRegionResolver } from '../src/geo/index.js';
import { createIdentityPolicy } from '../src/identity/identity.js';
import { silentLogger } from '../src/observability/logger.js';
import { assignInTeam } from '../src/routing/assign.js';
import { createAssigner } from '../src/routing/assigner.js';
import { applyLeadRules } from '../src/routing/lead-rules.js';
import { createRuleRouter } from '../src/routing/rule-router.js';
import { buildTeamDirectory, type TeamDirectory } from '../src/routing/teams.js';
import { openTestDatabase, type TestDatabase } from './support/db.js';
import { freshPhone } from './support/ids.js';
import { backends } from './support/pg.js';

const weekdays = (p: string[]) => ({ mon: p, tue: p, wed: p, thu: p, fri: p });
const managers = ['anna', 'boris', 'vera', 'gleb', 'dina', 'old'].map((login) => ({
  login,
  name: login,
  active: login !== 'old',
}));

const config = configSchema.parse({
  managers,
  teams: [
    { id: 'rr', name: 'Round robin', members: ['anna', 'boris', 'vera'] },
    { id: 'll', name: 'Least loaded', members: ['anna', 'boris', 'vera'], assignment: 'least_loaded' },
    { id: 'capped', name: 'Capped', members: ['gleb', 'dina', 'old'], capacity: 2 },
    {
      id: 'office',
      name: 'Office hours',
      members: ['anna', 'boris'],
      timeZone: 'Asia/Novosibirsk',
      hours: weekdays(['09:00-18:00']),
      holidays: ['2026-11-24'],
    },
    {
      id: 'oncall',
      name: 'With on-call',
      members: ['vera'],
      hours: weekdays(['09:00-18:00']),
      onCall: 'gleb',
    },
    {
      id: 'shift_sticky',
      name: 'Sticky on shift only',
      members: ['anna', 'boris'],
      hours: weekdays(['09:00-18:00']),
      sticky: 'on_shift',
    },
  ],
  routing: { fallbackTeam: 'rr' },
} satisfies ConfigInput);

// 2026-11-23 is a Monday. Novosibirsk is UTC+7, Moscow UTC+3.
const MON_NSK_10 = new Date('2026-11-23T03:00:00Z');
const MON_MSK_12 = new Date('2026-11-23T09:00:00Z');
const SAT = new Date('2026-11-28T09:00:00Z');

describe.each(backends())('assignment inside a team on %s', (backend) => {
  let db: TestDatabase;
  let dir: TeamDirectory;
  beforeAll(async () => {
    db = await openTestDatabase(backend);
    dir = buildTeamDirectory(config);
  });
  afterAll(() => db?.close());
  // Every test starts with no open and no queued leads (they share one database).
  beforeEach(async () => {
    await db.sql`UPDATE leads SET status = 'junk', queued_at = NULL WHERE status IN ('new', 'in_progress')`;
  });

  const contacts = async (n: number, responsible: string | null = null): Promise<string[]> =>
    (
      await db.sql<{ id: string }[]>`
        INSERT INTO contacts (name, responsible) SELECT 'c' || g, ${responsible} FROM generate_series(1, ${n}) g RETURNING id`
    ).map((r) => r.id);

  /** Routes one lead of `contactId` into `team` and stores it, like the lead rules do. */
  const route = (
    team: string,
    contactId: string,
    now: Date,
    sticky: { manager: string; source: string }[] = [],
  ) =>
    db.sql.begin(async (tx) => {
      const a = await assignInTeam(tx, dir, dir.teams.get(team)!, sticky, now);
      const [lead] = await tx<{ id: string }[]>`
        INSERT INTO leads (contact_id, kind, channel, account, team, responsible, first_contact_at, queued_at)
        VALUES (${contactId}, 'new', 'api', 'test', ${team}, ${a.responsible}, ${now}, ${a.responsible ? null : now})
        RETURNING id`;
      return { ...a, leadId: lead!.id };
    });
  const openLoad = async (logins: string[]) => {
    const rows = await db.sql<{ responsible: string; n: number }[]>`
      SELECT responsible, count(*)::int AS n FROM leads WHERE status IN ('new', 'in_progress')
        AND responsible = ANY(${logins}) GROUP BY responsible`;
    return Object.fromEntries(logins.map((l) => [l, rows.find((r) => r.responsible === l)?.n ?? 0]));
  };

  it('round-robin over 1,000 leads: every member gets 333 or 334, in strict rotation', async () => {
    const ids = await contacts(1000);
    const chosen: string[] = [];
    for (const id of ids) chosen.push((await route('rr', id, MON_MSK_12)).responsible!);
    const counts = Object.fromEntries(
      ['anna', 'boris', 'vera'].map((m) => [m, chosen.filter((c) => c === m).length]),
    );
    expect(Object.values(counts).sort()).toEqual([333, 333, 334]);
    for (let i = 3; i < chosen.length; i++) expect(chosen[i]).toBe(chosen[i - 3]);
  });

  it('least-loaded over 1,000 leads with random closures: always a least-loaded member, loads within 1', async () => {
    const ids = await contacts(1000);
    let seed = 7;
    const random = () => {
      seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    const members = ['anna', 'boris', 'vera'];
    const tally: Record<string, number> = { anna: 0, boris: 0, vera: 0 };
    for (const id of ids) {
      const before = await openLoad(members);
      const a = await route('ll', id, MON_MSK_12);
      expect(a.strategy).toBe('least_loaded');
      expect(before[a.responsible!]).toBe(Math.min(...Object.values(before)));
      tally[a.responsible!]!++;
      // Managers close leads at different paces: boris twice as fast as vera.
      const closer = random() < 0.5 ? 'boris' : random() < 0.5 ? 'anna' : 'vera';
      if (random() < 0.6)
        await db.sql`UPDATE leads SET status = 'converted' WHERE id = (
          SELECT id FROM leads WHERE responsible = ${closer} AND status = 'new' AND team = 'll' LIMIT 1)`;
    }
    const after = Object.values(await openLoad(members));
    expect(Math.max(...after) - Math.min(...after)).toBeLessThanOrEqual(1);
    // The one who closes fastest gets the most new leads.
    expect(tally.boris).toBeGreaterThan(tally.vera!);
  });

  it('sticky first: the client keeps their manager (without moving the rotation); unusable ones are skipped with why', async () => {
    const [c1, c2, c3] = await contacts(3);
    const a = await route('rr', c1!, MON_MSK_12, [
      { manager: 'old', source: 'responsible of the contact' },
      { manager: 'gleb', source: 'responsible of the company' },
      { manager: 'vera', source: 'manager of the last deal' },
    ]);
    expect(a).toMatchObject({ responsible: 'vera', strategy: 'sticky' });
    expect(a.candidates).toEqual([
      { manager: 'old', outcome: 'skipped', why: 'responsible of the contact: not a member of team rr' },
      { manager: 'gleb', outcome: 'skipped', why: 'responsible of the company: not a member of team rr' },
      { manager: 'vera', outcome: 'chosen', why: 'manager of the last deal' },
    ]);
    const [cursor] = await db.sql<
      { lastManager: string }[]
    >`SELECT last_manager FROM routing_team_state WHERE team = 'rr'`;
    const next = await route('rr', c2!, MON_MSK_12);
    expect(next.strategy).toBe('round_robin');
    const order = ['anna', 'boris', 'vera'];
    expect(next.responsible).toBe(order[(order.indexOf(cursor!.lastManager) + 1) % 3]);
    // sticky: on_shift -> off shift the client's manager is skipped and the lead waits.
    const off = await route('shift_sticky', c3!, SAT, [
      { manager: 'anna', source: 'responsible of the contact' },
    ]);
    expect(off).toMatchObject({ responsible: null, strategy: 'queued' });
    expect(off.candidates[0]).toEqual({
      manager: 'anna',
      outcome: 'skipped',
      why: 'responsible of the contact: off shift (team sticks only on shift)',
    });
  });

  it('capacity: nobody goes over it; inactive members are skipped; the overflow waits in the queue', async () => {
    const ids = await contacts(6);
    const results = [];
    // A second apart, so the queue order (oldest first) is defined.
    for (const [i, id] of ids.entries())
      results.push(await route('capped', id, new Date(MON_MSK_12.getTime() + i * 1000)));
    expect(
      results
        .slice(0, 4)
        .map((r) => r.responsible)
        .sort(),
    ).toEqual(['dina', 'dina', 'gleb', 'gleb']);
    expect(results[4]).toMatchObject({
      responsible: null,
      strategy: 'queued',
      queued: { why: 'every member on shift is inactive or at capacity', nextShiftStart: null },
    });
    expect(results[4]!.candidates).toEqual(
      expect.arrayContaining([
        { manager: 'old', outcome: 'skipped', why: 'inactive' },
        { manager: 'gleb', outcome: 'skipped', why: 'at capacity (2/2 open leads)' },
      ]),
    );
    // A lead closed frees a slot: the assigner gives the oldest queued lead to that manager.
    await db.sql`UPDATE leads SET status = 'converted' WHERE id = ${results[0]!.leadId}`;
    const assigner = createAssigner({ sql: db.sql, config, clock: () => MON_MSK_12, log: silentLogger });
    expect(await assigner.tick()).toEqual({ assigned: 1, waiting: 1 });
    const [lead] = await db.sql<{ responsible: string; queuedAt: Date | null }[]>`
      SELECT responsible, queued_at FROM leads WHERE id = ${results[4]!.leadId}`;
    expect(lead).toEqual({ responsible: results[0]!.responsible, queuedAt: null });
  });

  it('off shift the lead waits in the team queue and is assigned when the first member comes on shift', async () => {
    const [friday, holidayEve] = await contacts(2);
    // Friday 19:00 in Novosibirsk: closed until Monday; Tuesday 24th is a holiday.
    const fri = new Date('2026-11-27T12:00:00Z');
    const q = await route('office', friday!, fri);
    expect(q).toMatchObject({
      responsible: null,
      strategy: 'queued',
      queued: { nextShiftStart: '2026-11-30T02:00:00.000Z' },
    });
    expect(q.candidates.map((c) => c.why)).toEqual(['off shift', 'off shift']);
    const q2 = await route('office', holidayEve!, new Date('2026-11-23T12:00:00Z'));
    expect(q2.queued?.nextShiftStart).toBe('2026-11-25T02:00:00.000Z');

    let now = SAT;
    const assigner = createAssigner({ sql: db.sql, config, clock: () => now, log: silentLogger });
    expect(await assigner.tick()).toEqual({ assigned: 0, waiting: 2 });
    now = new Date('2026-11-25T01:59:00Z'); // Wednesday 08:59 local
    expect((await assigner.tick()).assigned).toBe(0);
    now = new Date('2026-11-25T02:00:00Z'); // 09:00 local: the shift starts
    expect(await assigner.tick()).toEqual({ assigned: 2, waiting: 0 });
    const leads = await db.sql<{ id: string; responsible: string; queuedAt: null; routing: null }[]>`
      SELECT id, responsible, queued_at FROM leads WHERE team = 'office' ORDER BY first_contact_at`;
    expect(leads.map((l) => l.responsible).sort()).toEqual(['anna', 'boris']);
    expect(leads.every((l) => l.queuedAt === null)).toBe(true);
    const trail = await db.sql`SELECT actor, action FROM audit_log WHERE entity_id = ${leads[0]!.id}`;
    expect(trail).toEqual([{ actor: 'assigner', action: 'lead.assigned' }]);
  });

  it('off shift with an on-call manager: the on-call manager takes the lead at once', async () => {
    const [c] = await contacts(1);
    const a = await route('oncall', c!, SAT);
    expect(a).toMatchObject({ responsible: 'gleb', strategy: 'on_call' });
    expect(a.candidates).toEqual([
      { manager: 'vera', outcome: 'skipped', why: 'off shift' },
      { manager: 'gleb', outcome: 'chosen', why: 'on call while team oncall is off shift' },
    ]);
  });

  it('a queued lead taken by hand leaves the queue without being assigned', async () => {
    const [c] = await contacts(1);
    const q = await route('office', c!, SAT);
    await db.sql`UPDATE leads SET status = 'in_progress', responsible = 'boris' WHERE id = ${q.leadId}`;
    const assigner = createAssigner({ sql: db.sql, config, clock: () => MON_NSK_10, log: silentLogger });
    expect(await assigner.tick()).toEqual({ assigned: 0, waiting: 0 });
    const [row] = await db.sql`SELECT responsible, queued_at FROM leads WHERE id = ${q.leadId}`;
    expect(row).toEqual({ responsible: 'boris', queuedAt: null });
  });
});

describe.runIf(backends().includes('postgres'))('capacity under concurrency on real PostgreSQL', () => {
  let db: TestDatabase;
  let second: Awaited<ReturnType<typeof openDatabase>>;
  const capped = configSchema.parse({
    managers: [
      { login: 'anna', name: 'Анна' },
      { login: 'boris', name: 'Борис' },
    ],
    teams: [
      { id: 'sales', name: 'Продажи', members: ['anna', 'boris'], capacity: 3, assignment: 'least_loaded' },
    ],
    routing: { fallbackTeam: 'sales' },
  } satisfies ConfigInput);
  beforeAll(async () => {
    db = await openTestDatabase('postgres', { maxConnections: 12 });
    // A second pool plays a second daemon on the same database.
    second = await openDatabase({ url: db.url!, maxConnections: 12 });
  });
  afterAll(async () => {
    await second?.close();
    await db?.close();
  });

  it('40 simultaneous new leads from two daemons: exactly 3 per manager, the rest queued, none over capacity', async () => {
    const policy = createIdentityPolicy({});
    const now = () => MON_MSK_12;
    const daemons = [db.sql, second.sql].map((sql) => ({
      sql,
      deps: {
        policy,
        clock: now,
        router: createRuleRouter({
          config: capped,
          phoneRegions: () => createPhoneRegionResolver(),
          clock: now,
        }),
      },
    }));
    const decisions = await Promise.all(
      Array.from({ length: 40 }, (_, i) => {
        const d = daemons[i % 2]!;
        return d.sql.begin((tx) =>
          applyLeadRules(
            tx,
            {
              kind: 'message',
              channel: 'webform',
              account: 'site',
              externalId: `burst-${i}-${freshPhone()}`,
              direction: 'in',
              occurredAt: MON_MSK_12,
              party: { identities: [{ kind: 'phone', value: freshPhone() }], hints: [] },
              text: 'Заявка',
            },
            d.deps,
          ),
        );
      }),
    );
    expect(decisions.every((d) => d.kind === 'new_lead')).toBe(true);
    const load = await db.sql<{ responsible: string | null; n: number }[]>`
      SELECT responsible, count(*)::int AS n FROM leads GROUP BY responsible ORDER BY responsible NULLS LAST`;
    expect(load).toEqual([
      { responsible: 'anna', n: 3 },
      { responsible: 'boris', n: 3 },
      { responsible: null, n: 34 },
    ]);
    const [queued] = await db.sql`SELECT count(*)::int AS n FROM leads WHERE queued_at IS NOT NULL`;
    expect(queued!.n).toBe(34);
  });
});
