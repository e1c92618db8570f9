import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import type { Sql } from 'postgres';

/**
 * The seeded population. Contact i has the phone `phoneOf(i)` and the email `emailOf(i)`; its history is
 * fixed by `planOf(i)` so that inbound events for random contacts exercise every lead rule:
 *  deal (10%): a client with an active deal -> rule 4;   open (15%): a prospect with an open lead -> rule 5
 *  client (10%): a client with a won deal, no open lead -> rule 6;   prospect (65%): nothing yet -> rule 7
 */
export type ContactPlan = 'deal' | 'client' | 'open' | 'prospect';

export function planOf(i: number): ContactPlan {
  const bucket = i % 20;
  return bucket < 2 ? 'deal' : bucket < 4 ? 'client' : bucket < 7 ? 'open' : 'prospect';
}

/** Nine national digits after +79, unique for every i < 1e9 (a multiplier coprime with 1e9 spreads them). */
export function mobileDigits(i: number): string {
  return String((i * 387_420_489 + 12_345) % 1_000_000_000).padStart(9, '0');
}

export const phoneOf = (i: number): string => `+79${mobileDigits(i)}`;
export const emailOf = (i: number): string => `client${i}@example${i % 97}.ru`;

export interface SeedResult {
  contacts: number;
  identities: number;
  deals: number;
  leads: number;
  loadMs: number;
  analyzeMs: number;
}

const RESPONSIBLES = ['ivanov', 'petrova', 'sidorov', null] as const;
const CHUNK_ROWS = 5_000;

/**
 * Loads `count` contacts with a phone and an email each, plus their deals and leads, by COPY. Foreign-key
 * triggers are skipped for the load (session_replication_role = replica): the generated rows are consistent
 * by construction, and the checks would only slow the load, not change the data. ANALYZE afterwards.
 * `via: 'insert'` (the embedded database): COPY FROM STDIN hangs through pglite-socket, so the same rows go in
 * as one INSERT per chunk instead.
 */
export async function seed(
  sql: Sql,
  count: number,
  log: (line: string) => void,
  via: 'copy' | 'insert' = 'copy',
): Promise<SeedResult> {
  const copy = via === 'copy' ? copyRows : insertRows;
  const started = performance.now();
  const ids = Array.from({ length: count }, () => randomUUID());
  const since = Date.now() - 400 * 86_400_000;
  const at = (i: number) => new Date(since + (i % 397) * 86_400_000).toISOString();

  await copy(sql, 'contacts (id, name, status, responsible, created_at, updated_at)', count, (i) => {
    const plan = planOf(i);
    const status = plan === 'deal' || plan === 'client' ? 'client' : 'prospect';
    const responsible = status === 'client' ? RESPONSIBLES[i % RESPONSIBLES.length] : null;
    return `${ids[i]}\tКлиент ${i}\t${status}\t${responsible ?? '\\N'}\t${at(i)}\t${at(i)}\n`;
  });
  log(`contacts loaded (${ms(started)})`);

  const dealIndexes = indexesWhere(count, (p) => p === 'deal' || p === 'client');
  const leadIndexes = indexesWhere(count, (p) => p === 'open');
  await Promise.all([
    copy(sql, 'identities (contact_id, kind, value, verified, source, created_at)', count * 2, (n) => {
      const i = n >> 1;
      return n % 2 === 0
        ? `${ids[i]}\tphone\t${phoneOf(i)}\tt\tcrm\t${at(i)}\n`
        : `${ids[i]}\temail\t${emailOf(i)}\tt\tcrm\t${at(i)}\n`;
    }),
    copy(
      sql,
      'deals (external_id, contact_id, title, stage, status, responsible, created_at, updated_at)',
      dealIndexes.length,
      (n) => {
        const i = dealIndexes[n]!;
        const active = planOf(i) === 'deal';
        return `D-${i}\t${ids[i]}\tСтолы для кафе\t${active ? 'Согласование' : 'Оплачено'}\t${active ? 'active' : 'won'}\t${RESPONSIBLES[i % 3]}\t${at(i)}\t${at(i)}\n`;
      },
    ),
    copy(
      sql,
      'leads (contact_id, kind, status, channel, account, team, first_contact_at, created_at)',
      leadIndexes.length,
      (n) => {
        const i = leadIndexes[n]!;
        return `${ids[i]}\tnew\t${i % 2 ? 'new' : 'in_progress'}\twebform\tsite\tretail\t${at(i)}\t${at(i)}\n`;
      },
    ),
  ]);
  const loadMs = performance.now() - started;
  log(`identities, deals, leads loaded (${ms(started)})`);
  const analyzeStarted = performance.now();
  await sql`VACUUM (ANALYZE) contacts, identities, deals, leads`;
  return {
    contacts: count,
    identities: count * 2,
    deals: dealIndexes.length,
    leads: leadIndexes.length,
    loadMs: Math.round(loadMs),
    analyzeMs: Math.round(performance.now() - analyzeStarted),
  };
}

function indexesWhere(count: number, pick: (plan: ContactPlan) => boolean): Uint32Array {
  const out: number[] = [];
  for (let i = 0; i < count; i++) if (pick(planOf(i))) out.push(i);
  return Uint32Array.from(out);
}

/** COPY FROM STDIN on a reserved connection, written in chunks with backpressure. */
async function copyRows(sql: Sql, target: string, rows: number, line: (n: number) => string): Promise<void> {
  const conn = await sql.reserve();
  try {
    await conn`SET session_replication_role = replica`;
    const stream = await conn.unsafe(`COPY ${target} FROM STDIN`).writable();
    for (let n = 0; n < rows; ) {
      let chunk = '';
      for (const end = Math.min(rows, n + CHUNK_ROWS); n < end; n++) chunk += line(n);
      if (!stream.write(chunk)) await once(stream, 'drain');
    }
    await new Promise<void>((resolve, reject) => {
      stream.once('error', reject);
      stream.end(resolve);
    });
  } finally {
    await conn`RESET session_replication_role`.catch(() => {});
    conn.release();
  }
}

/**
 * The rows of `copyRows` (COPY text format: tab-separated, `\N` for NULL) as one INSERT per chunk, each value
 * converted by json_populate_recordset to its column's type the way COPY converts it.
 */
async function insertRows(
  sql: Sql,
  target: string,
  rows: number,
  line: (n: number) => string,
): Promise<void> {
  const m = /^(\w+) \((.*)\)$/.exec(target);
  if (!m) throw new Error(`seed: unexpected target "${target}"`);
  const [, table, list] = m as unknown as [string, string, string];
  const columns = list.split(', ');
  const conn = await sql.reserve();
  try {
    await conn`SET session_replication_role = replica`;
    for (let n = 0; n < rows; ) {
      const chunk: Record<string, string | null>[] = [];
      for (const end = Math.min(rows, n + CHUNK_ROWS); n < end; n++) {
        const values = line(n).slice(0, -1).split('\t');
        chunk.push(Object.fromEntries(columns.map((c, k) => [c, values[k] === '\\N' ? null : values[k]!])));
      }
      await conn.unsafe(
        `INSERT INTO ${table} (${list}) SELECT ${list} FROM json_populate_recordset(NULL::${table}, $1::text::json)`,
        [JSON.stringify(chunk)],
      );
    }
  } finally {
    await conn`RESET session_replication_role`.catch(() => {});
    conn.release();
  }
}

const ms = (since: number) => `${((performance.now() - since) / 1000).toFixed(1)} s`;
