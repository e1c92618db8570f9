import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A loopback fake of the amoCRM API v4 subset the connector uses, from the reference
 * (/work/shared/reference/crm-bitrix24.md §9): Bearer auth (401 problem+json otherwise), `GET /api/v4/contacts`
 * and `GET /api/v4/leads` with `page`/`limit` (≤ 250) and `with=contacts`, answered `application/hal+json` with
 * the list under `_embedded` (204 for a page past the end), `POST /api/v4/leads/unsorted/forms` (400
 * validation-errors without `source_name`/`source_uid`, a duplicate refused), and more than 7 requests in a
 * second answered 429.
 */
export async function startAmocrmFake(opts: { token: string; clock?: () => Date }) {
  const contacts: Record<string, unknown>[] = [];
  const leads: Record<string, unknown>[] = [];
  const unsorted: { uid: string; request: Record<string, unknown>; leadId: number }[] = [];
  const requests: { method: string; path: string; body: unknown }[] = [];
  const recent: number[] = [];
  let nextId = 5000;

  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://fake');
      const text = Buffer.concat(chunks).toString('utf8');
      const body = text ? JSON.parse(text) : undefined;
      requests.push({ method: req.method ?? '', path: url.pathname, body });
      const send = (status: number, json?: unknown, type = 'application/hal+json') => {
        res.writeHead(status, json === undefined ? {} : { 'content-type': type });
        res.end(json === undefined ? undefined : JSON.stringify(json));
      };
      const problem = (status: number, title: string, extra: Record<string, unknown> = {}) =>
        send(
          status,
          { title, type: `https://httpstatus.es/${status}`, status, ...extra },
          'application/problem+json',
        );
      if (req.headers.authorization !== `Bearer ${opts.token}`) return problem(401, 'Unauthorized');
      const now = (opts.clock ?? (() => new Date()))().getTime();
      while (recent.length > 0 && now - recent[0]! > 1000) recent.shift();
      recent.push(now);
      if (recent.length > 7) return problem(429, 'Too Many Requests');

      const page = Number(url.searchParams.get('page') ?? 1);
      const limit = Math.min(250, Number(url.searchParams.get('limit') ?? 50));
      const list = (
        key: string,
        rows: Record<string, unknown>[],
        embed: (r: Record<string, unknown>) => unknown,
      ) => {
        const slice = rows.slice((page - 1) * limit, page * limit);
        if (slice.length === 0) return send(204);
        send(200, {
          _page: page,
          _links: { self: { href: url.toString() } },
          _embedded: { [key]: slice.map(embed) },
        });
      };
      if (req.method === 'GET' && url.pathname === '/api/v4/contacts')
        return list('contacts', contacts, (c) => c);
      if (req.method === 'GET' && url.pathname === '/api/v4/leads') {
        const withContacts = (url.searchParams.get('with') ?? '').split(',').includes('contacts');
        return list('leads', leads, (l) => {
          const { contacts: linked, ...rest } = l as { contacts?: unknown[] };
          return withContacts ? { ...rest, _embedded: { contacts: linked ?? [] } } : rest;
        });
      }
      if (req.method === 'POST' && url.pathname === '/api/v4/leads/unsorted/forms') {
        const items = body as Record<string, unknown>[];
        const missing = items.flatMap((item, i) =>
          ['source_name', 'source_uid']
            .filter((f) => !item[f])
            .map((f) => ({ code: 'FieldMissing', path: `${i}.${f}` })),
        );
        if (missing.length > 0)
          return problem(400, 'Bad Request', { 'validation-errors': [{ errors: missing }] });
        if (items.some((item) => unsorted.some((u) => u.request.source_uid === item.source_uid)))
          return problem(400, 'Bad Request', { detail: 'Duplicate data' });
        const made = items.map((item) => {
          const u = { uid: randomUUID().replace(/-/g, ''), request: item, leadId: nextId++ };
          unsorted.push(u);
          return {
            uid: u.uid,
            request_id: item.request_id,
            _embedded: { leads: [{ id: u.leadId }], contacts: [{ id: nextId++ }] },
          };
        });
        return send(200, { _total_items: made.length, _embedded: { unsorted: made } });
      }
      problem(404, 'Not Found');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    baseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    contacts,
    leads,
    unsorted,
    requests,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

export type AmocrmFake = Awaited<ReturnType<typeof startAmocrmFake>>;
