import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newId } from '../src/core/ids.js';
import { openTestDatabase, type TestDatabase } from './support/db.js';
import { backends } from './support/pg.js';

const V7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
/** The milliseconds since the epoch that a UUIDv7 carries in its first 48 bits. */
const msOf = (id: string) => Number.parseInt(id.replaceAll('-', '').slice(0, 12), 16);

describe('row ids', () => {
  it('the daemon makes UUIDv7 ids: the time first, so ids of rows made later sort later', async () => {
    const before = Date.now();
    const ids = Array.from({ length: 2_000 }, () => newId());
    for (const id of ids) expect(id).toMatch(V7);
    expect(new Set(ids).size).toBe(ids.length);
    const times = ids.map(msOf);
    expect(times[0]).toBeGreaterThanOrEqual(before);
    expect(times.at(-1)).toBeLessThanOrEqual(Date.now());
    expect([...times].sort((a, b) => a - b)).toEqual(times);
    // A millisecond later, every new id sorts after every earlier one.
    await new Promise((resolve) => setTimeout(resolve, 2));
    const later = newId();
    expect(ids.every((id) => id < later)).toBe(true);
  });
});

describe.each(backends())('row ids made by the database, on %s', (backend) => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await openTestDatabase(backend);
  });
  afterAll(() => db?.close());

  it('uuid_v7() has the same layout, and is the default of the tables a decision writes', async () => {
    const [row] = await db.sql<{ id: string; at: Date }[]>`
      INSERT INTO contacts (name, status) VALUES ('x', 'prospect') RETURNING id, created_at AS at`;
    expect(row!.id).toMatch(V7);
    expect(Math.abs(msOf(row!.id) - row!.at.getTime())).toBeLessThan(5_000);
    const made = await db.sql<{ id: string }[]>`SELECT uuid_v7()::text AS id FROM generate_series(1, 50)`;
    for (const { id } of made) expect(id).toMatch(V7);
    expect(new Set(made.map((r) => r.id)).size).toBe(50);
  });
});
