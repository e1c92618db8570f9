import { pathToFileURL } from 'node:url';
import postgres from 'postgres';
import { loadSettings } from '../config/load.js';
import type { Config } from '../config/schema.js';
import { systemClock } from '../core/clock.js';
import { ConfigError, errorMessage } from '../core/errors.js';
import { silentLogger } from '../observability/logger.js';
import { createMetrics } from '../observability/metrics.js';
import { createPipeline } from '../pipeline.js';
import type { ChannelDefinition, ChannelModule, ConnectReport } from './channel.js';
import { CHANNELS } from './index.js';

/**
 * `npm run channels:connect -- <channel> <account>`: registers one account's webhook with its provider and
 * prints what the provider answered. Two kinds of channels connect:
 * - a channel definition's `connect` (Telegram setWebhook, MAX POST /subscriptions) gets the config only and
 *   its answer is printed as JSON;
 * - otherwise the channel module's optional `connect()` (VK: prints the Callback API setup and checks the
 *   confirmation string; Avito: subscribes; Viber: set_webhook), which prints report lines.
 * Reads the same config as the daemon (SWITCHBOARD_CONFIG and the environment); needs no database.
 */

/** Dispatches to the channel module's optional `connect()`. */
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

/**
 * Registers one account with its provider, as the command does: the definition's `connect` (its answer as
 * JSON lines) first, else the module's `connect()`. Never throws: a refusal is `ok: false` with the reason.
 * Used by the command, `POST /api/v1/channels/{channel}/{account}/connect` and the admin page's «Подключить».
 */
export async function connectAccount(input: {
  definitions: readonly ChannelDefinition[];
  modules: readonly ChannelModule[];
  config: Config;
  channel: string;
  account: string;
}): Promise<ConnectReport> {
  const definition = input.definitions.find((d) => d.name === input.channel);
  if (definition?.connect) {
    try {
      const answer = await definition.connect({ config: input.config, account: input.account });
      return { ok: true, lines: JSON.stringify(answer, null, 2).split('\n') };
    } catch (err) {
      return { ok: false, lines: [`${input.channel}: ${errorMessage(err)}`] };
    }
  }
  return connectChannel(input.modules, input.channel, input.account, input.config.server.publicUrl);
}

const USAGE_EXIT = 64;

function usage(detail?: string): number {
  if (detail) process.stderr.write(`${detail}\n`);
  process.stderr.write(
    `usage: npm run channels:connect -- <channel> <account> (channels: ${CHANNELS.map((c) => c.name).join(', ')})\n`,
  );
  return USAGE_EXIT;
}

/** The command: the definition's `connect` first, else the module's `connect()`. Returns the exit code. */
export async function runConnect(argv: readonly string[], env: NodeJS.ProcessEnv): Promise<number> {
  const [channelName, account] = argv;
  const definition = CHANNELS.find((c) => c.name === channelName);
  if (!channelName || !account || !definition) return usage();
  if ('connect' in definition && definition.connect) {
    try {
      const { config } = await loadSettings(env);
      const answer = await definition.connect({ config, account });
      process.stdout.write(`${JSON.stringify(answer, null, 2)}\n`);
      return 0;
    } catch (err) {
      process.stderr.write(
        `channels:connect ${channelName} ${account}: ${err instanceof ConfigError ? err.message : errorMessage(err)}\n`,
      );
      return 1;
    }
  }
  let settings: Awaited<ReturnType<typeof loadSettings>>;
  try {
    settings = await loadSettings(env);
  } catch (err) {
    process.stderr.write(
      `channels:connect ${channelName} ${account}: ${err instanceof ConfigError ? err.message : errorMessage(err)}\n`,
    );
    return 1;
  }
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
    const module = channels.find((m) => m.name === channelName);
    if (!module?.connect) return usage(`the ${channelName} channel has nothing to register`);
    const report = await connectChannel(channels, channelName, account, settings.config.server.publicUrl);
    for (const line of report.lines) process.stdout.write(`${line}\n`);
    return report.ok ? 0 : 1;
  } finally {
    await sql.end({ timeout: 1 });
  }
}

// Run as a command (tsx src/channels/connect.ts …); imported by tests, it only exports its functions.
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href)
  runConnect(process.argv.slice(2), process.env).then(
    (code) => process.exit(code),
    (err: Error) => {
      process.stderr.write(`channels:connect: ${err.message}\n`);
      process.exit(2);
    },
  );
