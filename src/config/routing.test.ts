// biome-ignore-all lint/suspicious/noExplicitAny: config fixtures are patched freely, as YAML would be
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../core/errors.js';
import { parseConfig } from './load.js';

const base = {
  managers: [
    { login: 'ivanov', name: 'Иван' },
    { login: 'petrova', name: 'Мария' },
  ],
  teams: [
    { id: 'partners', name: 'Партнёры', members: ['ivanov'] },
    { id: 'retail', name: 'Розница', members: ['petrova'] },
  ],
  routing: { fallbackTeam: 'retail' },
};
const parse = (patch: (cfg: any) => void) => {
  const cfg: any = structuredClone(base);
  patch(cfg);
  return parseConfig(JSON.stringify(cfg), {});
};

describe('routing config validation fails at startup with the setting named', () => {
  const cases: [what: string, patch: (cfg: any) => void, message: string][] = [
    ['no fallback team', (c) => delete c.routing.fallbackTeam, 'routing.fallbackTeam'],
    [
      'unknown fallback team',
      (c) => (c.routing.fallbackTeam = 'nobody'),
      'routing.fallbackTeam: unknown team "nobody"',
    ],
    [
      'rule with an unknown team',
      (c) => (c.routing.rules = [{ id: 'r', team: 'ghosts' }]),
      'routing.rules.0.team: unknown team "ghosts"',
    ],
    [
      'rule with an unknown region',
      (c) => (c.routing.rules = [{ id: 'r', when: { regions: ['RU-XYZ'] }, team: 'retail' }]),
      'routing.rules.0.when.regions.0: unknown region "RU-XYZ"',
    ],
    [
      'rule with an unknown client type',
      (c) => (c.routing.rules = [{ id: 'r', when: { clientTypes: ['vip'] }, team: 'retail' }]),
      'routing.rules.0.when.clientTypes.0: unknown client type "vip"',
    ],
    [
      'duplicate rule ids',
      (c) =>
        (c.routing.rules = [
          { id: 'r', team: 'retail' },
          { id: 'r', team: 'retail' },
        ]),
      'routing.rules.1.id: duplicate rule "r"',
    ],
    [
      'unknown federal district',
      (c) => (c.routing.rules = [{ id: 'r', when: { federalDistricts: ['north'] }, team: 'retail' }]),
      'routing.rules.0.when.federalDistricts.0',
    ],
    ['unknown member', (c) => c.teams[0].members.push('ghost'), 'teams.0.members.1: unknown manager "ghost"'],
    [
      'unknown on-call manager',
      (c) => (c.teams[1].onCall = 'ghost'),
      'teams.1.onCall: unknown manager "ghost"',
    ],
    [
      'invalid hours',
      (c) => (c.teams[0].hours = { mon: ['9:00-18:00'] }),
      'teams.0.hours.mon.0: "9:00-18:00" is not a period',
    ],
    [
      'overlapping hours',
      (c) => (c.teams[0].hours = { fri: ['09:00-14:00', '13:00-18:00'] }),
      'teams.0.hours.fri: periods overlap',
    ],
    ['unknown weekday', (c) => (c.teams[0].hours = { monday: ['09:00-18:00'] }), 'teams.0.hours'],
    [
      'unknown time zone',
      (c) => (c.teams[0].timeZone = 'Europe/Kazan'),
      'teams.0.timeZone: unknown time zone "Europe/Kazan"',
    ],
    ['bad holiday', (c) => (c.routing.holidays = ['2026-13-01']), 'routing.holidays.0'],
    ['bad team holiday', (c) => (c.teams[0].holidays = ['01.01.2027']), 'teams.0.holidays.0'],
    [
      'default type not in types',
      (c) => (c.routing.clientTypes = { types: ['a'], default: 'b' }),
      'routing.clientTypes.default: unknown client type "b"',
    ],
    [
      'client-type rule without conditions',
      (c) => (c.routing.clientTypes = { rules: [{ type: 'partner', when: {} }] }),
      'routing.clientTypes.rules.0.when: give at least one condition',
    ],
    ['capacity zero', (c) => (c.teams[0].capacity = 0), 'teams.0.capacity'],
  ];
  it.each(cases)('%s', (_what, patch, message) => {
    let error: unknown;
    try {
      parse(patch);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message).toContain(message);
  });

  it('accepts a full routing section', () => {
    const cfg = parse((c) => {
      c.teams[0].hours = { mon: ['09:00-13:00', '14:00-18:00'], sat: ['10:00-14:00'] };
      c.teams[0].timeZone = 'Asia/Novosibirsk';
      c.teams[0].capacity = 10;
      c.teams[0].assignment = 'least_loaded';
      c.teams[0].onCall = 'petrova';
      c.routing.holidays = ['2027-01-01'];
      c.routing.rules = [
        { id: 'p', when: { clientTypes: ['partner'] }, team: 'partners' },
        {
          id: 'm',
          when: { regions: ['RU-MOW+RU-MOS', 'RU-TA'], federalDistricts: ['central'] },
          team: 'retail',
        },
      ];
    });
    expect(cfg.routing.rules).toHaveLength(2);
    expect(cfg.teams[1]).toMatchObject({
      timeZone: 'Europe/Moscow',
      assignment: 'round_robin',
      sticky: 'always',
    });
  });
});
