import { readFileSync } from 'node:fs';
import type { ConfigInput } from '../../src/config/schema.js';
import { silentLogger } from '../../src/observability/logger.js';
import type { CalendarResolver } from '../../src/sla/calendar.js';
import { createSlaScanner } from '../../src/sla/scanner.js';
import { baseConfig, createTestContext, inboundBody, type TestContext } from './context.js';
import { type RecordedRequest, type Reply, startHttpRecorder } from './http-recorder.js';
import { freshPhone } from './ids.js';
import type { Backend } from './pg.js';

export const H = 3_600_000;
export const M = 60_000;
export const BOT_TOKEN = '123456:TEST-token';
/** The client's first contact in most SLA tests; `at(ms)` is that much later. */
export const T0 = new Date('2026-11-20T07:00:00Z');
export const at = (ms: number) => new Date(T0.getTime() + ms);

export const telegramFixture = (name: string): unknown =>
  JSON.parse(readFileSync(new URL(`../../fixtures/telegram/${name}.json`, import.meta.url), 'utf8'));

export interface StandInCall extends RecordedRequest {
  // biome-ignore lint/suspicious/noExplicitAny: tests assert on the JSON that was sent field by field
  json: any;
}

export interface ScriptedReply {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

const WEBHOOK_PATH = '/hooks/sla';

/**
 * The Telegram Bot API (`POST /bot<token>/sendMessage`) and a webhook receiver (`POST /hooks/sla`) on loopback,
 * on the shared recorder. They answer success unless a test scripts the next answers of a path.
 */
export async function startVendorStandIn() {
  const recorder = await startHttpRecorder();
  const queues = new Map<string, ScriptedReply[]>();
  const reply = (path: string, fallback: ScriptedReply) => (): Reply => {
    const r = queues.get(path)?.shift() ?? fallback;
    return {
      status: r.status,
      headers: { 'content-type': 'application/json', ...(r.headers ?? {}) },
      body: r.body === undefined ? '' : JSON.stringify(r.body),
    };
  };
  const telegramPath = `/bot${BOT_TOKEN}/sendMessage`;
  recorder.on(
    `POST ${telegramPath}`,
    reply(telegramPath, { status: 200, body: telegramFixture('sendMessage-ok') }),
  );
  recorder.on(`POST ${WEBHOOK_PATH}`, reply(WEBHOOK_PATH, { status: 204 }));
  return {
    url: recorder.url,
    webhookUrl: `${recorder.url}${WEBHOOK_PATH}`,
    /** Every call so far, with its JSON body parsed. */
    get calls(): StandInCall[] {
      return recorder.requests.map((r) => {
        let json: unknown;
        try {
          json = JSON.parse(r.body);
        } catch {}
        return { ...r, json };
      });
    },
    /** The next answers of `telegram` (sendMessage) or `webhook`, in order; then success again. */
    script(target: 'telegram' | 'webhook', ...answers: ScriptedReply[]) {
      const path = target === 'telegram' ? telegramPath : WEBHOOK_PATH;
      queues.set(path, [...(queues.get(path) ?? []), ...answers]);
    },
    close: recorder.close,
  };
}

/** Managers with Telegram chats and the SLA pointed at the stand-in; `sla` overrides merge on top. */
export function slaConfig(standInUrl: string, sla: Record<string, unknown> = {}): Partial<ConfigInput> {
  return {
    managers: [
      { login: 'ivanov', name: 'Иван Иванов', telegramChatId: 1001 },
      { login: 'petrova', name: 'Мария Петрова', telegramChatId: 1002, email: 'petrova@mebel-fabrika.ru' },
      { login: 'head', name: 'Анна Руководитель', telegramChatId: 1000 },
      { login: 'director', name: 'Олег Директор', telegramChatId: 999 },
    ],
    teams: baseConfig.teams,
    sla: {
      ...sla,
      channels: {
        telegram: { token: BOT_TOKEN, apiRoot: `${standInUrl}/` },
        ...((sla.channels as object) ?? {}),
      },
      scanner: { retryBase: '30s', maxAttempts: 3, lease: '5m', ...((sla.scanner as object) ?? {}) },
    } as ConfigInput['sla'],
  };
}

/** A new lead whose client first wrote at `at`, in `team`, assigned to `responsible`. */
export async function newLead(
  ctx: TestContext,
  o: { at: Date; team?: string; responsible?: string | null; name?: string },
): Promise<string> {
  const phone = freshPhone();
  const res = await ctx.request(
    'POST',
    '/api/v1/inbound',
    inboundBody({
      occurredAt: o.at.toISOString(),
      from: { name: o.name ?? 'Иван Петров', phones: [`8${phone}`] },
    }),
  );
  if (res.status !== 200 || res.body.decision.kind !== 'new_lead')
    throw new Error(`lead not created: ${JSON.stringify(res.body)}`);
  const id: string = res.body.decision.leadId;
  // What routing would have decided; the SLA reads it from the lead.
  await ctx.db
    .sql`UPDATE leads SET team = ${o.team ?? 'retail'}, responsible = ${o.responsible ?? null} WHERE id = ${id}`;
  return id;
}

export function scannerFor(
  ctx: TestContext,
  instanceId: string,
  opts: { calendars?: CalendarResolver; sql?: TestContext['db']['sql'] } = {},
) {
  return createSlaScanner({
    sql: opts.sql ?? ctx.db.sql,
    config: ctx.config,
    clock: ctx.clock.clock,
    log: silentLogger,
    instanceId,
    ...(opts.calendars ? { calendars: opts.calendars } : {}),
  });
}

/** Telegram sendMessage calls about one lead (its id is in the link). */
export const telegramCallsFor = (calls: StandInCall[], leadId: string) =>
  calls.filter((c) => c.path.endsWith('/sendMessage') && String(c.json?.text).includes(leadId));

/** Leaves nothing open for the next test: its leads are handled, its deliveries settled. */
export async function closeEverything(ctx: TestContext): Promise<void> {
  await ctx.db
    .sql`UPDATE leads SET status = 'junk', taken_at = coalesce(taken_at, first_contact_at) WHERE status IN ('new', 'in_progress')`;
  await ctx.db.sql`UPDATE sla_notifications SET status = 'cancelled' WHERE status IN ('pending', 'sending')`;
}

/** A test context whose SLA talks to a fresh Bot API / webhook stand-in; `close` stops both. */
export async function openSlaContext(
  backend: Backend,
  sla: Record<string, unknown> | ((standInUrl: string) => Record<string, unknown>),
  /** Other config sections (e.g. teams with working hours). */
  other: Partial<ConfigInput> = {},
) {
  const bot = await startVendorStandIn();
  const ctx = await createTestContext(backend, {
    ...slaConfig(bot.url, typeof sla === 'function' ? sla(bot.url) : sla),
    ...other,
  });
  return {
    ctx,
    bot,
    close: async () => {
      await ctx.close();
      await bot.close();
    },
  };
}

export type SlaContext = Awaited<ReturnType<typeof openSlaContext>>;
