import type { Sql } from 'postgres';
import type { ChannelDefinition, ChannelModule } from './channel.js';

/** A channel account's state in a word, read from whatever its transport reports. */
export type AccountState =
  /** Connected and receiving (an IMAP folder connected, a bot's last poll worked, WhatsApp ready). */
  | 'ok'
  /** Waiting for a person: a WhatsApp QR code to scan. */
  | 'pairing'
  /** Starting or reconnecting. */
  | 'connecting'
  /** The last exchange with the provider failed (see lastError). */
  | 'error'
  /** Logged out, stopped. */
  | 'stopped'
  /** Nothing to watch: a webhook-only account before its first event (or the API). */
  | 'waiting';

/** One row of the admin page's channel list and `GET /api/v1/channels`. No secrets, no personal data. */
export interface ChannelAccountView {
  channel: string;
  account: string;
  /** How the account receives (`webhook`, `polling`, `longpoll`, `web`, `gateway`, `imap`…), if known. */
  transport: string | null;
  state: AccountState;
  /** The transport's own word for its state (`qr_required`, `connected`…), for the curious. */
  transportState: string | null;
  /** The newest of the transport's last event and the newest stored event of the account. */
  lastEventAt: string | null;
  /** The transport's last error, else the newest failed/dead/rejected event's reason (secrets masked). */
  lastError: string | null;
  lastErrorAt: string | null;
  /** Where the provider must send webhooks (secret path segments as `<name>`); null when it polls. */
  webhookUrl: string | null;
  /** The account can be registered with its provider (`POST …/connect`, `npm run channels:connect`). */
  connectable: boolean;
  /** A pairing QR code waits to be scanned (`GET /api/v1/channels/{channel}/{account}`). */
  pairing: boolean;
}

/** How far back the channel list looks in the stored events for last events and errors. */
export const CHANNEL_EVENTS_WINDOW_MS = 30 * 86_400_000;

const POLLING = new Set(['polling', 'longpoll', 'web']);
const LAST_EVENT_FIELDS = ['lastEventAt', 'lastUpdateAt', 'lastMessageAt', 'lastNotificationAt'] as const;
const STATE_WORDS: Record<string, AccountState> = {
  connected: 'ok',
  ready: 'ok',
  authorized: 'ok',
  authenticated: 'connecting',
  starting: 'connecting',
  connecting: 'connecting',
  qr_required: 'pairing',
  error: 'error',
  failed: 'error',
  notAuthorized: 'error',
  blocked: 'error',
  logged_out: 'stopped',
  stopped: 'stopped',
};
/** The worst state wins when an account has several parts (a mailbox's folders). */
const SEVERITY: AccountState[] = ['ok', 'waiting', 'connecting', 'pairing', 'stopped', 'error'];

/**
 * Masks what looks like a secret in a text shown to people (a provider error can quote a URL with a bot
 * token): Telegram-style `bot<digits>:<token>`, `token=`/`key=` values, and long random-looking runs keep
 * their first four characters.
 */
export function maskSecrets(text: string): string {
  return text
    .replace(/\bbot(\d+):[\w-]+/g, 'bot$1:…')
    .replace(/((?:token|key|secret|password|salt)=)[^&\s"']+/gi, '$1…')
    .replace(/\b(?=\w*\d)(?=\w*[A-Za-z])(\w{4})\w{20,}/g, '$1…');
}

type Status = Record<string, unknown>;
const str = (v: unknown) => (typeof v === 'string' && v.length > 0 ? v : null);
const newest = (...values: (string | null | undefined)[]) =>
  values.filter((v): v is string => !!v).sort((a, b) => Date.parse(b) - Date.parse(a))[0] ?? null;

/** Reads one account's status object; a mailbox reports one object per folder, read as parts. */
function readStatus(
  status: Status,
): Pick<
  ChannelAccountView,
  'transport' | 'state' | 'transportState' | 'lastEventAt' | 'lastError' | 'lastErrorAt'
> {
  const parts = Object.values(status).filter(
    (v): v is Status => typeof v === 'object' && v !== null && 'state' in v,
  );
  if (parts.length > 0 && !('state' in status)) {
    const read = parts.map(readStatus);
    const worst = read.reduce((a, b) => (SEVERITY.indexOf(b.state) > SEVERITY.indexOf(a.state) ? b : a));
    return {
      ...worst,
      transport: worst.transport ?? 'imap',
      lastEventAt: newest(...read.map((r) => r.lastEventAt)),
    };
  }
  const word = str(status.state);
  let state: AccountState;
  if (word) state = STATE_WORDS[word] ?? 'waiting';
  else if (status.connected === true) state = 'ok';
  else if (status.connected === false) state = 'error';
  else state = 'waiting';
  return {
    transport: str(status.transport),
    state,
    transportState: word ?? (typeof status.connected === 'boolean' ? String(status.connected) : null),
    lastEventAt: newest(...LAST_EVENT_FIELDS.map((f) => str(status[f])), str(status.lastSyncAt)),
    lastError: str(status.lastError),
    lastErrorAt: str(status.lastErrorAt),
  };
}

/** The URL a provider is given for an account: the channel's webhook base, a secret segment as `<name>`. */
export function webhookUrlOf(module: ChannelModule, account: string, publicUrl: string): string | null {
  const routes = module.webhooks ?? [];
  if (routes.length === 0) return null;
  const base = `${publicUrl.replace(/\/+$/, '')}/webhooks/${module.name}/${encodeURIComponent(account)}`;
  const secret = routes.map((r) => /^\/:(\w+)$/.exec(r.path)?.[1]).find(Boolean);
  return secret ? `${base}/<${secret}>` : base;
}

/**
 * Every channel account Switchboard knows: the ones its transports report, the ones a channel lists as
 * configured (`ChannelModule.accounts`), and the ones events were stored for within `since` (the API's
 * accounts are whatever callers send). State and errors come from the transports; the stored events add the
 * last event time and the newest processing failure.
 */
export async function listChannelAccounts(deps: {
  sql: Sql;
  channels: readonly ChannelModule[];
  definitions: readonly ChannelDefinition[];
  publicUrl: string;
  /** Stored events older than this are not looked at (keeps the page's query bounded on a big table). */
  since: Date;
}): Promise<ChannelAccountView[]> {
  const [seen, failures] = await Promise.all([
    deps.sql<{ source: string; account: string; at: Date }[]>`
      SELECT source, account, max(received_at) AS at FROM inbound_events
      WHERE status IN ('received', 'processed', 'failed', 'dead', 'rejected') AND received_at >= ${deps.since}
        AND account IS NOT NULL
      GROUP BY source, account`,
    deps.sql<{ source: string; account: string; lastError: string | null; at: Date }[]>`
      SELECT DISTINCT ON (source, account) source, account, last_error, received_at AS at FROM inbound_events
      WHERE status IN ('failed', 'dead', 'rejected') AND received_at >= ${deps.since} AND account IS NOT NULL
      ORDER BY source, account, received_at DESC`,
  ]);
  const key = (c: string, a: string) => `${c}\u0000${a}`;
  const lastStored = new Map(seen.map((r) => [key(r.source, r.account), r.at.toISOString()]));
  const lastFailure = new Map(failures.map((r) => [key(r.source, r.account), r]));
  const out: ChannelAccountView[] = [];
  for (const module of deps.channels) {
    const statuses = (module.transport?.status() ?? {}) as Record<string, Status>;
    const accounts = new Set<string>([...Object.keys(statuses), ...(module.accounts ?? [])]);
    for (const r of seen) if (r.source === module.name) accounts.add(r.account);
    const definition = deps.definitions.find((d) => d.name === module.name);
    const connectable = !!module.connect || !!definition?.connect;
    for (const account of [...accounts].sort()) {
      const s = readStatus(statuses[account] ?? {});
      const failure = lastFailure.get(key(module.name, account));
      const transportError = s.lastError ? maskSecrets(s.lastError) : null;
      const pairing = s.state === 'pairing';
      const lastEventAt = newest(s.lastEventAt, lastStored.get(key(module.name, account)));
      out.push({
        channel: module.name,
        account,
        transport: s.transport,
        // A webhook-only account that has received events works, as far as anyone can tell from here.
        state: s.state === 'waiting' && lastEventAt ? 'ok' : s.state,
        transportState: s.transportState,
        lastEventAt,
        lastError: transportError ?? (failure?.lastError ? maskSecrets(failure.lastError) : null),
        lastErrorAt: transportError ? s.lastErrorAt : (failure?.at.toISOString() ?? null),
        webhookUrl:
          s.transport && POLLING.has(s.transport) ? null : webhookUrlOf(module, account, deps.publicUrl),
        connectable: connectable && statuses[account] !== undefined,
        pairing,
      });
    }
  }
  return out;
}
