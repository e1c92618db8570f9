import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface TelegramCall {
  token: string;
  method: string;
  body: Record<string, unknown>;
}

type Failure = { status: number; body: Record<string, unknown> };

/**
 * A loopback stand-in for the Telegram Bot API (`POST /bot<token>/<method>`, the `ok/result` envelope):
 * getUpdates keeps redelivering an update until a later call sends a higher offset, and answers 409 while a
 * webhook is set; setWebhook/getWebhookInfo/deleteWebhook; sendMessage/sendDocument return a sent Message
 * with a per-chat message_id; failures (429 retry_after, 403 blocked) can be queued per method. Unknown
 * tokens get 401.
 */
export async function startTelegramFake(tokens: readonly string[]) {
  const calls: TelegramCall[] = [];
  const pending: Record<string, unknown>[] = [];
  const failures = new Map<string, Failure[]>();
  const nextMessageId = new Map<number, number>();
  let nextUpdateId = 804211400;
  let webhook: Record<string, unknown> | undefined;
  let confirmedOffset = 0;
  // Files a bot may download: file_id -> its bytes (getFile gives a file_path under /file/bot<token>/).
  const files = new Map<string, Buffer>();

  const answer = (res: ServerResponse, status: number, body: unknown) => {
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
  };

  function handle(method: string, body: Record<string, unknown>): [number, unknown] {
    const queued = failures.get(method)?.shift();
    if (queued) return [queued.status, queued.body];
    switch (method) {
      case 'getUpdates': {
        if (webhook)
          return [
            409,
            {
              ok: false,
              error_code: 409,
              description:
                "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to delete the webhook first",
            },
          ];
        const offset = typeof body.offset === 'number' ? body.offset : 0;
        if (offset > 0) {
          confirmedOffset = Math.max(confirmedOffset, offset);
          while (pending.length > 0 && (pending[0]!.update_id as number) < offset) pending.shift();
        }
        const limit = typeof body.limit === 'number' ? body.limit : 100;
        return [200, { ok: true, result: pending.slice(0, limit) }];
      }
      case 'setWebhook':
        webhook = body;
        return [200, { ok: true, result: true }];
      case 'deleteWebhook':
        webhook = undefined;
        return [200, { ok: true, result: true }];
      case 'getWebhookInfo':
        return [
          200,
          {
            ok: true,
            result: {
              url: webhook?.url ?? '',
              has_custom_certificate: false,
              pending_update_count: pending.length,
              ...(webhook?.allowed_updates ? { allowed_updates: webhook.allowed_updates } : {}),
            },
          },
        ];
      case 'getFile': {
        const id = String(body.file_id);
        const file = files.get(id);
        if (!file) return [400, { ok: false, error_code: 400, description: 'Bad Request: invalid file_id' }];
        return [
          200,
          {
            ok: true,
            result: {
              file_id: id,
              file_unique_id: `u-${id}`,
              file_size: file.length,
              file_path: `files/${id}`,
            },
          },
        ];
      }
      case 'answerCallbackQuery':
        return [200, { ok: true, result: true }];
      case 'sendMessage':
      case 'sendDocument': {
        const chatId = Number(body.chat_id);
        const id = (nextMessageId.get(chatId) ?? 2000) + 1;
        nextMessageId.set(chatId, id);
        const message: Record<string, unknown> = {
          message_id: id,
          from: { id: 7000000001, is_bot: true, first_name: 'Shop', username: 'shop_bot' },
          chat: { id: chatId, first_name: 'Ирина', type: 'private' },
          date: 1767003600,
          ...(body.business_connection_id ? { business_connection_id: body.business_connection_id } : {}),
          ...(method === 'sendMessage'
            ? { text: body.text }
            : {
                caption: body.caption,
                document: {
                  file_name: 'doc.pdf',
                  mime_type: 'application/pdf',
                  file_id: `BQAC${id}`,
                  file_unique_id: `u${id}`,
                  file_size: 1000,
                },
              }),
        };
        return [200, { ok: true, result: message }];
      }
      default:
        return [404, { ok: false, error_code: 404, description: 'Not Found: method not found' }];
    }
  }

  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const download = /^\/file\/bot([^/]+)\/files\/(.+)$/.exec(req.url ?? '');
      if (download) {
        calls.push({ token: download[1]!, method: 'file', body: { path: download[2] } });
        const file = tokens.includes(download[1]!) ? files.get(decodeURIComponent(download[2]!)) : undefined;
        if (!file) return answer(res, 404, { ok: false, error_code: 404, description: 'Not Found' });
        res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': file.length });
        return res.end(file);
      }
      const m = /^\/bot([^/]+)\/(\w+)/.exec(req.url ?? '');
      if (!m || !tokens.includes(m[1]!))
        return answer(res, 401, { ok: false, error_code: 401, description: 'Unauthorized' });
      const text = Buffer.concat(chunks).toString('utf8');
      let body: Record<string, unknown> = {};
      if (text) {
        const type = req.headers['content-type'] ?? '';
        body = type.includes('json') ? JSON.parse(text) : Object.fromEntries(new URLSearchParams(text));
      }
      calls.push({ token: m[1]!, method: m[2]!, body });
      const [status, out] = handle(m[2]!, body);
      answer(res, status, out);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    calls,
    /** Calls of one method, in order. */
    callsOf: (method: string) => calls.filter((c) => c.method === method),
    /** Queues an update for getUpdates with the next update_id; returns it. */
    enqueue(update: Record<string, unknown>): Record<string, unknown> {
      const u = { ...update, update_id: nextUpdateId++ };
      pending.push(u);
      return u;
    },
    /** Updates not yet confirmed by a higher offset (what a new poller would get again). */
    pending: () => pending.length,
    confirmedOffset: () => confirmedOffset,
    /** The next call of `method` fails with this answer (Telegram's error envelope). */
    failNext(method: string, status: number, description: string, parameters?: Record<string, unknown>) {
      const list = failures.get(method) ?? [];
      list.push({
        status,
        body: { ok: false, error_code: status, description, ...(parameters ? { parameters } : {}) },
      });
      failures.set(method, list);
    },
    /** A file the Bot API serves by its file_id (getFile, then GET /file/bot<token>/<file_path>). */
    file: (fileId: string, bytes: Buffer) => files.set(fileId, bytes),
    webhook: () => webhook,
    setWebhook: (w: Record<string, unknown> | undefined) => {
      webhook = w;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export type TelegramFake = Awaited<ReturnType<typeof startTelegramFake>>;
