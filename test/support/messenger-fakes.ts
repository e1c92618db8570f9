import { readFileSync } from 'node:fs';
import type { RecordedRequest, Reply } from './http-recorder.js';
import { type HttpRecorder, startHttpRecorder } from './http-recorder.js';

/** A fixture file's text (fixtures/<channel>/<name>). */
export const fixtureText = (path: string): string =>
  readFileSync(new URL(`../../fixtures/${path}`, import.meta.url), 'utf8');
export const fixtureJson = (path: string) => JSON.parse(fixtureText(path));

const json = (body: unknown, status = 200, headers: Record<string, string> = {}): Reply => ({
  status,
  headers: { 'content-type': 'application/json', ...headers },
  body: JSON.stringify(body),
});

/**
 * A scripted failure the fakes answer with before the real answer: `times` requests (or until `until()` is
 * false) get `reply`. Lets a test stage an outage, a rate limit, a refusal.
 */
export interface Fault {
  reply: Reply;
  times?: number;
  until?: () => boolean;
}

function faults() {
  const list: Fault[] = [];
  return {
    add: (f: Fault) => list.push(f),
    clear: () => {
      list.length = 0;
    },
    /** The fault to answer with now, if any. */
    next(): Reply | undefined {
      while (list.length > 0) {
        const f = list[0]!;
        if (f.until && !f.until()) {
          list.shift();
          continue;
        }
        if (f.times !== undefined) {
          if (f.times <= 0) {
            list.shift();
            continue;
          }
          f.times--;
        }
        return f.reply;
      }
      return undefined;
    },
  };
}

const form = (req: RecordedRequest) => new URLSearchParams(req.body);

/**
 * A VK API error as VK answers it: HTTP 200 with `{error:{error_code, error_msg, request_params}}`. Rate limits
 * are codes 6 ("Too many requests per second"), 9 ("Flood control") and 29 ("Rate limit reached").
 */
export const vkError = (code: number, message: string, method = 'messages.send'): Reply =>
  json({
    error: {
      error_code: code,
      error_msg: message,
      request_params: [
        { key: 'method', value: method },
        { key: 'oauth', value: '1' },
        { key: 'v', value: '5.199' },
      ],
    },
  });

/**
 * The VK API on loopback: POST /method/<name> with form bodies, answering `{response}` or `{error}` as VK
 * does; Bots Long Poll at GET /lp, fed by `longPoll.push()`.
 */
export async function startFakeVk() {
  const http = await startHttpRecorder();
  const users = new Map<number, unknown>();
  const sendFaults = faults();
  let cmid = 5000;
  const sent: { peerId: number; randomId: number; text: string }[] = [];
  const seenRandomIds = new Map<string, number>();
  const lp = { queue: [] as unknown[], answers: [] as unknown[], ts: 100 };

  const routes = () => {
    http.on('POST /method/users.get', (req) => {
      const id = Number(form(req).get('user_ids'));
      return json({ response: users.has(id) ? [users.get(id)] : [] });
    });
    http.on('POST /method/messages.send', (req) => {
      const fault = sendFaults.next();
      if (fault) return fault;
      const f = form(req);
      const peerId = Number(f.get('peer_ids'));
      const randomId = Number(f.get('random_id'));
      // VK's own idempotency: the same random_id to the same peer sends nothing new.
      const key = `${peerId}:${randomId}`;
      let id = seenRandomIds.get(key);
      if (id === undefined) {
        id = ++cmid;
        seenRandomIds.set(key, id);
        sent.push({ peerId, randomId, text: f.get('message') ?? '' });
      }
      return json({ response: [{ peer_id: peerId, message_id: id + 100_000, conversation_message_id: id }] });
    });
    http.on('POST /method/groups.getCallbackConfirmationCode', () =>
      json({ response: { code: 'a1b2c3d4' } }),
    );
    http.on('POST /method/groups.getLongPollServer', () =>
      json({ response: { key: 'lp-key', server: `${http.url}/lp`, ts: String(lp.ts) } }),
    );
    http.on('GET /lp', () => {
      const scripted = lp.answers.shift();
      if (scripted) return json(scripted);
      const updates = lp.queue.splice(0);
      if (updates.length > 0) lp.ts++;
      return json({ ts: String(lp.ts), updates });
    });
  };
  routes();
  return {
    http,
    url: http.url,
    users,
    sent,
    sendFaults,
    longPoll: {
      push: (update: unknown) => lp.queue.push(update),
      /** The next a_check answers, before any queued update (e.g. `{failed: 2}`). */
      answer: (a: unknown) => lp.answers.push(a),
    },
    calls: (method: string) => http.requests.filter((r) => r.path === `/method/${method}`),
    close: () => http.close(),
  };
}

/**
 * An Avito API error as Avito answers it (reference messaging-channels.md §1): `{"error":{"code","message"}}`
 * with the rate-limit headers every answer carries; a 429 adds Retry-After.
 */
export const avitoError = (code: number, message: string, headers: Record<string, string> = {}): Reply =>
  json({ error: { code, message } }, code, {
    'x-ratelimit-limit': '60',
    'x-ratelimit-remaining': code === 429 ? '0' : '59',
    ...headers,
  });

/**
 * The Avito API on loopback: /token, chat info, listings, send (with the chat's history, newest first),
 * getVoiceFiles, webhook subscription.
 */
export async function startFakeAvito(userId: number, opts: { now?: () => Date } = {}) {
  const http = await startHttpRecorder();
  const chats = new Map<string, unknown>();
  const sendFaults = faults();
  const tokens: string[] = [];
  let revoked = new Set<string>();
  let items: unknown = fixtureJson('avito/items.json');
  let sentSeq = 0;
  const voices = new Map<string, string>();
  const history = new Map<string, Record<string, unknown>[]>();
  // Sends Avito accepts but whose answer never arrives (a 502 from a proxy after the message went out).
  const lost = { answers: 0 };
  const authorized = (req: RecordedRequest) => {
    const bearer = String(req.headers.authorization ?? '').replace(/^Bearer /, '');
    return tokens.includes(bearer) && !revoked.has(bearer);
  };
  const unauthorized = json(fixtureJson('avito/error-401.json'), 401);
  http.on('POST /token', (req) => {
    const f = form(req);
    if (f.get('grant_type') !== 'client_credentials' || f.get('client_secret') !== 'avito-client-secret')
      return json({ error: 'invalid_client' }, 400);
    const token = `tok-${tokens.length + 1}`;
    tokens.push(token);
    return json({ access_token: token, expires_in: 86400, token_type: 'Bearer' });
  });
  http.on('GET /core/v1/items', (req) => (authorized(req) ? json(items) : unauthorized));
  http.on(`GET /messenger/v1/accounts/${userId}/getVoiceFiles`, (req) => {
    if (!authorized(req)) return unauthorized;
    const ids = new URL(req.path, 'http://x').searchParams.get('voice_ids')?.split(',') ?? [];
    return json({
      voices_urls: Object.fromEntries(ids.flatMap((id) => (voices.has(id) ? [[id, voices.get(id)]] : []))),
    });
  });
  const base = `/messenger/v1/accounts/${userId}/chats/`;
  return {
    http,
    url: http.url,
    chats,
    sendFaults,
    tokens,
    revokeAll: () => {
      revoked = new Set(tokens);
    },
    setItems: (v: unknown) => {
      items = v;
    },
    /** Registers a chat: its info and its send endpoint. */
    chat(chatId: string, info: unknown) {
      chats.set(chatId, info);
      http.on(`GET /messenger/v2/accounts/${userId}/chats/${chatId}`, (req) =>
        authorized(req) ? json(info) : unauthorized,
      );
      http.on(`POST ${base}${chatId}/messages`, (req) => {
        if (!authorized(req)) return unauthorized;
        const fault = sendFaults.next();
        if (fault) return fault;
        const body = JSON.parse(req.body) as { message: { text: string } };
        const message = {
          id: `sent${++sentSeq}${chatId.slice(-6)}`,
          // Avito stamps its own time: the test's clock when given.
          created: opts.now ? Math.floor(opts.now().getTime() / 1000) : 1754916400 + sentSeq,
          direction: 'out',
          type: 'text',
          content: { text: body.message.text },
        };
        history.set(chatId, [{ ...message, author_id: userId }, ...(history.get(chatId) ?? [])]);
        if (lost.answers > 0) {
          lost.answers--;
          return avitoError(502, 'Bad Gateway');
        }
        return json(message);
      });
      // The newest first, as Avito lists them.
      http.on(`GET /messenger/v3/accounts/${userId}/chats/${chatId}/messages/`, (req) =>
        authorized(req) ? json({ messages: history.get(chatId) ?? [] }) : unauthorized,
      );
    },
    /** A voice message getVoiceFiles knows: its link. */
    voice: (id: string, url: string) => voices.set(id, url),
    lost,
    /** What the chat holds, newest first (what Avito actually delivered). */
    history: (chatId: string) => history.get(chatId) ?? [],
    subscriptions: () => http.requests.filter((r) => r.path === '/messenger/v3/webhook'),
    onSubscribe: () =>
      http.on('POST /messenger/v3/webhook', (req) => (authorized(req) ? json({ ok: true }) : unauthorized)),
    sends: () => http.requests.filter((r) => r.method === 'POST' && r.path.startsWith(base)),
    close: () => http.close(),
  };
}

/** The Viber REST bot API on loopback: /pa/send_message and /pa/set_webhook with X-Viber-Auth-Token. */
export async function startFakeViber(token: string) {
  const http = await startHttpRecorder();
  const sendFaults = faults();
  let seq = 0n;
  const authed = (req: RecordedRequest) => req.headers['x-viber-auth-token'] === token;
  const badToken = json({ status: 2, status_message: 'invalidAuthToken' });
  http.on('POST /pa/send_message', (req) => {
    if (!authed(req)) return badToken;
    const fault = sendFaults.next();
    if (fault) return fault;
    seq++;
    // A 64-bit token, written as a bare JSON number like Viber does.
    return {
      status: 200,
      headers: { 'content-type': 'application/json' },
      body: `{"status":0,"status_message":"ok","message_token":${5741311803571721087n + seq},"chat_hostname":"SN-CHAT-05_","billing_status":1}`,
    };
  });
  http.on('POST /pa/set_webhook', (req) =>
    authed(req) ? json({ status: 0, status_message: 'ok', event_types: ['delivered', 'seen'] }) : badToken,
  );
  return {
    http,
    url: http.url,
    sendFaults,
    sends: () => http.requests.filter((r) => r.path === '/pa/send_message'),
    close: () => http.close(),
  };
}

export type FakeVk = Awaited<ReturnType<typeof startFakeVk>>;
export type { HttpRecorder };
