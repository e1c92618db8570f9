import path from 'node:path';
import { parseArgs } from 'node:util';
import { loadSettings } from '../config/load.js';
import { downloadNumberingPlan, importNumberingPlan, type UpdateOutcome } from './update.js';

const USAGE = `usage:
  npm run geo:import -- <ABC-3xx.csv|ABC-4xx.csv|ABC-8xx.csv|DEF-9xx.csv>... [--dir DIR]
  npm run geo:download -- [--dir DIR] [--base-url URL]
Files are validated (header, every row) before they replace the installed copy. The daemon loads them at start.
DIR defaults to routing.numberingPlan.dir, else <SWITCHBOARD_DATA_DIR>/numbering-plan.`;

/** `geo import` and `geo download`: install the numbering plan files the phone-region index is built from. */
async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { dir: { type: 'string' }, 'base-url': { type: 'string' }, help: { type: 'boolean' } },
  });
  const [command, ...files] = positionals;
  if (values.help || (command !== 'import' && command !== 'download')) {
    process.stderr.write(`${USAGE}\n`);
    return values.help ? 0 : 2;
  }
  const settings = await loadSettings(process.env);
  const plan = settings.config.routing.numberingPlan;
  const dir = path.resolve(values.dir ?? plan.dir ?? path.join(settings.dataDir, 'numbering-plan'));
  let outcome: UpdateOutcome;
  if (command === 'import') {
    if (files.length === 0) {
      process.stderr.write(`${USAGE}\n`);
      return 2;
    }
    outcome = await importNumberingPlan(files, dir);
  } else {
    outcome = await downloadNumberingPlan({
      baseUrl: values['base-url'] ?? plan.baseUrl,
      userAgent: plan.userAgent,
      dir,
    });
  }
  for (const f of outcome.installed)
    process.stdout.write(
      `installed ${f.file}: ${f.rows} rows (${f.geographicRows} geographic), ${f.bytes} bytes -> ${dir}\n`,
    );
  for (const f of outcome.failed) process.stderr.write(`FAILED ${f.file}: ${f.error}\n`);
  return outcome.failed.length > 0 ? 1 : 0;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: Error) => {
    process.stderr.write(`geo: ${err.message}\n`);
    process.exit(1);
  },
);
