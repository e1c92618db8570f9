import { describe, expect, it } from 'vitest';
import { ConfigError } from '../core/errors.js';
import { EXAMPLE_CONFIG_PATH, loadSettings, parseConfig } from './load.js';

const minimal = `
teams: [{ id: sales, name: Продажи, members: [ivanov] }]
managers: [{ login: ivanov, name: Иван }]
routing: { fallbackTeam: sales }
`;

describe('configuration', () => {
  it('loads the example config shipped with the repository', async () => {
    const s = await loadSettings({ SWITCHBOARD_DATA_DIR: '/tmp/sb-x' }, '/');
    expect(s.configPath).toBe(EXAMPLE_CONFIG_PATH);
    expect(s.config.teams.length).toBeGreaterThan(0);
    expect(s.port).toBe(8080);
    expect(s.databaseUrl).toBeUndefined();
    expect(s.dataDir).toBe('/tmp/sb-x');
  });

  it('takes HOST, PORT, DATABASE_URL and SWITCHBOARD_API_TOKEN from the environment', async () => {
    expect((await loadSettings({})).config.server.host).toBe('127.0.0.1');
    const s = await loadSettings({
      HOST: '0.0.0.0',
      PORT: '9090',
      DATABASE_URL: 'postgres://x@h/db',
      SWITCHBOARD_API_TOKEN: 'env-token-0123456789',
    });
    expect(s).toMatchObject({
      config: { server: { host: '0.0.0.0' } },
      port: 9090,
      databaseUrl: 'postgres://x@h/db',
      envApiToken: 'env-token-0123456789',
    });
  });

  it.each([
    [{ PORT: 'eighty' }, /PORT/],
    [{ SWITCHBOARD_API_TOKEN: 'short' }, /SWITCHBOARD_API_TOKEN/],
    [{ SWITCHBOARD_CONFIG: '/nonexistent.yaml' }, /cannot read config file \/nonexistent.yaml/],
  ])('refuses bad environment %j', async (env, message) => {
    await expect(loadSettings(env)).rejects.toThrow(message);
  });

  it('substitutes ENV references and names a missing variable with its setting', () => {
    const text = `${minimal}\napi: { tokens: [{ name: crm, token: "\${CRM_TOKEN}" }] }`;
    expect(parseConfig(text, { CRM_TOKEN: 'secret-token-0123456789' }).api.tokens[0]!.token).toBe(
      'secret-token-0123456789',
    );
    expect(() => parseConfig(text, {})).toThrow(
      /api\.tokens\.0\.token: environment variable CRM_TOKEN is not set/,
    );
  });

  it.each([
    [
      'an unknown fallback team',
      minimal.replace('fallbackTeam: sales', 'fallbackTeam: nowhere'),
      /routing\.fallbackTeam: unknown team "nowhere"/,
    ],
    [
      'an unknown team member',
      minimal.replace('members: [ivanov]', 'members: [ghost]'),
      /teams\.0\.members\.0: unknown manager "ghost"/,
    ],
    ['no teams', 'routing: { fallbackTeam: x }', /teams/],
    [
      'a short API token',
      `${minimal}\napi: { tokens: [{ name: crm, token: abc }] }`,
      /api\.tokens\.0\.token: at least 16 characters/,
    ],
    ['invalid YAML', 'teams: [', /not valid YAML/],
  ])('fails with a message naming the setting for %s', (_what, text, message) => {
    expect(() => parseConfig(text, {})).toThrow(ConfigError);
    expect(() => parseConfig(text, {})).toThrow(message);
  });

  // Issue 16 item 13: unknown keys were dropped and the daemon started without the section the operator wrote.
  it.each([
    ['telefony: {}', /^ {2}telefony: unknown setting "telefony" \(did you mean "telephony"\?\)$/m],
    ['logs: { level: debug }', /^ {2}logs: unknown setting "logs" \(did you mean "log"\?\)$/m],
    [
      'teams: [{ id: sales, name: Продажи, members: [ivanov], supervisr: ivanov }]\nmanagers: [{ login: ivanov, name: Иван }]\nrouting: { fallbackTeam: sales }',
      /^ {2}teams\.0\.supervisr: unknown setting "supervisr" \(did you mean "supervisor"\?\)$/m,
    ],
    [
      'teams: [{ id: sales, name: Продажи, members: [ivanov] }]\nmanagers: [{ login: ivanov, name: Иван, telegramChatID: 42 }]\nrouting: { fallbackTeam: sales }',
      /^ {2}managers\.0\.telegramChatID: unknown setting "telegramChatID" \(did you mean "telegramChatId"\?\)$/m,
    ],
    [
      'teams: [{ id: sales, name: Продажи, members: [ivanov] }]\nmanagers: [{ login: ivanov, name: Иван }]\nrouting: { fallbackTeam: sales, numberingPlan: { refreshHour: 1 } }',
      /routing\.numberingPlan\.refreshHour: unknown setting "refreshHour" \(did you mean "refreshHours"\?\)/,
    ],
  ])('an unknown key stops the start, naming its path and the nearest setting: %s', (yaml, message) => {
    const text = yaml.startsWith('teams:') ? yaml : `${minimal}\n${yaml}`;
    expect(() => parseConfig(text, {})).toThrow(ConfigError);
    expect(() => parseConfig(text, {})).toThrow(message);
  });
});
