import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { APPLICATION_NAME } from '../src/db/connect.js';
import { endStuckSessions } from '../src/db/stuck-sessions.js';
import { openTestDatabase, type TestDatabase } from './support/db.js';

/**
 * A raw protocol session as postgres.js leaves one after a restart: startup, then Parse/Describe/Flush of a
 * statement with a parameter, and never the Bind that should follow. Resolves once the server answered the
 * Describe (the session is then `active`, waiting for the client); `closed` resolves when the server ends it.
 */
async function halfSentSession(url: string, applicationName: string) {
  const u = new URL(url);
  const socket = net.connect(Number(u.port || 5432), u.hostname);
  const message = (type: string, body: Buffer) => {
    const b = Buffer.alloc(5 + body.length);
    b.write(type, 0);
    b.writeInt32BE(4 + body.length, 1);
    body.copy(b, 5);
    return b;
  };
  const cstr = (x: string) => Buffer.from(`${x}\0`);
  const params = Buffer.concat([
    Buffer.from([0, 3, 0, 0]),
    cstr('user'),
    cstr(decodeURIComponent(u.username) || 'postgres'),
    cstr('database'),
    cstr(u.pathname.slice(1)),
    cstr('application_name'),
    cstr(applicationName),
    Buffer.from([0]),
  ]);
  const startup = Buffer.alloc(4 + params.length);
  startup.writeInt32BE(4 + params.length, 0);
  params.copy(startup, 4);
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  socket.on('error', () => {});
  const described = new Promise<void>((resolve, reject) => {
    let sent = false;
    socket.on('data', (d) => {
      for (let i = 0; i < d.length; ) {
        const type = String.fromCharCode(d[i]!);
        const len = d.readInt32BE(i + 1);
        if (type === 'E') reject(new Error(d.subarray(i + 5, i + 1 + len).toString()));
        if (type === 'Z' && !sent) {
          sent = true;
          const parse = Buffer.concat([cstr('s1'), cstr('SELECT $1::int + 1'), Buffer.from([0, 0])]);
          socket.write(
            Buffer.concat([
              message('P', parse),
              message('D', Buffer.concat([Buffer.from('S'), cstr('s1')])),
              message('H', Buffer.alloc(0)),
            ]),
          );
        }
        if (type === 't') resolve();
        i += 1 + len;
      }
    });
  });
  socket.write(startup);
  await described;
  return { closed, end: () => socket.destroy() };
}

// A PostgreSQL restart can leave a pool connection in a half-sent statement (issue 18): the janitor ends it.
describe('stuck session janitor', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await openTestDatabase('postgres');
  });
  afterAll(() => db?.close());

  it('ends our own sessions stuck in a half-sent statement, and nothing else', async () => {
    const stuck = await halfSentSession(db.url!, APPLICATION_NAME);
    // Someone else's session in the same state, and our own pool's idle connections, are left alone.
    const foreign = await halfSentSession(db.url!, 'another-application');
    try {
      const [row] = await db.sql<{ state: string; waitEvent: string }[]>`
        SELECT state, wait_event FROM pg_stat_activity
        WHERE datname = current_database() AND application_name = ${APPLICATION_NAME} AND pid <> pg_backend_pid()
          AND query LIKE 'SELECT $1::int%'`;
      expect(row).toEqual({ state: 'active', waitEvent: 'ClientRead' });
      // Not stuck long enough yet.
      expect(await endStuckSessions(db.sql, 60_000)).toBe(0);
      await new Promise((r) => setTimeout(r, 300));
      expect(await endStuckSessions(db.sql, 100)).toBe(1);
      await stuck.closed;
      const [alive] = await db.sql<{ n: number }[]>`
        SELECT count(*)::int AS n FROM pg_stat_activity
        WHERE datname = current_database() AND application_name = 'another-application'`;
      expect(alive!.n).toBe(1);
      // The pool still works.
      expect(await db.sql`SELECT 1 AS one`).toEqual([{ one: 1 }]);
    } finally {
      stuck.end();
      foreign.end();
    }
  });
});
