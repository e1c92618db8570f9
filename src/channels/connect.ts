import { fileURLToPath } from 'node:url';
import postgres from 'postgres';
import { loadSettings } from '../config/load.js';
import { systemClock } from '../core/clock.js';
import { errorMessage } from '../core/errors.js';
import { silentLogger } from '../observability/logger.js';
import { createMetrics } from '../observability/metrics.js';
import { createPipeline } from '../pipeline.js';
import type { ChannelModule, ConnectReport } from './channel.js';

/**
 * `npm run channels:connect -- <channel> <account>`: registers the account's webhook with its provider (VK:
 * prints the Callback API setup and checks the confirmation string; Avito: subscribes; Viber: set_webhook)
 * and prints what the provider answered. Dispatches to the channel module's optional `connect()`.
 */
export async function connectChannel(
  modules: readonly ChannelModule[],
  channel: string | undefined,
  account: string | undefined,
  publicUrl: string,
): Promise<ConnectReport> {
  const connectable = modules.filter((m) => m.connect).map((m) => m.name);
  if (!channel || !account)
    return { ok: false, lines: [`usage: npm run channels:connect -- <${connectable.join('|')}> <account>`] };
  const module = modules.find((m) => m.name === channel);
  if (!module)
    return {
      ok: false,
      lines: [`unknown channel "${channel}" (known: ${modules.map((m) => m.name).join(', ')})`],
    };
  if (!module.connect)
    return {
      ok: false,
      lines: [`the ${channel} channel has nothing to register (connectable: ${connectable.join(', ')})`],
    };
  try {
    return await module.connect(account, { publicUrl });
  } catch (err) {
    return { ok: false, lines: [`${channel}: ${errorMessage(err)}`] };
  }
}

async function main(argv: string[]): Promise<number> {
  const settings = await loadSettings(process.env);
  // Building the channels opens nothing: the database client connects on first query, and connect() never queries.
  const sql = postgres(settings.databaseUrl ?? 'postgres://127.0.0.1:1/unused', { max: 1 });
  try {
    const { channels } = createPipeline({
      sql,
      config: settings.config,
      clock: systemClock,
      log: silentLogger,
      metrics: createMetrics(),
    });
    const report = await connectChannel(channels, argv[0], argv[1], settings.config.server.publicUrl);
    for (const line of report.lines) process.stdout.write(`${line}\n`);
    return report.ok ? 0 : 1;
  } finally {
    await sql.end({ timeout: 1 });
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url))
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (err: Error) => {
      process.stderr.write(`channels:connect: ${err.message}\n`);
      process.exit(2);
    },
  );
