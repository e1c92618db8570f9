import { loadSettings } from './config/load.js';
import { ConfigError } from './core/errors.js';
import { backupEmbedded, restoreEmbedded } from './db/embedded-backup.js';
import { ensureEmbeddedTemplate } from './db/embedded-cluster.js';

const USAGE = `usage: switchboard <command>
  check-config [file]      validate a configuration file (default: $SWITCHBOARD_CONFIG or the sample) and exit
  backup <file.tar.gz>     copy the embedded database of $SWITCHBOARD_DATA_DIR (./data) to a file; the daemon must be stopped
  restore <file.tar.gz>    restore it into an empty data directory (--force moves the current database aside)
  prepare-embedded         make the embedded database template now (npm install does it), so a first start is fast`;

/** Operator commands beside the daemon (`npm run check-config`, `npm run backup -- file`, …). */
async function run(argv: string[]): Promise<number> {
  const [command, ...args] = argv;
  switch (command) {
    case 'check-config': {
      const env = args[0] ? { ...process.env, SWITCHBOARD_CONFIG: args[0] } : process.env;
      const { config, configPath } = await loadSettings(env);
      process.stdout.write(
        `${configPath}: valid (${config.teams.length} teams, ${config.managers.length} managers, ${config.api.tokens.length} API tokens, ${config.email.mailboxes.length} mailboxes)\n`,
      );
      return 0;
    }
    case 'backup':
    case 'restore': {
      const file = args.find((a) => !a.startsWith('--'));
      if (!file) break;
      const { dataDir, databaseUrl } = await loadSettings(process.env);
      if (databaseUrl)
        throw new ConfigError(
          'DATABASE_URL is set: back up a PostgreSQL server with pg_dump / pg_basebackup (docs/operations.md)',
        );
      if (command === 'backup') {
        const bytes = await backupEmbedded(dataDir, file);
        process.stdout.write(`backed up ${dataDir} to ${file} (${bytes} bytes)\n`);
      } else {
        const movedAside = await restoreEmbedded(dataDir, file, { force: args.includes('--force') });
        process.stdout.write(
          `restored ${file} into ${dataDir}${movedAside ? ` (the previous database is in ${movedAside})` : ''}\n`,
        );
      }
      return 0;
    }
    case 'prepare-embedded': {
      const template = await ensureEmbeddedTemplate();
      process.stdout.write(
        template ? `embedded database template: ${template}\n` : 'cannot write the template cache\n',
      );
      return 0;
    }
  }
  process.stderr.write(`${USAGE}\n`);
  return 64;
}

run(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: Error) => {
    process.stderr.write(
      `switchboard: ${err instanceof ConfigError ? err.message : (err.stack ?? err.message)}\n`,
    );
    process.exit(err instanceof ConfigError ? 2 : 1);
  },
);
