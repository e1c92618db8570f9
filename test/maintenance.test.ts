import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HOT_TABLES, lacksAutovacuum, maintenanceWorker, vacuumHotTables } from '../src/db/maintenance.js';
import { silentLogger } from '../src/observability/logger.js';
import { openTestDatabase, type TestDatabase } from './support/db.js';
import { backends } from './support/pg.js';

describe.each(backends())('maintenance where nothing vacuums, on %s', (backend) => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await openTestDatabase(backend);
  });
  afterAll(() => db?.close());

  /** What the planner knows of a table's size: -1 until it was first vacuumed or analyzed. */
  const reltuples = async (table: string) => {
    const [row] = await db.sql<{ n: number }[]>`
      SELECT reltuples::float8 AS n FROM pg_class WHERE oid = ${table}::regclass`;
    return row!.n;
  };
  const addContacts = (n: number) =>
    db.sql`INSERT INTO contacts (id, name, status) SELECT gen_random_uuid(), 'x', 'prospect' FROM generate_series(1, ${n})`;

  // (On a server the answer is its `autovacuum` setting, which a test cannot change.)
  it.runIf(backend === 'embedded')('the embedded database counts as one without autovacuum', async () => {
    expect(await lacksAutovacuum(db.sql, 'embedded')).toBe(true);
  });

  it('a pass gives the planner the hot tables as they are now', async () => {
    await addContacts(3_000);
    await vacuumHotTables(db.sql);
    expect(await reltuples('contacts')).toBeGreaterThanOrEqual(3_000);
    // Every hot table was analyzed (the statistics reach other sessions within a second or so).
    const analyzed = async () => {
      const rows = await db.sql<{ relname: string }[]>`
        SELECT relname FROM pg_stat_user_tables
        WHERE relname = ANY(${[...HOT_TABLES]}::text[]) AND last_analyze IS NOT NULL`;
      return rows.map((r) => r.relname).sort();
    };
    await expect.poll(analyzed, { timeout: 10_000 }).toEqual([...HOT_TABLES].sort());
  });

  it('the worker runs its first pass after its delay, and then every interval', async () => {
    await addContacts(2_000);
    const before = await reltuples('contacts');
    const worker = maintenanceWorker(db.sql, silentLogger, { intervalMs: 60_000, firstAfterMs: 20 });
    worker.start();
    try {
      await expect
        .poll(() => reltuples('contacts'), { timeout: 10_000 })
        .toBeGreaterThanOrEqual(before + 2_000);
    } finally {
      await worker.stop();
    }
  });
});
