import { pathToFileURL } from 'node:url';
import { loadSettings } from '../config/load.js';
import { ConfigError, errorMessage } from '../core/errors.js';
import { CHANNELS } from './index.js';

/**
 * `npm run channels:connect -- <channel> <account>`: registers one account's webhook with its provider
 * (the channel definition's `connect`) and prints the provider's answer. Reads the same config as the
 * daemon (SWITCHBOARD_CONFIG and the environment); needs no database.
 */
export async function runConnect(argv: readonly string[], env: NodeJS.ProcessEnv): Promise<number> {
  const [channelName, account] = argv;
  const connectable = CHANNELS.filter((c) => 'connect' in c && c.connect).map((c) => c.name);
  const definition = CHANNELS.find((c) => c.name === channelName);
  if (!channelName || !account || !definition || !('connect' in definition) || !definition.connect) {
    process.stderr.write(`usage: npm run channels:connect -- <${connectable.join('|')}> <account>\n`);
    return 64;
  }
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

// Run as a command (tsx src/channels/connect.ts …); imported by tests, it only exports runConnect.
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href)
  runConnect(process.argv.slice(2), process.env).then((code) => process.exit(code));
