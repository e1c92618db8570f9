import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../src/db/connect.js';
import { migrate } from '../src/db/migrate.js';
import { storeInboundEvent } from '../src/ingest/inbound-store.js';
import { inboundBody } from './support/context.js';
import { startDaemonProcess } from './support/daemon-process.js';
import { openTestDatabase, type TestDatabase } from './support/db.js';
import { freshEmail, freshPhone } from './support/ids.js';
import { backends } from './support/pg.js';

const SAMPLE_TOKEN = 'sample-token-change-me';

async function post(port: number, body: unknown) {
  const res = await fetch(`http://127.0.0.1:${port}/api/v1/inbound`, {
    method: 'POST',
    headers: { authorization: `Bearer ${SAMPLE_TOKEN}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as { decision: { kind: string; leadId?: string } } };
}

describe.each(backends())('the daemon process on %s', (backend) => {
  const cleanup: (() => Promise<unknown>)[] = [];
  afterAll(async () => {
    for (const fn of cleanup.reverse()) await fn();
  });

  async function environment(): Promise<{
    env: Record<string, string>;
    seed: () => Promise<TestDatabase | Awaited<ReturnType<typeof openDatabase>>>;
  }> {
    const dataDir = await mkdtemp(path.join(tmpdir(), 'sb-daemon-'));
    cleanup.push(() => rm(dataDir, { recursive: true, force: true }));
    if (backend === 'embedded') {
      return { env: { SWITCHBOARD_DATA_DIR: dataDir }, seed: () => openDatabase({ dataDir }) };
    }
    const db = await openTestDatabase('postgres');
    await db.sql.end();
    cleanup.push(() => db.close());
    return {
      env: { SWITCHBOARD_DATA_DIR: dataDir, DATABASE_URL: db.url! },
      seed: () => openDatabase({ url: db.url! }),
    };
  }

  it('starts on the sample config, decides, stops gracefully on SIGTERM and keeps its data across a restart', async () => {
    const { env } = await environment();
    const phone = freshPhone();
    const email = freshEmail();
    const text = 'Секретный текст заявки';
    const first = await startDaemonProcess(env);
    const ready = await fetch(`http://127.0.0.1:${first.port}/readyz`);
    expect(ready.status).toBe(200);
    const d = await post(
      first.port,
      inboundBody({ from: { name: 'Тест', phones: [phone], emails: [email] }, text }),
    );
    expect(d.body.decision.kind).toBe('new_lead');
    expect(await first.stop('SIGTERM')).toBe(0);
    expect(first.logs.map((l) => l.msg)).toEqual(expect.arrayContaining(['shutdown requested', 'stopped']));
    // Personal data never reaches the info-level log.
    for (const secret of [phone, email, text, 'Тест']) expect(first.output()).not.toContain(secret);

    const second = await startDaemonProcess(env);
    const again = await post(second.port, inboundBody({ from: { phones: [`8${phone}`] } }));
    expect(again.body.decision).toMatchObject({ kind: 'attached_to_lead', leadId: d.body.decision.leadId });
    expect(await second.stop('SIGINT')).toBe(0);
  });

  it('processes at start what a crash left pending', async () => {
    const { env, seed } = await environment();
    const db = await seed();
    await migrate(db.sql);
    const phone = freshPhone();
    await storeInboundEvent(db.sql, { source: 'api', payload: inboundBody({ from: { phones: [phone] } }) });
    await db.close();

    const daemon = await startDaemonProcess(env);
    const res = await fetch(`http://127.0.0.1:${daemon.port}/api/v1/contacts?phone=${phone}`, {
      headers: { authorization: `Bearer ${SAMPLE_TOKEN}` },
    });
    const found = (await res.json()) as { contacts: { id: string }[] };
    expect(found.contacts).toHaveLength(1);
    expect(daemon.logs.find((l) => l.msg === 'replayed inbound events left pending')).toMatchObject({
      events: 1,
    });
    expect(await daemon.stop()).toBe(0);
  });

  it('refuses to start on an invalid config with a message naming the setting', async () => {
    const { env } = await environment();
    await expect(
      startDaemonProcess({ ...env, SWITCHBOARD_CONFIG: 'test/fixtures-config/bad.yaml' }),
    ).rejects.toThrow(/routing\.fallbackTeam: unknown team "nowhere"/);
  });
});
