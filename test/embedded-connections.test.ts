import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Database, openDatabase } from '../src/db/connect.js';

// The embedded database's two connections share PGlite's one session. pglite-socket (patched) gives it to one
// connection from a statement's Parse to its Sync and from BEGIN to COMMIT; interleaved, they would share
// the unnamed portal and one connection would read the other's rows.
describe('the embedded database with two connections', () => {
  let db: Database;
  beforeAll(async () => {
    db = await openDatabase({});
  });
  afterAll(() => db?.close());

  it('keeps each statement and each transaction of one connection apart from the other', async () => {
    const lookup = db.lookupSql!;
    const wrong: string[] = [];
    const check = async (who: string, q: typeof lookup, i: number) => {
      const [row] = await q<{ v: number; s: string }[]>`SELECT ${i}::int AS v, ${`${who}-${i}`}::text AS s`;
      if (row?.v !== i || row.s !== `${who}-${i}`) wrong.push(`${who} ${i}: ${JSON.stringify(row)}`);
    };
    const work: Promise<unknown>[] = [];
    for (let i = 0; i < 300; i++) {
      work.push(check('ingest', db.sql, i), check('lookup', lookup, i));
      if (i % 20 === 0)
        work.push(
          db.sql.begin(async (tx) => {
            await tx`CREATE TEMP TABLE IF NOT EXISTS t (v int)`;
            await tx`INSERT INTO t VALUES (${i})`;
            const [n] = await tx<{ v: number }[]>`SELECT max(v)::int AS v FROM t`;
            if (n?.v !== i) wrong.push(`transaction ${i}: ${JSON.stringify(n)}`);
            await tx`DELETE FROM t`;
          }),
        );
    }
    await Promise.all(work);
    expect(wrong).toEqual([]);
  });
});
