import path from 'node:path';
import QRCode from 'qrcode';
import { errorMessage, SwitchboardError } from '../../core/errors.js';
import type { ChannelContext } from '../channel.js';
import { parseChatId } from './chat-id.js';
import type { WebAccount } from './config.js';
import { saveMedia } from './media.js';
import type { StoredMedia, WebMessage } from './schema.js';
import type { WaClient, WaClientFactory, WaMessage } from './web-client.js';

export type WebState =
  | 'stopped'
  | 'connecting'
  | 'qr_required'
  | 'authenticated'
  | 'ready'
  | 'logged_out'
  | 'failed';
export const WEB_STATES: readonly WebState[] = [
  'stopped',
  'connecting',
  'qr_required',
  'authenticated',
  'ready',
  'logged_out',
  'failed',
];

/** Timers are injected: tests run a restart by hand instead of waiting. */
export type Schedule = (run: () => void, ms: number) => () => void;
const realSchedule: Schedule = (run, ms) => {
  const t = setTimeout(run, ms);
  t.unref();
  return () => clearTimeout(t);
};

export interface WebAccountStatus {
  transport: 'web';
  state: WebState;
  since: string;
  restarts: number;
  lastError?: string;
  nextRestartAt?: string;
  lastMessageAt?: string;
}

/** The QR code while pairing is needed: the text the phone scans and a PNG data URL for the admin page. */
export interface PairingCode {
  text: string;
  dataUrl?: string;
  issuedAt: string;
}

/**
 * One supervised whatsapp-web.js client per web account. Every client gets an 'error' listener; a browser that
 * dies, a logout, a failed authentication or a failed start all tear the client down and start a new one after
 * a backoff (doubled per failure in a row, reset once ready). Events of a torn-down client are ignored (a
 * generation number), so a restart during pairing keeps no half state. Messages are stored through the intake
 * (then decided); after each reconnect the chats are read for messages newer than the last one stored.
 */
export function createWebSupervisor(
  ctx: ChannelContext,
  account: WebAccount,
  deps: { factory: WaClientFactory; schedule?: Schedule; onState?: (state: WebState) => void },
) {
  const schedule = deps.schedule ?? realSchedule;
  const log = ctx.log.child({ channel: 'whatsapp', account: account.account });
  const sessionDir = path.join(ctx.dataDir ?? path.resolve('data'), 'whatsapp', account.account);
  let state: WebState = 'stopped';
  let since = ctx.clock();
  let generation = 0;
  let client: WaClient | undefined;
  let failures = 0;
  let restarts = 0;
  let lastError: string | undefined;
  let nextRestartAt: Date | undefined;
  let cancelRestart: (() => void) | undefined;
  let qr: PairingCode | undefined;
  let lastMessageAt: number | undefined;
  let stopped = true;
  /** Messages are stored one at a time, in order; stop() waits for the chain. */
  let chain: Promise<void> = Promise.resolve();
  const sentIds = new Set<string>();

  const setState = (next: WebState) => {
    if (next !== state) since = ctx.clock();
    state = next;
    deps.onState?.(next);
  };

  async function launch() {
    const gen = ++generation;
    cancelRestart = undefined;
    nextRestartAt = undefined;
    qr = undefined;
    setState('connecting');
    const current = (fn: (...args: never[]) => void) =>
      ((...args: never[]) => {
        if (gen === generation && !stopped) fn(...args);
      }) as never;
    let c: WaClient;
    try {
      c = await deps.factory(account, sessionDir);
    } catch (err) {
      return fail(gen, err);
    }
    if (gen !== generation || stopped) return void c.destroy().catch(() => {});
    client = c;
    c.on(
      'error',
      current((err: unknown) => fail(gen, err)),
    );
    c.on(
      'qr',
      current((text: string) => {
        setState('qr_required');
        const code: PairingCode = { text, issuedAt: ctx.clock().toISOString() };
        qr = code;
        QRCode.toDataURL(text)
          .then((url) => {
            code.dataUrl = url;
          })
          .catch(() => {});
        log.info('WhatsApp asks for pairing: scan the QR code on the admin page');
      }),
    );
    c.on(
      'authenticated',
      current(() => {
        qr = undefined;
        setState('authenticated');
      }),
    );
    c.on(
      'auth_failure',
      current(() => fail(gen, new Error('WhatsApp refused the stored session (auth_failure)'))),
    );
    c.on(
      'ready',
      current(() => {
        qr = undefined;
        failures = 0;
        lastError = undefined;
        setState('ready');
        log.info('WhatsApp client ready');
        enqueue(() => catchUp(c));
      }),
    );
    c.on(
      'disconnected',
      current((reason: string) => {
        const loggedOut = reason === 'LOGOUT';
        lastError = loggedOut ? 'logged out on the phone: pair again' : `disconnected (${String(reason)})`;
        log.warn({ reason: String(reason) }, 'WhatsApp client disconnected');
        setState(loggedOut ? 'logged_out' : 'failed');
        restartLater(gen);
      }),
    );
    c.on(
      'message',
      current((m: WaMessage) => enqueue(() => ingest(c, m))),
    );
    c.on(
      'message_create',
      current((m: WaMessage) => {
        // 'message' covers the client's messages; this one adds ours typed on the phone (not our replies).
        if (m.fromMe && !sentIds.delete(m.id._serialized)) enqueue(() => ingest(c, m));
      }),
    );
    try {
      await c.initialize();
    } catch (err) {
      fail(gen, err);
    }
  }

  function fail(gen: number, err: unknown) {
    if (gen !== generation || stopped) return;
    lastError = errorMessage(err).slice(0, 300);
    log.warn({ err: lastError }, 'WhatsApp client failed');
    setState('failed');
    restartLater(gen);
  }

  /** Tears the client down and starts a new one after the backoff. */
  function restartLater(gen: number) {
    if (gen !== generation || stopped) return;
    generation++; // the old client's late events are ignored from now on
    const old = client;
    client = undefined;
    qr = undefined;
    if (old) {
      old.removeAllListeners();
      // A dead browser may throw on destroy; the listener keeps a late 'error' from killing the process.
      old.on('error', () => {});
      old.destroy().catch(() => {});
    }
    const delay = Math.min(account.restart.initialDelayMs * 2 ** failures, account.restart.maxDelayMs);
    failures++;
    restarts++;
    nextRestartAt = new Date(ctx.clock().getTime() + delay);
    cancelRestart = schedule(() => {
      if (!stopped) void launch();
    }, delay);
  }

  function enqueue(task: () => Promise<void>) {
    chain = chain
      .then(task)
      .catch((err) => log.error({ err: errorMessage(err) }, 'WhatsApp message not stored'));
  }

  async function ingest(c: WaClient, m: WaMessage, checkStored = false): Promise<void> {
    const externalId = m.id._serialized;
    if (checkStored) {
      const [seen] = await ctx.sql`
        SELECT 1 FROM inbound_events WHERE source = 'whatsapp' AND account = ${account.account}
          AND external_id = ${externalId} LIMIT 1`;
      if (seen) return;
    }
    const chat = parseChatId(m.id.remote);
    const person = chat.kind === 'phone' || chat.kind === 'lid';
    const ids = person
      ? await c
          .getContactLidAndPhone([m.id.remote])
          .then((r) => r[0])
          .catch(() => undefined)
      : undefined;
    const contact = person && !m.fromMe ? await m.getContact().catch(() => undefined) : undefined;
    const media = person && m.hasMedia ? await downloadMedia(m) : undefined;
    const payload = {
      transport: 'web' as const,
      account: account.account,
      message: toRecord(m),
      ...(ids ? { ids: clean({ lid: ids.lid, pn: ids.pn }) } : {}),
      ...(contact
        ? { contact: clean({ number: contact.number, pushname: contact.pushname, name: contact.name }) }
        : {}),
      ...(media ? { media } : {}),
    };
    const eventId = await ctx.intake.accept({
      source: 'whatsapp',
      account: account.account,
      externalId,
      payload,
    });
    lastMessageAt = Math.max(lastMessageAt ?? 0, m.timestamp);
    await ctx.intake.process(eventId);
  }

  async function downloadMedia(m: WaMessage): Promise<StoredMedia> {
    try {
      const file = await m.downloadMedia();
      if (!file) return { error: 'media no longer available' };
      if (!ctx.dataDir) return { mimetype: file.mimetype, error: 'no data directory' };
      return await saveMedia(ctx.dataDir, account.account, Buffer.from(file.data, 'base64'), {
        mimetype: file.mimetype,
        ...(file.filename ? { filename: file.filename } : {}),
      });
    } catch (err) {
      return { error: errorMessage(err).slice(0, 200) };
    }
  }

  /** After a reconnect: each person's chat with news since the last stored message, deduplicated by id. */
  async function catchUp(c: WaClient) {
    const since = lastMessageAt ?? (await lastStoredTimestamp());
    if (since === undefined) return; // first start: history is not imported
    const chats = await c.getChats();
    for (const chat of chats) {
      if (chat.isGroup || (chat.timestamp ?? Number.MAX_SAFE_INTEGER) < since) continue;
      const kind = parseChatId(chat.id._serialized).kind;
      if (kind !== 'phone' && kind !== 'lid') continue;
      const messages = await chat.fetchMessages({ limit: account.catchUpLimit });
      for (const m of messages) if (m.timestamp >= since) await ingest(c, m, true);
    }
  }

  async function lastStoredTimestamp(): Promise<number | undefined> {
    const [row] = await ctx.sql<{ t: string | null }[]>`
      SELECT max((payload->'message'->>'timestamp')::bigint)::text AS t FROM inbound_events
      WHERE source = 'whatsapp' AND account = ${account.account} AND payload->>'transport' = 'web'`;
    return row?.t ? Number(row.t) : undefined;
  }

  return {
    start() {
      if (!stopped) return;
      stopped = false;
      void launch();
    },
    async stop() {
      stopped = true;
      generation++;
      cancelRestart?.();
      cancelRestart = undefined;
      await chain;
      const c = client;
      client = undefined;
      qr = undefined;
      setState('stopped');
      if (c) {
        c.removeAllListeners();
        c.on('error', () => {});
        await c
          .destroy()
          .catch((err) => log.warn({ err: errorMessage(err) }, 'WhatsApp client did not close'));
      }
    },
    status(): WebAccountStatus {
      return {
        transport: 'web',
        state,
        since: since.toISOString(),
        restarts,
        ...(lastError ? { lastError } : {}),
        ...(nextRestartAt ? { nextRestartAt: nextRestartAt.toISOString() } : {}),
        ...(lastMessageAt ? { lastMessageAt: new Date(lastMessageAt * 1000).toISOString() } : {}),
      };
    },
    /** The QR code while pairing is needed (authenticated API only: it is not for /readyz). */
    pairing: (): PairingCode | undefined => (state === 'qr_required' ? qr : undefined),
    /** Sends a text on a ready client; returns the stored record of the sent message. */
    async send(chatId: string, text: string): Promise<WebMessage> {
      const c = client;
      if (!c || state !== 'ready')
        throw new SwitchboardError(
          'upstream_failed',
          `WhatsApp account "${account.account}" is not connected (${state})`,
          {
            retryable: true,
          },
        );
      let sent: WaMessage;
      try {
        sent = await c.sendMessage(chatId, text);
      } catch (err) {
        throw new SwitchboardError(
          'upstream_failed',
          `WhatsApp did not send the message: ${errorMessage(err)}`,
          {
            retryable: true,
          },
        );
      }
      sentIds.add(sent.id._serialized);
      if (sentIds.size > 1000) sentIds.clear();
      return toRecord(sent);
    },
    /** Waits for the messages received so far to be stored (tests). */
    idle: () => chain,
  };
}

export type WebSupervisor = ReturnType<typeof createWebSupervisor>;

/** The stored record of a library Message: its public fields only (no client, no `_data`). */
export function toRecord(m: WaMessage): WebMessage {
  return {
    id: {
      fromMe: m.id.fromMe,
      remote: m.id.remote,
      id: m.id.id,
      _serialized: m.id._serialized,
      ...(m.id.participant ? { participant: m.id.participant } : {}),
    },
    body: m.body ?? '',
    type: m.type,
    timestamp: m.timestamp,
    from: m.from,
    to: m.to,
    ...(m.author ? { author: m.author } : {}),
    fromMe: m.fromMe,
    hasMedia: m.hasMedia,
    isStatus: m.isStatus,
    broadcast: m.broadcast,
    ...(m.isForwarded !== undefined ? { isForwarded: m.isForwarded } : {}),
    vCards: m.vCards ?? [],
    ...(m.location ? { location: m.location } : {}),
    ...(m.ack !== undefined ? { ack: m.ack } : {}),
    ...(m.deviceType ? { deviceType: m.deviceType } : {}),
  };
}

function clean<T extends Record<string, unknown>>(o: T): { [K in keyof T]?: NonNullable<T[K]> } {
  return Object.fromEntries(
    Object.entries(o).filter(([, v]) => v !== undefined && v !== null && v !== ''),
  ) as never;
}
