import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface RecordedRequest {
  method: string;
  path: string;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

export interface Reply {
  status?: number;
  headers?: Record<string, string>;
  body?: string | Uint8Array;
  /** Sent after `body`, one every `chunkIntervalMs`: a slow transfer. */
  chunks?: (string | Uint8Array)[];
  chunkIntervalMs?: number;
  /** After the chunks, keep the response open without sending anything more: a stalled transfer. */
  stall?: boolean;
}

export type Responder = (req: RecordedRequest) => Reply | undefined;

/**
 * A small HTTP server on loopback that stands in for a vendor API (a PBX): it records every request and
 * answers through per-route responders the test sets. Unrouted requests get 404.
 */
export async function startHttpRecorder() {
  const requests: RecordedRequest[] = [];
  const routes = new Map<string, Responder>();
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const recorded: RecordedRequest = {
        method: req.method ?? 'GET',
        path: req.url ?? '/',
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
      };
      requests.push(recorded);
      const pathOnly = recorded.path.split('?')[0]!;
      const responder = routes.get(`${recorded.method} ${pathOnly}`);
      const reply = responder?.(recorded) ?? { status: 404, body: '{"message":"not found"}' };
      res.writeHead(reply.status ?? 200, reply.headers ?? { 'content-type': 'application/json' });
      if (!reply.chunks && !reply.stall) {
        res.end(reply.body ?? '');
        return;
      }
      if (reply.body !== undefined) res.write(reply.body);
      const rest = [...(reply.chunks ?? [])];
      const next = () => {
        const chunk = rest.shift();
        if (chunk !== undefined) {
          res.write(chunk);
          timers.add(setTimeout(next, reply.chunkIntervalMs ?? 0));
        } else if (!reply.stall) res.end();
      };
      timers.add(setTimeout(next, reply.chunkIntervalMs ?? 0));
    });
  });
  const timers = new Set<NodeJS.Timeout>();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    /** Answers `METHOD /path` (query ignored) with the responder; replaces an earlier one. */
    on(methodAndPath: string, responder: Responder) {
      routes.set(methodAndPath, responder);
    },
    reset() {
      requests.length = 0;
      routes.clear();
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const t of timers) clearTimeout(t);
        server.close(() => resolve());
        // Stalled responses never end on their own.
        server.closeAllConnections();
      }),
  };
}

export type HttpRecorder = Awaited<ReturnType<typeof startHttpRecorder>>;
