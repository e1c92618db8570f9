import { once } from 'node:events';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface RecordedCall {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
  // biome-ignore lint/suspicious/noExplicitAny: tests assert on the JSON they sent field by field
  json: any;
}

export interface ScriptedResponse {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

/**
 * A vendor API stand-in on loopback: records every call and answers from a script (per path prefix, in
 * order; the fallback when a script runs out). Outbound clients get its URL as their base URL from config.
 */
export async function startRecordingServer(fallback: (call: RecordedCall) => ScriptedResponse) {
  const calls: RecordedCall[] = [];
  const scripts: { prefix: string; queue: ScriptedResponse[] }[] = [];
  const server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const body = Buffer.concat(chunks).toString('utf8');
    let json: unknown;
    try {
      json = JSON.parse(body);
    } catch {}
    const call: RecordedCall = {
      method: req.method ?? '',
      path: req.url ?? '',
      headers: req.headers,
      body,
      json,
    };
    calls.push(call);
    const script = scripts.find((s) => call.path.startsWith(s.prefix) && s.queue.length > 0);
    const answer = script?.queue.shift() ?? fallback(call);
    res.writeHead(answer.status, { 'content-type': 'application/json', ...(answer.headers ?? {}) });
    res.end(answer.body === undefined ? '' : JSON.stringify(answer.body));
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    calls,
    /** The next answers for calls whose path starts with `prefix`, in order. */
    script(prefix: string, ...answers: ScriptedResponse[]) {
      scripts.push({ prefix, queue: answers });
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
