import type { ConfigInput } from '../../src/config/schema.js';
import { hashPassword } from '../../src/web/password.js';
import { baseConfig } from './context.js';

export const PASSWORD = 'verno-1234';

/**
 * The test company with web users: ivanov (partners), petrova (retail), head (supervises both), admin.
 * Requests mentioning «дилер» are partners' leads; everything else goes to retail.
 */
export async function webConfig(extra: Partial<ConfigInput> = {}): Promise<ConfigInput> {
  const password = await hashPassword(PASSWORD);
  return {
    ...baseConfig,
    managers: [
      { login: 'ivanov', name: 'Иван Иванов', password, pbxLogin: 'ivanov' },
      { login: 'petrova', name: 'Мария Петрова', password, email: 'petrova@mebel-fabrika.ru' },
      { login: 'head', name: 'Анна Руководитель', password },
      { login: 'admin', name: 'Админ', password, role: 'admin' },
    ],
    routing: {
      fallbackTeam: 'retail',
      clientTypes: { rules: [{ type: 'partner', when: { keywords: ['дилер'] } }] },
      rules: [{ id: 'partners', when: { clientTypes: ['partner'] }, team: 'partners' }],
    },
    ...extra,
  };
}

/** A tiny cookie jar for app.request(): what a browser would send back. */
export function cookieJar() {
  const cookies = new Map<string, string>();
  return {
    header: () => [...cookies].map(([k, v]) => `${k}=${v}`).join('; '),
    store(res: Response) {
      for (const c of res.headers.getSetCookie()) {
        const [pair] = c.split(';');
        const [k, ...v] = pair!.split('=');
        if (/Max-Age=0/i.test(c) || /expires=Thu, 01 Jan 1970/i.test(c)) cookies.delete(k!.trim());
        else cookies.set(k!.trim(), v.join('='));
      }
    },
    get: (name: string) => cookies.get(name),
  };
}
