/** Where the real PostgreSQL of the test machine is; tests create and drop their own databases there. */
export const ADMIN_URL = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

export type Backend = 'postgres' | 'embedded';

/** SWITCHBOARD_TEST_DB=postgres|embedded narrows the run; by default every database test runs on both. */
export function backends(): Backend[] {
  const only = process.env.SWITCHBOARD_TEST_DB;
  if (only === 'postgres' || only === 'embedded') return [only];
  return ['postgres', 'embedded'];
}

export function databaseUrl(name: string): string {
  const u = new URL(ADMIN_URL);
  u.pathname = `/${name}`;
  return u.toString();
}
