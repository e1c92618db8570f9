import { execFile } from 'node:child_process';
import { chmod, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { tempDirs } from './support/temp-dirs.js';

const SCRIPT = fileURLToPath(new URL('../scripts/test-prereqs.sh', import.meta.url));

// `npm test` on a fresh machine: the pretest step provisions Dovecot (and Chromium once browser tests exist) or
// stops at once naming the command — here as a user who cannot install anything.
describe('scripts/test-prereqs.sh (pretest)', () => {
  const tempDir = tempDirs('sb-prereqs-');

  it('stops a non-root run on a machine without Dovecot, naming the exact apt-get command', async () => {
    const bin = await tempDir();
    // A user without root and without sudo, on a machine where Dovecot is not installed.
    for (const [name, body] of [
      ['id', 'echo 1000'],
      ['sudo', 'exit 1'],
      ['dovecot', 'exit 127'],
    ] as const) {
      await writeFile(path.join(bin, name), `#!/bin/sh\n${body}\n`);
      await chmod(path.join(bin, name), 0o755);
    }
    await rm(path.join(bin, 'dovecot'));
    const run = await promisify(execFile)('bash', [SCRIPT], {
      env: { PATH: `${bin}:/usr/bin:/bin`, DOVECOT_BIN: path.join(bin, 'no-dovecot') },
    }).then(
      () => ({ code: 0, stderr: '' }),
      (err: { code: number; stderr: string }) => err,
    );
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(
      'missing dovecot-imapd; run as root: apt-get update && apt-get install -y --no-install-recommends dovecot-imapd',
    );
  });
});
