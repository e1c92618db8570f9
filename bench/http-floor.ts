/**
 * The HTTP floor: what the bench's load generator and a daemon child that does nothing but take the request
 * reach on this machine, with no database and no rules. Issue 18's throughput target compares the whole
 * intake with pgbench's TPC-B transactions; this says how much of two cores the HTTP exchange alone takes.
 *
 *   npx tsx bench/http-floor.ts [--concurrency=1,16,128] [--seconds=10] [--validate=false]
 *
 * (options as `npm run bench` reads them: `--name=value`, or BENCH_NAME in the environment)
 *
 * The child serves `POST /api/v1/inbound` with `@hono/node-server` and hono, as the daemon does: bearer
 * check, the body read and parsed as the route does (`parseStorableJson`), (unless `--validate=false`) the API's
 * own zod schema, and a 200 with a decision-sized JSON answer. The load generator is `bench/load.ts`'s closed loop with `bench/workload.ts`'s events, so the
 * request bodies are the pipeline bench's. CPU per event comes from /proc, as in the pipeline bench.
 */
import { fork } from 'node:child_process';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { serve } from '@hono/node-server';
import { Hono } from 'hono';
import { inboundApiSchema } from '../src/channels/api/schema.js';
import { parseStorableJson } from '../src/core/safe-json.js';
import { cpuSnapshot } from './cpu.js';
import { closedLoop, createClient } from './load.js';
import { optionReader } from './options.js';
import { createWorkload } from './workload.js';

const TOKEN = 'bench-floor-token';

async function serveFloor(validate: boolean): Promise<void> {
  const app = new Hono();
  app.post('/api/v1/inbound', async (c) => {
    if (c.req.header('authorization') !== `Bearer ${TOKEN}`) return c.json({ error: 'unauthorized' }, 401);
    const raw = new Uint8Array(await c.req.arrayBuffer());
    const parsed = parseStorableJson(raw);
    if (!parsed.ok) return c.json({ error: 'invalid_json' }, 400);
    if (validate && !inboundApiSchema.safeParse(parsed.value).success)
      return c.json({ error: 'invalid' }, 400);
    const eventId = '00000000-0000-4000-8000-000000000000';
    return c.json({ eventId, decision: { kind: 'new_lead', contactId: eventId, leadId: eventId } }, 200);
  });
  const server = serve({ fetch: app.fetch, hostname: '127.0.0.1', port: 0 });
  await new Promise<void>((resolve) => server.once('listening', resolve));
  process.send?.({ port: (server.address() as AddressInfo).port });
}

async function main(): Promise<void> {
  if (process.env.BENCH_FLOOR_CHILD) return serveFloor(process.env.BENCH_FLOOR_VALIDATE !== 'false');
  const options = optionReader(process.argv.slice(2), process.env);
  const levels = options.list('concurrency', [1, 16, 128]);
  const seconds = options.num('seconds', 10);
  const validate = options.flag('validate', true);
  const child = fork(fileURLToPath(import.meta.url), [], {
    execArgv: process.execArgv,
    env: { ...process.env, BENCH_FLOOR_CHILD: '1', BENCH_FLOOR_VALIDATE: String(validate) },
  });
  const { port } = await new Promise<{ port: number }>((resolve) =>
    child.once('message', (m) => resolve(m as never)),
  );
  const client = createClient({ ports: [port], token: TOKEN, maxSockets: 256 });
  const workload = createWorkload({ contacts: 1_000_000, seed: 7, runId: 'floor' });
  try {
    for (const concurrency of levels) {
      const before = await cpuSnapshot(undefined, [child.pid!]);
      const step = await closedLoop(client, () => workload.next(), {
        concurrency,
        warmupMs: 0,
        durationMs: seconds * 1000,
      });
      const after = await cpuSnapshot(undefined, [child.pid!]);
      // Three decimals: cpuPerEvent's two would round these figures to 0.03 or 0.04.
      const perRequest = (ms: number) => (ms / step.completed).toFixed(3);
      console.log(
        `[floor] validate=${validate} closed ${concurrency}: ${step.eventsPerSecond} req/s, p50 ${step.latency.p50} p99 ${step.latency.p99} ms, ` +
          `CPU ms/request server ${perRequest(after.daemon! - before.daemon!)} client ${perRequest(after.client - before.client)}, errors ${step.errors}`,
      );
    }
  } finally {
    client.close();
    child.kill();
  }
}

await main();
