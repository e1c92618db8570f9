import { describe, expect, it } from 'vitest';
import { configSchema } from '../config/schema.js';
import { directoryFrom, planDeliveries } from './recipients.js';

const config = configSchema.parse({
  managers: [
    { login: 'ivanov', name: 'Иван', telegramChatId: 1001, email: 'ivanov@mebel.ru' },
    { login: 'petrova', name: 'Мария', email: 'petrova@mebel.ru' },
    { login: 'head', name: 'Анна', telegramChatId: 1000 },
    { login: 'nobody', name: 'Без адресов' },
  ],
  teams: [
    { id: 'retail', name: 'Розница', supervisor: 'head', members: ['ivanov', 'petrova'] },
    { id: 'orphans', name: 'Без руководителя', members: ['nobody'] },
  ],
  routing: { fallbackTeam: 'retail' },
  sla: {
    channels: {
      telegram: { token: 'bot-token-123' },
      email: { host: '127.0.0.1', from: 'sla@mebel.ru' },
      webhook: { url: 'http://127.0.0.1:9/hook', secret: 'webhook-secret-0123456789' },
    },
  },
});
const dir = directoryFrom(config);
const keys = (ds: ReturnType<typeof planDeliveries>) => ds.map((d) => `${d.recipient}/${d.channel}`);

describe('planDeliveries', () => {
  it('each person on every configured channel they have an address for, plus one webhook call', () => {
    expect(
      keys(
        planDeliveries({ to: ['assignee', 'supervisor'] }, { team: 'retail', responsible: 'petrova' }, dir),
      ),
    ).toEqual(['petrova/email', 'petrova/inapp', 'head/telegram', 'head/inapp', '*/webhook']);
  });

  it('the same person named twice is alerted once', () => {
    expect(
      keys(
        planDeliveries(
          { to: ['supervisor', 'manager:head'], channels: ['telegram'] },
          { team: 'retail', responsible: null },
          dir,
        ),
      ),
    ).toEqual(['head/telegram']);
  });

  it('a role nobody fills is a visible undeliverable row, not a silent skip', () => {
    const ds = planDeliveries(
      { to: ['assignee', 'supervisor'], channels: ['telegram'] },
      { team: 'orphans', responsible: null },
      dir,
    );
    expect(ds).toEqual([
      { recipient: 'assignee', channel: 'none', error: 'the lead has no responsible manager' },
      { recipient: 'supervisor', channel: 'none', error: 'team orphans has no supervisor' },
    ]);
  });

  it('a person without an address on the step channels is undeliverable', () => {
    expect(
      planDeliveries(
        { to: ['manager:nobody'], channels: ['telegram', 'email'] },
        { team: 'orphans', responsible: null },
        dir,
      ),
    ).toEqual([{ recipient: 'nobody', channel: 'none', error: 'no address for nobody on telegram, email' }]);
  });
});
