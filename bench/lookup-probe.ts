/**
 * The contact lookup beside a load step, in a worker thread of its own: the PBX that asks "who is calling"
 * is not the load generator, so its lookups must not wait behind the generator's event loop (a decision
 * batch answers tens of requests at once, and the generator handles their responses in one burst of
 * milliseconds). Started by lookupProbe (lookup.ts); it times, one after another with a pause of `intervalMs`
 * (two loops side by side),
 *  - sql: findIdentities for a random seeded phone, on a database connection of its own,
 *  - pbx: MegaFon's `contact` command through the daemon (its webhook, the lookup's own side pool and budget),
 *    for a random seeded phone, on a keep-alive socket of its own,
 * and posts both summaries when told to stop.
 */
import { randomUUID } from 'node:crypto';
import { parentPort, workerData } from 'node:worker_threads';
import { openDatabase } from '../src/db/connect.js';
import { findIdentities } from '../src/db/repos/identities.js';
import { createClient } from './load.js';
import { mobileDigits, phoneOf } from './seed.js';
import { mulberry32, Samples } from './stats.js';

export interface ProbeData {
  databaseUrl: string;
  ports: number[];
  /** The MegaFon account's crm_token (the API token too: bench/server.ts). */
  token: string;
  pbxAccount: string;
  contacts: number;
  intervalMs: number;
  seed: number;
}

const data = workerData as ProbeData;
const random = mulberry32(data.seed);
const pick = () => Math.floor(random() * data.contacts);
const db = await openDatabase({ url: data.databaseUrl, maxConnections: 1 });
// MegaFon sends no header of its own: the request carries its CRM token in the body alone.
const client = createClient({ ports: data.ports, maxSockets: 1 });
const samples = { sql: new Samples(), pbx: new Samples() };
let emptyAnswers = 0;
let running = true;
const pause = () => new Promise((resolve) => setTimeout(resolve, data.intervalMs));

async function probeSql(): Promise<void> {
  while (running) {
    const t0 = performance.now();
    await findIdentities(db.sql, [{ kind: 'phone', value: phoneOf(pick()) }]);
    samples.sql.add(performance.now() - t0);
    await pause();
  }
}

async function probePbx(): Promise<void> {
  while (running) {
    // As MegaFon sends it (../shared/reference/cloud-pbx-protocols.md, 2.3): form-encoded `cmd`, the caller's
    // number in digits (`7…`), the call's UUID and the CRM token.
    const body = `cmd=contact&phone=79${mobileDigits(pick())}&callid=${randomUUID()}&crm_token=${data.token}`;
    const t0 = performance.now();
    const res = await client.request(
      'POST',
      `/webhooks/megafon/${data.pbxAccount}`,
      body,
      'application/x-www-form-urlencoded',
    );
    samples.pbx.add(performance.now() - t0);
    if (res.status !== 200) throw new Error(`contact command answered ${res.status}: ${res.text}`);
    // Every probed phone is a seeded contact's, whose answer names at least the contact: `{}` means that the
    // lookup ran out of its budget (or failed).
    if (res.text.trim() === '{}') emptyAnswers += 1;
    await pause();
  }
}

// Connected and compiled: the step may start.
await db.sql`SELECT 1`;
parentPort!.postMessage({ ready: true });
const loops = Promise.all([probeSql(), probePbx()]);
parentPort!.once('message', () => {
  running = false;
  loops
    .then(async () => {
      client.close();
      await db.close();
      parentPort!.postMessage({
        ok: true,
        sql: samples.sql.summary(),
        pbx: samples.pbx.summary(),
        emptyAnswers,
      });
    })
    .catch((err: unknown) => parentPort!.postMessage({ ok: false, error: String(err) }));
});
