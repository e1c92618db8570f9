import type { Sql } from 'postgres';
import { errorMessage } from '../core/errors.js';
import { type IdentityPolicy, normalizeIdentity } from '../identity/identity.js';
import type { Logger } from '../observability/logger.js';
import type { PbxDirectory } from './directory.js';

/** What the PBX is told while the phone rings: the name for the display and whom to ring first. */
export interface ContactAnswer {
  contactName?: string;
  /** The PBX login of the client's responsible manager. */
  responsible?: string;
}

export type LookupOutcome =
  | { outcome: 'found'; answer: ContactAnswer; source: ResponsibleSource | null }
  | { outcome: 'unknown' | 'not_a_number' | 'timeout' | 'error' };

/** Where the responsible manager came from, in the order they are tried. */
export type ResponsibleSource = 'deal' | 'lead' | 'contact' | 'company';

interface Row {
  name: string | null;
  companyName: string | null;
  dealResponsible: string | null;
  leadResponsible: string | null;
  contactResponsible: string | null;
  companyResponsible: string | null;
}

export interface ContactLookupDeps {
  sql: Sql;
  /**
   * A path of its own, so ingest work queued on `sql` cannot starve the lookup: a side pool on server
   * PostgreSQL, the second connection on the embedded database. Absent: `sql`.
   */
  lookupSql?: Sql;
  /**
   * The lookup connections carry statement_timeout = budget from their start (server side pool): one round
   * trip per lookup. Otherwise (the embedded database's session is shared) a transaction sets it locally.
   */
  sessionTimeout?: boolean;
  policy: IdentityPolicy;
  directory: PbxDirectory;
  log: Logger;
  budgetMs: number;
}

/**
 * The synchronous "who is calling" lookup: one indexed query (identities(kind, value) -> contact, company,
 * its most recent active deal and its open lead). The responsible manager is the one working the client now:
 * the active deal's, else the open lead's assignee, else the contact's, else the company's; the first who is
 * an active manager with a PBX login wins. Bounded twice: a statement_timeout in the database and a race
 * against the budget here, so a slow database yields {} (the PBX dials by its own plan) instead of a caller
 * waiting on silence.
 */
export function createContactLookup(deps: ContactLookupDeps) {
  return async function lookup(phone: string): Promise<LookupOutcome> {
    const r = normalizeIdentity({ kind: 'phone', value: phone }, deps.policy);
    if (!r.ok) return { outcome: 'not_a_number' };
    const value = r.identity.value;
    const select = (q: Sql) => q<Row[]>`
      SELECT c.name, co.name AS company_name, c.responsible AS contact_responsible,
             co.responsible AS company_responsible,
             (SELECT d.responsible FROM deals d WHERE d.contact_id = c.id AND d.status = 'active'
               ORDER BY d.updated_at DESC LIMIT 1) AS deal_responsible,
             (SELECT l.responsible FROM leads l WHERE l.contact_id = c.id AND l.status IN ('new', 'in_progress')
               LIMIT 1) AS lead_responsible
      FROM identities i
      JOIN contacts c ON c.id = i.contact_id
      LEFT JOIN companies co ON co.id = c.company_id
      WHERE i.kind = 'phone' AND i.value = ${value} AND i.verified`;
    const sql = deps.lookupSql ?? deps.sql;
    const query = deps.sessionTimeout
      ? select(sql).then((rows) => ({ rows }))
      : // Both statements go out in one pipeline: BEGIN, (timeout + lookup), COMMIT is three round trips.
        sql
          .begin((tx) => [
            tx`SELECT set_config('statement_timeout', ${String(deps.budgetMs + 200)}, true)`,
            select(tx as unknown as Sql),
          ])
          .then(([, rows]) => ({ rows: rows as unknown as Row[] }));
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), deps.budgetMs);
    });
    try {
      const won = await Promise.race([query, timeout]);
      if (won === 'timeout') {
        // The query finishes or is cancelled by statement_timeout on its own; its result is dropped.
        query.catch(() => {});
        deps.log.warn({ budgetMs: deps.budgetMs }, 'contact lookup over budget: answered {}');
        return { outcome: 'timeout' };
      }
      const row = won.rows[0];
      if (!row) return { outcome: 'unknown' };
      return answerFor(row, deps.directory);
    } catch (err) {
      deps.log.warn({ err: errorMessage(err) }, 'contact lookup failed: answered {}');
      return { outcome: 'error' };
    } finally {
      clearTimeout(timer);
    }
  };
}

function answerFor(row: Row, directory: PbxDirectory): LookupOutcome {
  const candidates: [ResponsibleSource, string | null][] = [
    ['deal', row.dealResponsible],
    ['lead', row.leadResponsible],
    ['contact', row.contactResponsible],
    ['company', row.companyResponsible],
  ];
  let responsible: string | undefined;
  let source: ResponsibleSource | null = null;
  for (const [from, manager] of candidates) {
    const login = directory.pbxLoginFor(manager);
    if (login) {
      responsible = login;
      source = from;
      break;
    }
  }
  const parts = [row.companyName?.trim(), row.name?.trim()].filter((s): s is string => !!s);
  const name = [...new Set(parts)].join(' — ');
  return {
    outcome: 'found',
    answer: { ...(name ? { contactName: name } : {}), ...(responsible ? { responsible } : {}) },
    source,
  };
}

export type ContactLookup = ReturnType<typeof createContactLookup>;
