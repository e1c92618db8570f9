import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
const read = (file: string) => readFile(path.join(ROOT, file), 'utf8');

/** Dockerfile stages: name -> the lines of the stage. */
function stages(dockerfile: string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  let current: string[] = [];
  for (const line of dockerfile.replace(/\\\n/g, ' ').split('\n')) {
    const from = /^FROM\s+\S+(?:\s+AS\s+(\S+))?/i.exec(line);
    if (from) {
      current = [];
      out.set(from[1] ?? `stage${out.size}`, current);
    }
    current.push(line);
  }
  return out;
}

// The files an operator deploys with; no Docker daemon or systemd is needed to check what they promise.
describe('packaging', () => {
  it('Dockerfile: multi-stage, the default target runs the build as a non-root user, Chromium only in `whatsapp`', async () => {
    const file = await read('Dockerfile');
    const s = stages(file);
    const names = [...s.keys()];
    expect(names).toEqual(expect.arrayContaining(['build', 'runtime', 'whatsapp']));
    expect(names.at(-1)).toBe('runtime'); // `docker build .` builds the last stage
    const runtime = s.get('runtime')!.join('\n');
    const base = s.get('base')!.join('\n');
    expect(runtime).toMatch(/^USER switchboard$/m);
    expect(s.get('whatsapp')!.join('\n')).toMatch(/apt-get install[^\n]*\bchromium\b/);
    expect(`${base}\n${runtime}`).not.toMatch(/chromium/i);
    expect(base).toMatch(/CMD \["node", "dist\/main\.js"\]/);
    expect(base).toMatch(/HEALTHCHECK[^\n]*\/readyz/);
    expect(base).toMatch(/npm ci --omit=dev/);
    for (const m of file.matchAll(/^COPY (?!--from)(.+) \S+$/gm))
      for (const src of m[1]!.split(/\s+/)) await expect(stat(path.join(ROOT, src))).resolves.toBeTruthy();
  });

  it('compose: PostgreSQL and the daemon with health checks, the API published on loopback only', async () => {
    const compose = parseYaml(await read('compose.yaml')) as {
      services: Record<string, Record<string, unknown>>;
    };
    const { postgres, switchboard } = compose.services;
    expect(postgres!.healthcheck).toMatchObject({
      test: expect.arrayContaining([expect.stringMatching(/pg_isready/)]),
    });
    expect(switchboard!.healthcheck).toMatchObject({
      test: expect.arrayContaining([expect.stringMatching(/readyz/)]),
    });
    expect(switchboard!.depends_on).toEqual({ postgres: { condition: 'service_healthy' } });
    expect(switchboard!.ports).toEqual(['127.0.0.1:8080:8080']);
    expect(JSON.stringify(switchboard!.environment)).toContain('DATABASE_URL');
  });

  it('systemd unit: restarts always, a dedicated user, hardening options, the built daemon', async () => {
    const unit = await read('deploy/systemd/switchboard.service');
    const settings = new Map<string, string[]>();
    for (const line of unit.split('\n')) {
      const m = /^(\w+)=(.*)$/.exec(line);
      if (m) settings.set(m[1]!, [...(settings.get(m[1]!) ?? []), m[2]!]);
    }
    const one = (k: string) => settings.get(k)?.at(-1);
    expect(one('Restart')).toBe('always');
    expect(one('User')).toBe('switchboard');
    expect(one('ExecStart')).toBe('/usr/bin/node dist/main.js');
    expect(one('KillSignal')).toBe('SIGTERM');
    for (const [k, v] of [
      ['NoNewPrivileges', 'yes'],
      ['ProtectSystem', 'strict'],
      ['ProtectHome', 'yes'],
      ['PrivateTmp', 'yes'],
      ['CapabilityBoundingSet', ''],
      ['SystemCallFilter', '@system-service'],
      ['StateDirectory', 'switchboard'],
    ])
      expect(one(k!), k).toBe(v);
  });
});
