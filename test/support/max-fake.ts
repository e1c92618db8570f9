import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface MaxCall {
  method: string;
  path: string;
  query: URLSearchParams;
  authorization: string | undefined;
  body: string;
}

const BOT_ID = 94399782;

/**
 * A loopback stand-in for the MAX Bot API: `Authorization: <token>` exactly (missing or `Bearer …`: 401);
 * /me, /subscriptions, /updates (a marker commits every update before it; uncommitted ones come again),
 * /messages answering `{message}` with `mid` strings and `seq` above 2^53 written as raw digits, /uploads
 * giving a loopback upload URL (multipart `data`) whose token is not ready on its first send (400
 * `attachment.not.ready`), /answers; failures can be queued for /messages.
 */
export async function startMaxFake(token: string) {
  const calls: MaxCall[] = [];
  const queue: { id: number; raw: string }[] = [];
  const subscriptions: { url: string; secret?: string; update_types?: string[] }[] = [];
  const failures: { status: number; code: string }[] = [];
  const notReady = new Set<string>();
  let committed = 0;
  let nextId = 8812345;
  let sent = 0;
  let uploads = 0;

  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://fake');
      const call: MaxCall = {
        method: req.method ?? 'GET',
        path: url.pathname,
        query: url.searchParams,
        authorization: req.headers.authorization,
        body: Buffer.concat(chunks).toString('utf8'),
      };
      calls.push(call);
      const [status, text] = route(call);
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(text);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  function route(c: MaxCall): [number, string] {
    const key = `${c.method} ${c.path}`;
    if (key === 'GET /files/invoice.pdf') return [200, '%PDF-1.4 invoice'];
    if (c.method === 'POST' && c.path.startsWith('/upload/')) {
      if (!c.body.includes('name="data"')) return [400, '{"code":"bad.request","message":"no data"}'];
      const tokenOf = `file-token-${c.path.slice('/upload/'.length)}`;
      notReady.add(tokenOf);
      return [200, JSON.stringify({ token: tokenOf })];
    }
    if (c.authorization !== token) return [401, '{"code":"verify.token","message":"Invalid access_token"}'];
    switch (key) {
      case 'GET /me':
        return [
          200,
          `{"user_id":${BOT_ID},"name":"Shop","username":"shop_bot","is_bot":true,"last_activity_time":1767000000000}`,
        ];
      case 'POST /subscriptions': {
        const body = JSON.parse(c.body);
        subscriptions.splice(
          0,
          subscriptions.length,
          ...subscriptions.filter((s) => s.url !== body.url),
          body,
        );
        return [200, '{"success":true}'];
      }
      case 'GET /subscriptions':
        return [
          200,
          JSON.stringify({
            subscriptions: subscriptions.map((s) => ({
              url: s.url,
              time: 1767000000000,
              update_types: s.update_types,
            })),
          }),
        ];
      case 'DELETE /subscriptions': {
        const i = subscriptions.findIndex((s) => s.url === c.query.get('url'));
        if (i >= 0) subscriptions.splice(i, 1);
        return [200, '{"success":true}'];
      }
      case 'GET /updates': {
        const marker = c.query.get('marker');
        if (marker) committed = Math.max(committed, Number(marker));
        const due = queue.filter((u) => u.id > committed);
        const last = due.at(-1)?.id ?? committed;
        return [200, `{"updates":[${due.map((u) => u.raw).join(',')}],"marker":${last || 'null'}}`];
      }
      case 'POST /uploads':
        uploads++;
        return [200, JSON.stringify({ url: `${base}/upload/${uploads}` })];
      case 'POST /answers':
        return [200, '{"success":true}'];
      case 'POST /messages': {
        const failure = failures.shift();
        if (failure) return [failure.status, JSON.stringify({ code: failure.code, message: failure.code })];
        const body = JSON.parse(c.body) as {
          text?: string;
          attachments?: { payload?: { token?: string } }[];
        };
        const fileToken = body.attachments?.find((a) => a.payload?.token)?.payload?.token;
        if (fileToken && notReady.delete(fileToken))
          return [
            400,
            '{"code":"attachment.not.ready","message":"Key: errors.process.attachment.file.not.processed"}',
          ];
        sent++;
        const chatId = c.query.get('chat_id') ?? '0';
        return [
          200,
          `{"message":{"sender":{"user_id":${BOT_ID},"first_name":"Shop","name":"Shop","is_bot":true},"recipient":{"chat_id":${chatId},"chat_type":"dialog"},"timestamp":${1767003600000 + sent},"body":{"mid":"mid.out.${String(sent).padStart(8, '0')}","seq":11560078588342${String(6000 + sent)},"text":${JSON.stringify(body.text ?? null)}}}}`,
        ];
      }
      default:
        return [404, '{"code":"not.found","message":"Path not found"}'];
    }
  }

  return {
    url: base,
    calls,
    callsTo: (method: string, path: string) => calls.filter((c) => c.method === method && c.path === path),
    /** Queues an update (raw JSON text: 64-bit digits stay exact) for /updates. */
    enqueue(raw: string) {
      queue.push({ id: nextId++, raw });
    },
    committed: () => committed,
    uncommitted: () => queue.filter((u) => u.id > committed).length,
    subscriptions: () => subscriptions,
    failNextMessage(status: number, code: string) {
      failures.push({ status, code });
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export type MaxFake = Awaited<ReturnType<typeof startMaxFake>>;
