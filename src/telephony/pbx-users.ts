import type { Config } from '../config/schema.js';
import type { Queryable as Sql } from '../db/queryable.js';
import type { ImportedPbxUser } from './directory.js';
import type { PbxUser } from './megafon/commands.js';

export interface ImportReport {
  imported: number;
  matched: { login: string; manager: string; by: 'config' | 'email' | 'login' }[];
  unmatched: { login: string; name: string | null }[];
}

/**
 * Stores the PBX's users for one account and maps each to a manager: the manager whose pbxLogin is that
 * login (config), else the one with the same e-mail, else the one whose login equals the PBX login.
 * The account's previous import is replaced.
 */
export async function importPbxUsers(
  tx: Sql,
  input: { provider: string; account: string; users: readonly PbxUser[]; now: Date },
  managers: Config['managers'],
): Promise<ImportReport> {
  const report: ImportReport = { imported: 0, matched: [], unmatched: [] };
  const byPbx = new Map(managers.filter((m) => m.pbxLogin).map((m) => [m.pbxLogin!.toLowerCase(), m.login]));
  const byEmail = new Map(managers.filter((m) => m.email).map((m) => [m.email!.toLowerCase(), m.login]));
  const byLogin = new Map(managers.map((m) => [m.login.toLowerCase(), m.login]));
  await tx`DELETE FROM pbx_users WHERE provider = ${input.provider} AND account = ${input.account}`;
  for (const u of input.users) {
    const login = u.login.split('@')[0]!;
    const key = login.toLowerCase();
    let manager: string | undefined;
    let by: ImportReport['matched'][number]['by'] | undefined;
    if (byPbx.has(key)) [manager, by] = [byPbx.get(key), 'config'];
    else if (u.email && byEmail.has(u.email.toLowerCase()))
      [manager, by] = [byEmail.get(u.email.toLowerCase()), 'email'];
    else if (byLogin.has(key)) [manager, by] = [byLogin.get(key), 'login'];
    await tx`
      INSERT INTO pbx_users (provider, account, login, name, ext, email, manager, imported_at)
      VALUES (${input.provider}, ${input.account}, ${login}, ${u.name ?? null}, ${u.ext ?? null},
              ${u.email ?? null}, ${manager ?? null}, ${input.now})
      ON CONFLICT (provider, account, login) DO NOTHING`;
    report.imported++;
    if (manager && by) report.matched.push({ login, manager, by });
    else report.unmatched.push({ login, name: u.name ?? null });
  }
  return report;
}

/** Every imported user with a manager, for the directory. */
export async function importedUsers(sql: Sql): Promise<ImportedPbxUser[]> {
  return sql<ImportedPbxUser[]>`
    SELECT login, manager FROM pbx_users WHERE manager IS NOT NULL ORDER BY imported_at, login`;
}
