import { createServer, type Server, Socket } from 'node:net';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_URL } from './support/pg.js';

/**
 * postgres.js as patched (patches/postgres+3.4.9.patch): a transaction's BEGIN is not awaited on its own, the
 * callback's first statements go out right behind it; a statement handed to a transaction's handle after its
 * COMMIT or ROLLBACK is refused instead of running in autocommit. Checked against the real server through a
 * loopback proxy that counts what the client writes.
 */
describe('transactions (postgres.js, patched)', () => {
  let proxy: Server;
  let sql: postgres.Sql;
  /** Writes from the client to the server, counted by the proxy. */
  let writes = 0;

  beforeAll(async () => {
    const target = new URL(ADMIN_URL);
    proxy = createServer((client) => {
      const server = new Socket();
      server.connect(Number(target.port || 5432), target.hostname);
      client.on('data', (chunk) => {
        writes++;
        server.write(chunk);
      });
      server.on('data', (chunk) => client.write(chunk));
      client.on('close', () => server.destroy());
      server.on('close', () => client.destroy());
      client.on('error', () => server.destroy());
      server.on('error', () => client.destroy());
    });
    await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
    const port = (proxy.address() as { port: number }).port;
    const url = new URL(ADMIN_URL);
    url.hostname = '127.0.0.1';
    url.port = String(port);
    sql = postgres(url.toString(), { max: 1, onnotice: () => {} });
    await sql`SELECT 1`; // Connected, and the startup exchange is over.
  });
  afterAll(async () => {
    await sql?.end();
    await new Promise((resolve) => proxy?.close(resolve));
  });

  it('the first statements ride with the BEGIN, and run inside the transaction', async () => {
    const transaction = () =>
      sql.begin(async (tx) => {
        // Both issued at once: they go out with the BEGIN, in one write.
        const [[x], [y]] = await Promise.all([
          tx<{ id: string }[]>`SELECT txid_current()::text AS id`,
          tx<{ id: string }[]>`SELECT txid_current()::text AS id, 2 AS second`,
        ]);
        return [x!.id, y!.id];
      });
    await transaction(); // The statements' first use on the connection prepares them (a round trip each).
    writes = 0;
    const [a, b] = await transaction();
    // One transaction id: both ran after the BEGIN, in its transaction.
    expect(a).toBe(b);
    // BEGIN with the statements, then COMMIT: two writes (three when BEGIN waits for its own answer).
    expect(writes).toBe(2);
  });

  it("a query waiting for the pool never runs inside another caller's transaction", async () => {
    // One connection, busy; a transaction and a plain query wait for it, in that order. When it frees, the
    // transaction's BEGIN goes out first: the plain query must wait for its COMMIT, not ride behind the BEGIN.
    const busy = sql`SELECT pg_sleep(0.2)`;
    const inTransaction = sql.begin(async (tx) => {
      const [row] = await tx<{ id: string }[]>`SELECT txid_current()::text AS id`;
      await new Promise((resolve) => setTimeout(resolve, 100));
      return row!.id;
    });
    const outside = sql<{ id: string }[]>`SELECT txid_current()::text AS id`;
    const [, a, [b]] = await Promise.all([busy, inTransaction, outside]);
    expect(b!.id).not.toBe(a);
  });

  it('a statement that fails undoes the ones before it, the first one included', async () => {
    await sql`CREATE TEMP TABLE IF NOT EXISTS driver_t (v int)`;
    await expect(
      sql.begin(async (tx) => {
        await tx`INSERT INTO driver_t VALUES (1)`;
        await tx`SELECT 1 / 0`;
      }),
    ).rejects.toThrow(/division by zero/);
    const [row] = await sql<{ n: number }[]>`SELECT count(*)::int AS n FROM driver_t`;
    expect(row!.n).toBe(0);
    // And the connection is usable again.
    expect(await sql.begin((tx) => tx`SELECT 2 AS v`)).toEqual([{ v: 2 }]);
  });

  it('a statement on the handle of a committed transaction is refused, not run', async () => {
    await sql`CREATE TEMP TABLE IF NOT EXISTS driver_t (v int)`;
    let handle: postgres.TransactionSql | undefined;
    await sql.begin(async (tx) => {
      handle = tx;
      await tx`INSERT INTO driver_t VALUES (7)`;
    });
    await expect(handle!`INSERT INTO driver_t VALUES (7)`).rejects.toMatchObject({
      code: 'TRANSACTION_ENDED',
    });
    // Fired and forgotten: refused as well, and not an unhandled rejection (which would fail this file).
    handle!`INSERT INTO driver_t VALUES (7)`.execute();
    await new Promise((resolve) => setTimeout(resolve, 20));
    const [row] = await sql<{ n: number }[]>`SELECT count(*)::int AS n FROM driver_t WHERE v = 7`;
    expect(row!.n).toBe(1);
  });

  it("a rolled-back transaction's late statement never runs outside it", async () => {
    // The callback fails while a chain of its own is still waiting for a read; the chain's write comes after
    // the ROLLBACK. Unpatched, the driver ran it in autocommit on the connection (and committed it).
    await sql`CREATE TEMP TABLE IF NOT EXISTS driver_t (v int)`;
    let late: Promise<unknown> | undefined;
    await expect(
      sql.begin(async (tx) => {
        late = tx`SELECT pg_sleep(0.05)`.then(() => tx`INSERT INTO driver_t VALUES (8)`);
        late.catch(() => {});
        throw new Error('the callback failed');
      }),
    ).rejects.toThrow('the callback failed');
    await expect(late).rejects.toMatchObject({ code: 'TRANSACTION_ENDED' });
    const [row] = await sql<{ n: number }[]>`SELECT count(*)::int AS n FROM driver_t WHERE v = 8`;
    expect(row!.n).toBe(0);
    // Statements handed over before the COMMIT, unawaited, still run ahead of it, inside the transaction.
    await sql.begin(async (tx) => {
      tx`INSERT INTO driver_t VALUES (9)`.execute();
    });
    const [nine] = await sql<{ n: number }[]>`SELECT count(*)::int AS n FROM driver_t WHERE v = 9`;
    expect(nine!.n).toBe(1);
  });

  it('a BEGIN with options is awaited: when it fails, nothing of the callback runs', async () => {
    await sql`CREATE TEMP TABLE IF NOT EXISTS driver_t (v int)`;
    let ran = false;
    await expect(
      sql.begin('bogus', async (tx) => {
        ran = true;
        await tx`INSERT INTO driver_t VALUES (10)`;
      }),
    ).rejects.toThrow(/syntax error/);
    // Pipelined behind the failed BEGIN, the insert would have run on its own, in autocommit.
    expect(ran).toBe(false);
    const [row] = await sql<{ n: number }[]>`SELECT count(*)::int AS n FROM driver_t WHERE v = 10`;
    expect(row!.n).toBe(0);
    // A valid one works, and its options hold.
    expect(
      await sql.begin('read only', (tx) => tx`SELECT current_setting('transaction_read_only') AS ro`),
    ).toEqual([{ ro: 'on' }]);
  });

  it('a transaction whose connection was lost refuses statements on its handle', async () => {
    const admin = postgres(ADMIN_URL, { max: 1, onnotice: () => {} });
    try {
      // Wrapped: a promise resolved with the statement itself would take on its rejection.
      let handOver: (late: { statement: Promise<unknown> }) => void = () => {};
      const lateStatement = new Promise<{ statement: Promise<unknown> }>((resolve) => (handOver = resolve));
      const transaction = sql.begin(async (tx) => {
        const [me] = await tx<{ pid: number }[]>`SELECT pg_backend_pid() AS pid`;
        await admin`SELECT pg_terminate_backend(${me!.pid})`;
        // Meanwhile the pool's one connection reconnects for another caller's query.
        await new Promise((resolve) => setTimeout(resolve, 200));
        await sql`SELECT 1`;
        const late = tx<{ pid: number }[]>`SELECT pg_backend_pid() AS pid`;
        late.catch(() => {});
        handOver({ statement: late });
      });
      await expect(transaction).rejects.toBeDefined();
      // Unpatched, it ran on the reconnected connection, outside any transaction.
      await expect((await lateStatement).statement).rejects.toMatchObject({ code: 'TRANSACTION_ENDED' });
    } finally {
      await admin.end();
    }
  });
});
