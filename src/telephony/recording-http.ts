import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import http, { type IncomingMessage } from 'node:http';
import https from 'node:https';
import { BlockList, isIP } from 'node:net';
import { SwitchboardError } from '../core/errors.js';

/**
 * HTTP for recording downloads, the one place Switchboard fetches a URL a third party chose (the PBX's
 * `link`). Only http(s), only to the account's own hosts, never to loopback, private, link-local or other
 * internal addresses: the address is checked when the socket connects (a resolver answer, not the literal
 * host), so a name that re-resolves to 127.0.0.1 between two lookups (DNS rebinding) is refused as well.
 * Redirects are followed by hand and each hop is checked again. Time limits are per silence, not per
 * transfer: see `idleTimeoutMs`.
 */

/** A link we will never fetch (scheme, host, address): retrying cannot help. */
export class RefusedLinkError extends SwitchboardError {
  constructor(message: string) {
    super('upstream_failed', message, { retryable: false });
  }
}

/** The link answered a non-2xx, non-redirect status (404: gone, 5xx: try later). */
export class LinkStatusError extends Error {
  constructor(readonly status: number) {
    super(`HTTP ${status}`);
  }
}

export interface GuardedRequest {
  url: string;
  method?: 'GET' | 'POST';
  headers?: Record<string, string>;
  body?: string;
  /** Host names the link may point to; `*.example.ru` allows every subdomain of example.ru. */
  hosts: readonly string[];
  /** Tests only: allow loopback and private addresses (the test PBX listens on 127.0.0.1). */
  allowPrivateNetworks: boolean;
  /** Abandon when nothing arrives for this long: connecting, waiting for the answer, between two chunks. */
  idleTimeoutMs: number;
  signal?: AbortSignal;
}

export interface GuardedResponse {
  response: IncomingMessage;
  /** The URL that answered (after redirects). */
  url: URL;
  /** Call on every chunk read: the idle timer starts again. */
  touch(): void;
  /** Stops the idle timer once the body has been read. */
  done(): void;
}

const MAX_REDIRECTS = 3;

// Where a request from the daemon could reach something that is not the PBX: our host, our network, the
// cloud metadata service (169.254.169.254), carrier-grade NAT, multicast, reserved ranges.
const INTERNAL = new BlockList();
for (const [net, prefix] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['224.0.0.0', 4],
  ['240.0.0.0', 4],
] as const)
  INTERNAL.addSubnet(net, prefix, 'ipv4');
for (const [net, prefix] of [
  ['::', 128],
  ['::1', 128],
  ['fc00::', 7],
  ['fe80::', 10],
  ['ff00::', 8],
] as const)
  INTERNAL.addSubnet(net, prefix, 'ipv6');

/** True for an address inside our own host or network (IPv4-mapped IPv6 is checked as IPv4). */
export function isInternalAddress(address: string): boolean {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped) return INTERNAL.check(mapped[1]!, 'ipv4');
  const family = isIP(address);
  if (family === 0) return true;
  return INTERNAL.check(address, family === 4 ? 'ipv4' : 'ipv6');
}

/** Whether `host` is one of `patterns` (`acme.megapbx.ru`, or `*.megapbx.ru` for its subdomains). */
export function hostAllowed(host: string, patterns: readonly string[]): boolean {
  const h = host.toLowerCase().replace(/\.$/, '');
  return patterns.some((p) => (p.startsWith('*.') ? h.endsWith(p.slice(1)) : h === p));
}

function check(url: URL, req: GuardedRequest): void {
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw new RefusedLinkError(`refused a ${url.protocol} link: only http(s) recordings are fetched`);
  const host = url.hostname.replace(/^\[|\]$/g, '');
  if (!hostAllowed(host, req.hosts))
    throw new RefusedLinkError(
      req.hosts.length === 0
        ? `refused host ${host}: no recording hosts are configured for this account`
        : `refused host ${host}: not one of the account's recording hosts (${req.hosts.join(', ')})`,
    );
  if (isIP(host) !== 0 && !req.allowPrivateNetworks && isInternalAddress(host))
    throw new RefusedLinkError(`refused ${host}: a loopback, private or link-local address`);
}

/** dns.lookup that refuses internal addresses; used by the socket itself, so it checks what is connected to. */
function guardedLookup(allowPrivate: boolean) {
  return (
    hostname: string,
    options: { all?: boolean; family?: number | string },
    callback: (err: Error | null, address: string | LookupAddress[], family?: number) => void,
  ): void => {
    dnsLookup(hostname, { ...options, all: true } as never, (err, addresses: LookupAddress[]) => {
      if (err) return callback(err, '');
      const internal = addresses.find((a) => isInternalAddress(a.address));
      if (internal && !allowPrivate)
        return callback(
          new RefusedLinkError(
            `refused ${hostname}: it resolves to a loopback, private or link-local address`,
          ),
          '',
        );
      const first = addresses[0];
      if (!first) return callback(new Error(`${hostname} has no address`), '');
      if (options.all) callback(null, addresses);
      else callback(null, first.address, first.family);
    });
  };
}

/**
 * Opens a recording: resolves redirects (each hop checked; credentials only to the first origin) and answers
 * the 2xx response whose body the caller reads, calling `touch()` per chunk. Throws RefusedLinkError for a link
 * it will not fetch, `HTTP <status>` for another answer, and a "stalled" error after idleTimeoutMs of silence.
 */
export async function openRecording(req: GuardedRequest): Promise<GuardedResponse> {
  let url: URL;
  try {
    url = new URL(req.url);
  } catch {
    throw new RefusedLinkError('refused a link that is not an absolute URL');
  }
  const origin = url.origin;
  let method = req.method ?? 'GET';
  let body = req.body;
  for (let hop = 0; ; hop++) {
    check(url, req);
    const headers = url.origin === origin ? (req.headers ?? {}) : {};
    const opened = await send(url, method, headers, body, req);
    const { response } = opened;
    const status = response.statusCode ?? 0;
    const location = response.headers.location;
    if (status >= 300 && status < 400 && location) {
      opened.done();
      response.destroy();
      if (hop >= MAX_REDIRECTS) throw new Error(`more than ${MAX_REDIRECTS} redirects`);
      url = new URL(location, url);
      // As browsers do: a redirected POST becomes a GET without a body (except 307/308).
      if (status !== 307 && status !== 308) {
        method = 'GET';
        body = undefined;
      }
      continue;
    }
    if (status < 200 || status >= 300) {
      opened.done();
      response.destroy();
      throw new LinkStatusError(status);
    }
    return opened;
  }
}

function send(
  url: URL,
  method: string,
  headers: Record<string, string>,
  body: string | undefined,
  req: GuardedRequest,
): Promise<GuardedResponse> {
  return new Promise((resolve, reject) => {
    const client = url.protocol === 'https:' ? https : http;
    const request = client.request(url, {
      method,
      headers: { ...headers, ...(body !== undefined ? { 'content-length': Buffer.byteLength(body) } : {}) },
      lookup: guardedLookup(req.allowPrivateNetworks) as never,
      agent: false,
    });
    let timer: NodeJS.Timeout | undefined;
    let answer: IncomingMessage | undefined;
    // Once the answer has begun, destroying it is what errors the body stream the caller is reading.
    const fail = (err: Error) => (answer ?? request).destroy(err);
    const done = () => {
      clearTimeout(timer);
      req.signal?.removeEventListener('abort', onAbort);
    };
    const touch = () => {
      clearTimeout(timer);
      timer = setTimeout(
        () => fail(new Error(`stalled: nothing received for ${req.idleTimeoutMs} ms`)),
        req.idleTimeoutMs,
      );
      timer.unref();
    };
    const onAbort = () => fail(new Error('download stopped'));
    if (req.signal?.aborted) return reject(new Error('download stopped'));
    req.signal?.addEventListener('abort', onAbort, { once: true });
    request.on('error', (err) => {
      done();
      reject(err);
    });
    request.on('response', (response) => {
      answer = response;
      touch();
      resolve({ response, url, touch, done });
    });
    touch();
    request.end(body);
  });
}
