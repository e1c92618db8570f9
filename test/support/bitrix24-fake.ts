import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A loopback fake of the Bitrix24 REST subset the connector uses, built from the reference
 * (/work/shared/reference/crm-bitrix24.md §2–§7), not from the connector: routes
 * `/rest/{uid}/{code}/{method}[.json]` with JSON or form bodies, 401 INVALID_CREDENTIALS for a bad code,
 * 404 ERROR_METHOD_NOT_FOUND, 50-row pages with numbers as strings (`total`/`next`, none with `start=-1`),
 * prefix filters with datetimes compared as instants and unknown keys ignored, `batch` with `$result`
 * references, `[]` for empty maps and ERROR_BATCH_LENGTH_EXCEEDED, multi-field updates, a leaky bucket
 * (drain 2/s, capacity 50) answering 503 QUERY_LIMIT_EXCEEDED, an injectable 429 OPERATION_TIME_LIMIT,
 * form-encoded events with auth[application_token], and the telephony log (externalcall register/finish with
 * CALL_ID reuse when EXTERNAL_CALL_ID is absent, "Call is not found" for a finished call, attachRecord, and
 * WRONG_AUTH_TYPE when telephony is app-only).
 */
type Row = Record<string, unknown> & { ID: string };
type Entity = 'contact' | 'company' | 'deal' | 'lead';
const MULTI = ['PHONE', 'EMAIL', 'IM', 'WEB'];

class Fail extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    readonly description: string,
  ) {
    super(description);
  }
}

/** `a[b][c]=v` pairs -> nested objects (PHP's parse_str). */
export function parsePhpQuery(query: string): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of new URLSearchParams(query)) {
    const path = key.replace(/\]/g, '').split('[');
    let node = out;
    path.forEach((p, i) => {
      if (i === path.length - 1) node[p] = value;
      else {
        node[p] ??= {};
        node = node[p] as Record<string, unknown>;
      }
    });
  }
  return listsOf(out) as Record<string, unknown>;
}

/** PHP arrays with keys 0..n-1 are lists. */
function listsOf(v: unknown): unknown {
  if (v === null || typeof v !== 'object') return v;
  const entries = Object.entries(v as Record<string, unknown>).map(([k, x]) => [k, listsOf(x)] as const);
  if (entries.length > 0 && entries.every(([k], i) => k === String(i))) return entries.map(([, x]) => x);
  return Object.fromEntries(entries);
}

export async function startBitrix24Fake(opts: { clock: () => Date; code?: string; userId?: string }) {
  const code = opts.code ?? 'abc123def456ghij';
  const userId = opts.userId ?? '1';
  const tables: Record<Entity, Map<string, Row>> = {
    contact: new Map(),
    company: new Map(),
    deal: new Map(),
    lead: new Map(),
  };
  const dealContacts = new Map<string, { CONTACT_ID: number; IS_PRIMARY: 'Y' | 'N' }[]>();
  const users: Row[] = [];
  const comments: { ENTITY_ID: number; ENTITY_TYPE: string; COMMENT: string }[] = [];
  const calls: { method: string; params: Record<string, unknown> }[] = [];
  /** The telephony log: externally registered calls by CALL_ID (reference §5 "Calls"). */
  const externalCalls = new Map<
    string,
    {
      register: Record<string, unknown>;
      at: number;
      finish?: Record<string, unknown>;
      record?: Record<string, unknown>;
    }
  >();
  let nextId = 1000;
  let bucket = 0;
  let drainedAt = opts.clock().getTime();
  const state = {
    capacity: 50,
    drainPerSecond: 2,
    operationLimit: false,
    dropNextAnswerOf: undefined as string | undefined,
    /** Telephony methods in app context only (the documented default, §5 "Auth"): a webhook gets WRONG_AUTH_TYPE. */
    telephonyAppOnly: false,
    limited: 0,
    /** HTTP requests answered (a batch is one, whatever it holds). */
    requests: 0,
    /** Past this many requests every call gets 429 OPERATION_TIME_LIMIT (a load cut short). */
    operationLimitAfter: undefined as number | undefined,
  };
  const iso = (d: Date) => d.toISOString().replace(/\.\d{3}Z$/, '+00:00');
  const stringify = (r: Record<string, unknown>): Row =>
    Object.fromEntries(Object.entries(r).map(([k, v]) => [k, typeof v === 'number' ? String(v) : v])) as Row;

  function put(entity: Entity, fields: Record<string, unknown>, id?: string): Row {
    const ID = id ?? String(nextId++);
    const row = stringify({ ...fields, ID, DATE_MODIFY: fields.DATE_MODIFY ?? iso(opts.clock()) });
    let mid = 0;
    for (const m of MULTI)
      if (Array.isArray(row[m]))
        row[m] = (row[m] as Record<string, unknown>[]).map((v) =>
          stringify({ ID: String(Number(ID) * 100 + mid++), TYPE_ID: m, ...v }),
        );
    tables[entity].set(ID, row);
    version++;
    return row;
  }

  function compare(field: unknown, op: string, value: unknown): boolean {
    const asTime = (v: unknown) =>
      typeof v === 'string' && /^\d{4}-\d\d-\d\d[T ]/.test(v) ? Date.parse(v) : NaN;
    let a: number | string = asTime(field);
    let b: number | string = asTime(value);
    if (Number.isNaN(a) || Number.isNaN(b)) {
      const na = Number(field);
      const nb = Number(value);
      [a, b] =
        Number.isNaN(na) || Number.isNaN(nb) || field === ''
          ? [String(field ?? ''), String(value)]
          : [na, nb];
    }
    switch (op) {
      case '>=':
        return a >= b;
      case '>':
        return a > b;
      case '<=':
        return a <= b;
      case '<':
        return a < b;
      case '!':
      case '!=':
        return a !== b;
      default:
        return a === b;
    }
  }

  const sortedCache = new Map<Entity, { size: number; version: number; rows: Row[] }>();
  let version = 0;
  /** The table in ID order, cached until a row is added or removed. */
  function byId(entity: Entity): Row[] {
    const cached = sortedCache.get(entity);
    if (cached && cached.size === tables[entity].size && cached.version === version) return cached.rows;
    const rows = [...tables[entity].values()].sort((x, y) => Number(x.ID) - Number(y.ID));
    sortedCache.set(entity, { size: tables[entity].size, version, rows });
    return rows;
  }

  function list(entity: Entity, p: Record<string, unknown>) {
    const known = new Set([
      'ID',
      'DATE_MODIFY',
      'ORIGIN_ID',
      'ORIGINATOR_ID',
      'STATUS_ID',
      'COMPANY_ID',
      'ASSIGNED_BY_ID',
      'STAGE_SEMANTIC_ID',
      'CATEGORY_ID',
    ]);
    const filter = (p.filter ?? p.FILTER ?? {}) as Record<string, unknown>;
    const tests: ((r: Row) => boolean)[] = [];
    let afterId = -Infinity;
    for (const [k, v] of Object.entries(filter)) {
      const [, op = '', field = ''] = /^(>=|<=|!=|>|<|=|!)?(.*)$/.exec(k) ?? [];
      if (!known.has(field)) continue; // unknown filter keys are silently dropped (reference §3)
      if (field === 'ID' && op === '>' && v !== '' && !Number.isNaN(Number(v)))
        afterId = Math.max(afterId, Number(v));
      else tests.push((r) => compare(r[field], op, v));
    }
    const sorted = byId(entity);
    // Rows come in ID order (the only order the connector asks for); `>ID` starts past the key.
    let lo = 0;
    let hi = sorted.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (Number(sorted[mid]!.ID) <= afterId) lo = mid + 1;
      else hi = mid;
    }
    const start = Number(p.start ?? 0);
    const rows: Row[] = [];
    for (let i = lo; i < sorted.length; i++) {
      const r = sorted[i]!;
      if (!tests.every((t) => t(r))) continue;
      rows.push(r);
      if (start === -1 && rows.length === 50) break; // no COUNT: nothing past the page is read
    }
    const select = (p.select ?? ['*']) as string[];
    const pick = (r: Row) =>
      Object.fromEntries(
        Object.entries(r).filter(([k]) =>
          MULTI.includes(k) ? select.includes(k) : select.includes('*') || select.includes(k),
        ),
      );
    if (start === -1) return { result: rows.slice(0, 50).map(pick) };
    const from = Math.floor(Math.max(0, start) / 50) * 50;
    const page = rows.slice(from, from + 50).map(pick);
    return {
      result: page,
      total: rows.length,
      ...(from + page.length < rows.length ? { next: from + page.length } : {}),
    };
  }

  function update(entity: Entity, p: Record<string, unknown>) {
    const row = tables[entity].get(String(p.id));
    if (!row) throw new Fail(400, '', 'Not found');
    const fields = (p.fields ?? {}) as Record<string, unknown>;
    for (const [k, v] of Object.entries(fields)) {
      if (!MULTI.includes(k)) {
        row[k] = typeof v === 'number' ? String(v) : v;
        continue;
      }
      // ID + VALUE replaces; ID + "" / DELETE=Y / bare ID deletes; no ID adds; the rest is kept (§5).
      let items = (row[k] as Row[] | undefined) ?? [];
      for (const item of v as Record<string, unknown>[]) {
        if (item.ID === undefined)
          items.push(stringify({ ID: String(nextId++), TYPE_ID: k, ...item }) as Row);
        else if (!item.VALUE || item.DELETE === 'Y') items = items.filter((i) => i.ID !== String(item.ID));
        else items = items.map((i) => (i.ID === String(item.ID) ? { ...i, VALUE: item.VALUE } : i)) as Row[];
      }
      row[k] = items;
    }
    row.DATE_MODIFY = iso(opts.clock());
    return { result: true };
  }

  function run(method: string, p: Record<string, unknown>): Record<string, unknown> {
    calls.push({ method, params: p });
    const m = /^crm\.(contact|company|deal|lead)\.(list|get|add|update|delete)$/.exec(method);
    if (m) {
      const entity = m[1] as Entity;
      switch (m[2]) {
        case 'list':
          return list(entity, p);
        case 'get': {
          const row = tables[entity].get(String(p.id ?? p.ID));
          if (!row) throw new Fail(400, '', 'Not found');
          return { result: row };
        }
        case 'add':
          return { result: Number(put(entity, (p.fields ?? {}) as Record<string, unknown>).ID) };
        case 'update':
          return update(entity, p);
        case 'delete':
          if (!tables[entity].delete(String(p.id))) throw new Fail(400, '', 'Not found');
          return { result: true };
      }
    }
    switch (method) {
      case 'crm.deal.contact.items.get':
        return { result: dealContacts.get(String(p.id)) ?? [] };
      case 'crm.timeline.comment.add': {
        const f = p.fields as Record<string, unknown> | undefined; // lower-case `fields` only (§5)
        if (!f) throw new Fail(400, 'ERROR_ARGUMENT', 'fields required');
        const owner = tables[String(f.ENTITY_TYPE) as Entity]?.get(String(f.ENTITY_ID));
        if (!owner) throw new Fail(400, 'OWNER_NOT_FOUND', 'Owner not found');
        comments.push({
          ENTITY_ID: Number(f.ENTITY_ID),
          ENTITY_TYPE: String(f.ENTITY_TYPE),
          COMMENT: String(f.COMMENT),
        });
        return { result: comments.length };
      }
      case 'user.get': {
        const start = Math.floor(Math.max(0, Number(p.start ?? 0)) / 50) * 50;
        const page = users.slice(start, start + 50);
        return {
          result: page,
          total: users.length,
          ...(start + page.length < users.length ? { next: start + page.length } : {}),
        };
      }
      case 'batch':
        return { result: batch(p) };
      case 'telephony.externalcall.register':
        return { result: registerCall(p) };
      case 'telephony.externalcall.finish': {
        const call = externalCalls.get(String(p.CALL_ID));
        // A finished (or unknown) CALL_ID: "Call is not found" (§8).
        if (!call || call.finish) throw new Fail(400, '', 'Call is not found');
        call.finish = p;
        const entity = call.register.CRM_ENTITY_TYPE;
        return {
          result: {
            CALL_ID: p.CALL_ID,
            EXTERNAL_CALL_ID: call.register.EXTERNAL_CALL_ID ?? null,
            PORTAL_USER_ID: Number(p.USER_ID ?? call.register.USER_ID),
            CALL_DURATION: Number(p.DURATION ?? 0),
            CALL_STATUS: String(p.STATUS_CODE ?? '200') === '200' ? 1 : 0,
            CALL_FAILED_CODE: String(p.STATUS_CODE ?? '200'),
            CRM_ACTIVITY_ID: nextId++,
            CRM_ENTITY_TYPE: entity ?? null,
            CRM_ENTITY_ID: entity ? Number(call.register.CRM_ENTITY_ID) : null,
            ID: externalCalls.size,
          },
        };
      }
      case 'telephony.externalcall.attachrecord': {
        if (state.telephonyAppOnly)
          throw new Fail(401, 'WRONG_AUTH_TYPE', 'Current authorization type is denied for this method');
        const call = externalCalls.get(String(p.CALL_ID));
        if (!call) throw new Fail(400, '', 'Call is not found');
        if (!/\.(mp3|wav)$/i.test(String(p.FILENAME ?? '')))
          throw new Fail(400, 'ERROR_ARGUMENT', 'FILENAME must end with mp3 or wav');
        // Attached once; a second call replaces it (dev.1c-bitrix.ru telephony.externalCall.attachRecord).
        call.record = p;
        return { result: { FILE_ID: nextId++ } };
      }
      default:
        throw new Fail(404, 'ERROR_METHOD_NOT_FOUND', 'Method not found!');
    }
  }

  function registerCall(p: Record<string, unknown>) {
    if (state.telephonyAppOnly)
      throw new Fail(401, 'WRONG_AUTH_TYPE', 'Current authorization type is denied for this method');
    if ((!p.USER_ID && !p.USER_PHONE_INNER) || !p.PHONE_NUMBER || !p.TYPE)
      throw new Fail(400, 'ERROR_ARGUMENT', 'USER_ID, PHONE_NUMBER and TYPE are required');
    const now = opts.clock().getTime();
    // Without EXTERNAL_CALL_ID a repeat within 30 min (same phone, type, user, line) returns the same CALL_ID.
    let id: string | undefined;
    if (!p.EXTERNAL_CALL_ID)
      for (const [k, c] of externalCalls)
        if (
          !c.register.EXTERNAL_CALL_ID &&
          now - c.at < 30 * 60_000 &&
          ['PHONE_NUMBER', 'TYPE', 'USER_ID', 'LINE_NUMBER'].every(
            (f) => String(c.register[f]) === String(p[f]),
          )
        )
          id = k;
    if (!id) {
      id = `externalCall.${(nextId++).toString(16).padStart(32, '0')}.${Math.floor(now / 1000)}`;
      externalCalls.set(id, { register: p, at: now });
    }
    const type = p.CRM_ENTITY_TYPE ? String(p.CRM_ENTITY_TYPE) : null;
    return {
      CALL_ID: id,
      CRM_CREATED_LEAD: null,
      CRM_CREATED_ENTITIES: [],
      CRM_ENTITY_TYPE: type,
      CRM_ENTITY_ID: type ? Number(p.CRM_ENTITY_ID) : null,
    };
  }

  function batch(p: Record<string, unknown>) {
    const halt = String(p.halt) === '1';
    const out = {
      result: {} as Record<string, unknown>,
      result_error: {} as Record<string, unknown>,
      result_total: {} as Record<string, number>,
      result_next: {} as Record<string, number>,
      result_time: {} as Record<string, unknown>,
    };
    const entries = Object.entries((p.cmd ?? {}) as Record<string, string>);
    for (const [i, [key, command]] of entries.entries()) {
      if (i >= 50) {
        out.result_error[key] = {
          error: 'ERROR_BATCH_LENGTH_EXCEEDED',
          error_description: 'Max batch length exceeded',
        };
        continue;
      }
      const [method, query = ''] = command.split('?') as [string, string?];
      // $result[key][i][FIELD] in a (decoded) value refers to an earlier command's result.
      const resolve = (v: unknown): unknown => {
        if (Array.isArray(v)) return v.map(resolve);
        if (v !== null && typeof v === 'object')
          return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, resolve(x)]));
        const ref = typeof v === 'string' ? /^\$result\[([^\]]+)\]((?:\[[^\]]+\])*)$/.exec(v) : null;
        if (!ref) return v;
        let out_: unknown = out.result[ref[1]!];
        for (const part of ref[2]!.match(/[^[\]]+/g) ?? [])
          out_ = (out_ as Record<string, unknown> | undefined)?.[part];
        return out_ === undefined ? '' : String(out_);
      };
      try {
        const r = run(method, resolve(parsePhpQuery(query)) as Record<string, unknown>);
        out.result[key] = r.result;
        if (typeof r.total === 'number') out.result_total[key] = r.total;
        if (typeof r.next === 'number') out.result_next[key] = r.next;
        out.result_time[key] = {};
      } catch (err) {
        if (!(err instanceof Fail)) throw err;
        out.result_error[key] = { error: err.code, error_description: err.description };
        if (halt) break;
      }
    }
    // Empty maps come back as [] (reference §2).
    return Object.fromEntries(Object.entries(out).map(([k, v]) => [k, Object.keys(v).length === 0 ? [] : v]));
  }

  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const send = (status: number, body: unknown) => {
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(body));
      };
      state.requests++;
      const match = /^\/rest\/(\d+)\/([^/]+)\/([\w.]+?)(?:\.json)?(?:\?.*)?$/.exec(req.url ?? '');
      if (!match)
        return send(404, { error: 'ERROR_METHOD_NOT_FOUND', error_description: 'Method not found!' });
      const [, uid, givenCode, rawMethod] = match;
      if (uid !== userId || givenCode !== code)
        return send(401, { error: 'INVALID_CREDENTIALS', error_description: 'Invalid request credentials' });
      // Leaky bucket per portal: drains 2/s, blocks past 50.
      const now = opts.clock().getTime();
      bucket = Math.max(0, bucket - ((now - drainedAt) / 1000) * state.drainPerSecond);
      drainedAt = now;
      if (bucket + 1 > state.capacity) {
        state.limited++;
        return send(503, { error: 'QUERY_LIMIT_EXCEEDED', error_description: 'Too many requests' });
      }
      bucket += 1;
      const method = rawMethod!.toLowerCase();
      if (state.operationLimit || (state.operationLimitAfter ?? Infinity) < state.requests)
        return send(429, {
          error: 'OPERATION_TIME_LIMIT',
          error_description: 'Method is blocked due to operation time limit.',
          time: { operating_reset_at: Math.floor(now / 1000) + 60 },
        });
      const text = Buffer.concat(chunks).toString('utf8');
      const params = (req.headers['content-type'] ?? '').includes('json')
        ? text
          ? JSON.parse(text)
          : {}
        : parsePhpQuery(text);
      try {
        const result = run(method, params);
        if (state.dropNextAnswerOf === method) {
          // The call ran, the answer is lost (a timeout on the client's side).
          state.dropNextAnswerOf = undefined;
          res.destroy();
          return;
        }
        send(200, {
          ...result,
          time: {
            start: now / 1000,
            finish: now / 1000,
            duration: 0,
            processing: 0,
            date_start: iso(new Date(now)),
            date_finish: iso(new Date(now)),
            operating: 0,
          },
        });
      } catch (err) {
        if (err instanceof Fail)
          return send(err.status, { error: err.code, error_description: err.description });
        send(500, { error: 'INTERNAL_SERVER_ERROR', error_description: String(err) });
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    webhookUrl: `http://127.0.0.1:${port}/rest/${userId}/${code}/`,
    badWebhookUrl: `http://127.0.0.1:${port}/rest/${userId}/wrong-code/`,
    tables,
    dealContacts,
    users,
    comments,
    calls,
    externalCalls,
    state,
    put,
    /** Fills the bucket: the next `n` requests past capacity get QUERY_LIMIT_EXCEEDED until it drains. */
    saturate() {
      bucket = state.capacity + 4;
      drainedAt = opts.clock().getTime();
    },
    /** The §4 form body of an event, as Bitrix24's queue POSTs it. */
    eventForm(event: string, id: string, token: string) {
      return new URLSearchParams({
        event,
        event_handler_id: '975',
        'data[FIELDS][ID]': id,
        ts: String(Math.floor(opts.clock().getTime() / 1000)),
        'auth[domain]': 'company.bitrix24.ru',
        'auth[client_endpoint]': 'https://company.bitrix24.ru/rest/',
        'auth[server_endpoint]': 'https://oauth.bitrix.info/rest/',
        'auth[member_id]': 'd897063e1ce7c5eb9f04b9751eef5915',
        'auth[application_token]': token,
      }).toString();
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

export type Bitrix24Fake = Awaited<ReturnType<typeof startBitrix24Fake>>;
