import type { Config } from '../config/schema.js';

export interface ImportedPbxUser {
  login: string;
  manager: string | null;
}

/**
 * Which PBX login belongs to which manager. `managers[].pbxLogin` in config wins; users imported from the
 * PBX (matched by e-mail or login, see ./pbx-users.ts) fill the gaps. Logins compare case-insensitively.
 */
export class PbxDirectory {
  private readonly configured = new Map<string, string>();
  private readonly imported = new Map<string, string>();
  private readonly loginOf = new Map<string, string>();
  private readonly importedLoginOf = new Map<string, string>();
  private readonly active = new Set<string>();
  private readonly managerLogins = new Set<string>();

  constructor(managers: Config['managers']) {
    for (const m of managers) {
      this.managerLogins.add(m.login);
      if (m.active) this.active.add(m.login);
      if (m.pbxLogin) {
        this.configured.set(m.pbxLogin.toLowerCase(), m.login);
        this.loginOf.set(m.login, m.pbxLogin);
      }
    }
  }

  /** Replaces what an import learned (called at start and after each import). */
  learn(users: readonly ImportedPbxUser[]): void {
    this.imported.clear();
    this.importedLoginOf.clear();
    for (const u of users) {
      if (!u.manager || !this.managerLogins.has(u.manager)) continue;
      this.imported.set(u.login.toLowerCase(), u.manager);
      if (!this.importedLoginOf.has(u.manager)) this.importedLoginOf.set(u.manager, u.login);
    }
  }

  /** The manager a PBX login belongs to. */
  managerFor(pbxLogin: string | undefined): string | undefined {
    if (!pbxLogin) return undefined;
    const key = pbxLogin.toLowerCase();
    return this.configured.get(key) ?? this.imported.get(key);
  }

  /** The PBX login of an active manager, for routing a call to them; undefined when they have none. */
  pbxLoginFor(manager: string | null | undefined): string | undefined {
    if (!manager || !this.active.has(manager)) return undefined;
    return this.loginOf.get(manager) ?? this.importedLoginOf.get(manager);
  }
}
