// `npm run build`: a clean dist/ that runs without tsx — the compiled code plus every file under src/ that is
// not TypeScript (migrations, and whatever assets a part adds later: templates, styles, images), copied as is.
import { execFileSync } from 'node:child_process';
import { cp, readdir, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../', import.meta.url));
const src = path.join(root, 'src');
const dist = path.join(root, 'dist');

await rm(dist, { recursive: true, force: true });
const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
execFileSync(process.execPath, [tsc, '-p', path.join(root, 'tsconfig.build.json')], { stdio: 'inherit' });

let copied = 0;
for (const entry of await readdir(src, { recursive: true, withFileTypes: true })) {
  if (!entry.isFile() || /\.(ts|tsx|mts|cts)$/.test(entry.name)) continue;
  const from = path.join(entry.parentPath ?? entry.path, entry.name);
  await cp(from, path.join(dist, path.relative(src, from)));
  copied++;
}
console.log(`dist/: compiled, ${copied} asset files copied`);
