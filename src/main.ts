import { loadSettings } from './config/load.js';
import { ConfigError } from './core/errors.js';
import { startDaemon } from './daemon.js';
import { createLogger } from './observability/logger.js';

const REPEAT_SIGNAL_GRACE_MS = 1000;

/** Composition root: settings from the environment -> daemon; SIGTERM/SIGINT stop it gracefully. */
async function main(): Promise<void> {
  let settings: Awaited<ReturnType<typeof loadSettings>>;
  try {
    settings = await loadSettings(process.env);
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`switchboard: ${err.message}\n`);
      process.exit(2);
    }
    throw err;
  }
  const log = createLogger(settings.config.log.level);
  if (
    settings.config.api.tokens.some((t) => t.token === 'sample-token-change-me') &&
    settings.config.server.host !== '127.0.0.1'
  )
    log.warn('the sample API token is configured on a non-loopback address: replace it');

  // Handlers first: a signal that arrives while starting (the daemon already logs, a supervisor may already
  // stop it) waits for the start to finish and then stops gracefully, instead of killing the process mid-way.
  let daemon: Awaited<ReturnType<typeof startDaemon>> | undefined;
  let stopRequested = false;
  let firstSignalAt: number | undefined;
  const stop = (running: NonNullable<typeof daemon>) =>
    running.stop().then(
      () => process.exit(0),
      (err: Error) => {
        log.error({ err: err.message }, 'shutdown failed');
        process.exit(1);
      },
    );
  const shutdown = (signal: string) => {
    // One signal often arrives twice: a group kill (Ctrl-C, `kill -TERM -<pgid>`, a container stop) reaches the
    // daemon directly and again through a parent that forwards it (npm). Only a repeat after a second forces.
    if (firstSignalAt !== undefined) {
      if (performance.now() - firstSignalAt < REPEAT_SIGNAL_GRACE_MS) return;
      log.warn({ signal }, 'second signal: exiting now');
      process.exit(1);
    }
    firstSignalAt = performance.now();
    log.info({ signal }, 'shutdown requested');
    if (daemon) void stop(daemon);
    else stopRequested = true;
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));

  try {
    daemon = await startDaemon(settings, log);
  } catch (err) {
    // A refusal (config, a data directory in use) is a sentence for the operator, not a stack trace.
    if (err instanceof ConfigError) {
      log.error({ err: err.message }, 'refusing to start');
      process.stderr.write(`switchboard: ${err.message}\n`);
      process.exit(2);
    }
    throw err;
  }
  if (stopRequested) void stop(daemon);
  process.on('unhandledRejection', (reason) => {
    // Logged, not fatal: a stray rejection in one request must not take intake down.
    log.error({ err: reason instanceof Error ? reason.message : String(reason) }, 'unhandled rejection');
  });
}

main().catch((err: Error) => {
  process.stderr.write(`switchboard: failed to start: ${err.stack ?? err.message}\n`);
  process.exit(1);
});
