import type { Sql } from 'postgres';
import type { z } from 'zod';
import type { Config } from '../config/schema.js';
import type { Clock } from '../core/clock.js';
import type { ChannelKind } from '../core/communication.js';
import type { Normalize } from '../core/normalize.js';
import type { IdentityPolicy } from '../identity/identity.js';
import type { AfterDecision, Processor } from '../ingest/processor.js';
import type { Logger } from '../observability/logger.js';
import type { Metrics } from '../observability/metrics.js';
import type { Telephony } from '../telephony/telephony.js';
import type { MediaSource } from './messenger/media.js';
import type { IncomingPayload, Intake } from './webhook/intake.js';
import type { WebhookRoute } from './webhook/route.js';

export type {
  InboundSource,
  Normalize,
  NormalizeResult,
  SkippedCommunication,
} from '../core/normalize.js';

/**
 * # The channel contract (the adapter guide)
 *
 * A channel is everything Switchboard needs to talk to one kind of source: email, a PBX, a messenger, the
 * API. It lives in one folder (`src/channels/<name>/`, PBX providers in `src/telephony/<provider>/`) and is
 * plugged in with one line in `src/channels/index.ts`. The daemon, the HTTP app, /readyz, the replay worker,
 * the routing simulator and the benches loop over that list; none of them names a channel.
 *
 * The data flow a channel takes part in:
 * ```
 * transport (webhook route / IMAP worker / messenger client)
 *   -> verify            WebhookRoute.verify: token, signature, known account (before anything is stored)
 *   -> persist raw       ctx.intake.accept(...) commits the payload exactly as received, THEN the sender
 *                        is answered; a payload refused for its shape is kept with ctx.intake.reject(...)
 *   -> normalize         ChannelModule.normalize(stored payload) -> InboundCommunication[] (pure, re-runnable)
 *   -> lead rules, routing, persist     the core; a channel never touches a lead table
 *   -> afterDecision     optional: channel-family work in the decision's transaction, per batch (telephony's calls rows)
 * ```
 * A manager's reply goes the other way through `replier`.
 *
 * Rules of thumb:
 * - `normalize` is deterministic and never throws on vendor quirks: it returns `{ ok: false, error }`, and
 *   the event is kept (dead, with the reason) for a retry after a fix.
 * - Webhook routes answer the provider in its own format; they store before they acknowledge.
 * - Every EventEmitter-based client gets an 'error' listener; a failing account is reported in
 *   `transport.status()` and retried, never a crash.
 * - Personal data (phones, emails, text) never goes into info-level logs.
 * - Outbound vendor calls take their base URL from config (`apiRoot`), so tests point them at a loopback fake.
 */
export interface ChannelModule {
  /**
   * The channel's name: `inbound_events.source` of its payloads, the first path segment of its webhooks
   * (`/webhooks/<name>/<account>…`), the label in logs and /readyz. Stable: stored events refer to it.
   */
  readonly name: string;
  /** Stored payload (+ raw bytes) -> communications. Called by the ingest processor and the simulator. */
  readonly normalize: Normalize;
  /** HTTP endpoints the provider calls, mounted under `/webhooks/<name>/:account`. */
  readonly webhooks?: readonly WebhookRoute[];
  /** Sends a manager's reply on a conversation of `replier.channel`. Absent: replies are refused (422). */
  readonly replier?: ConversationReplier & { readonly channel: ChannelKind };
  /**
   * The accounts configured for this channel, for a channel without a transport to report them (a PBX's
   * webhook accounts): the admin page lists them before their first event. Accounts a transport reports, or
   * that events were stored for, are listed anyway.
   */
  readonly accounts?: readonly string[];
  /** A long-running part (IMAP watchers, a messenger client, a poller). Started once intake is open. */
  readonly transport?: ChannelTransport;
  /**
   * Work done in the decision's transaction for the batch's non-duplicate communications of this channel, once
   * per batch and set-based. It issues all its statements before it first awaits: the hooks of a batch share
   * one round trip (AfterDecision).
   */
  readonly afterDecision?: AfterDecision;
  /**
   * Attachments worth copying before the provider's links expire: the channel queues them in `afterDecision`
   * (`queueMedia`, src/channels/messenger/media.ts) and the shared worker (media-downloads.ts) asks this how
   * to fetch each one. Served to the web app by `GET /media/{id}`.
   */
  readonly media?: MediaSource;
  /**
   * Registers the account's webhook with the provider (or prints the manual steps) and reports what the
   * provider answered: `npm run channels:connect -- <channel> <account>` (src/channels/connect.ts; the command
   * uses the definition's `connect` when the channel has one, else builds the modules and calls this).
   * `publicUrl` is the daemon's public base URL (`server.publicUrl`). Never prints a secret.
   */
  readonly connect?: (account: string, opts: { publicUrl: string }) => Promise<ConnectReport>;
}

/** What `connect()` did, for the person running the command. */
export interface ConnectReport {
  ok: boolean;
  /** Lines to print: the URL registered, the provider's answer, manual steps. */
  lines: string[];
}

/** A long-running part of a channel. */
export interface ChannelTransport {
  /** Starts in the background; a failing account must not fail the start (report it in `status()`). */
  start(): void | Promise<void>;
  /** Stops and waits for in-flight work (a message being stored). */
  stop(): Promise<void>;
  /**
   * Per account: connected or not, last event, last error. Shown in /readyz (to token holders) under the
   * channel's name: never personal data, never a secret or a pairing code.
   */
  status(): Record<string, unknown>;
  /**
   * One account's status with what only an administrator may see (a WhatsApp pairing QR code), for
   * `GET /api/v1/channels/{channel}/{account}` (authenticated). Undefined: no such account.
   */
  detail?(account: string): Record<string, unknown> | undefined;
}

/** What a channel gets to build itself. Everything is injected; nothing is read from globals. */
export interface ChannelContext {
  config: Config;
  sql: Sql;
  clock: Clock;
  log: Logger;
  metrics: Metrics;
  policy: IdentityPolicy;
  /** Store-before-acknowledge and rejected payloads: the one intake every transport uses. */
  intake: Intake;
  /** Processes a stored event now (transports that need the decision, e.g. a reply's outbound event). */
  processor: Processor;
  /** The call model (directory, contact lookup, call rows, recordings) shared by the PBX providers. */
  telephony: Telephony;
  /** The daemon's data directory (attachments, big raw messages, sessions); absent in some tests. */
  dataDir?: string;
  /** True on the embedded database: big raw payloads are kept as files instead of rows. */
  embedded: boolean;
  /** Outbound HTTP to providers (tests: the global fetch against a recorder on loopback). */
  fetch?: typeof fetch;
  /**
   * Waits between retries of a provider call (backoff). Default: a timer. Tests pass one that moves their
   * clock instead, so a provider outage of seconds is retried without sleeping.
   */
  sleep?: (ms: number) => Promise<void>;
}

/**
 * One entry of the channel list: its name, the configuration section it owns (composed into the one config
 * schema by `src/config/schema.ts`; a key `channels.<name>` nests under `channels:`), and how to build the
 * module. Several definitions may share a section (the PBX providers share `telephony`).
 */
export interface ChannelDefinition {
  readonly name: string;
  readonly config?: ChannelConfigSection;
  create(ctx: ChannelContext): ChannelModule;
  /**
   * Optional: registers one account with the provider (`npm run channels:connect -- <name> <account>`, see
   * `src/channels/connect.ts`): a webhook URL and its secret (Telegram setWebhook, MAX POST /subscriptions).
   * Tried before the module's `connect()`. Resolves with the provider's answer, which the command prints. It gets the config only: it runs beside a
   * daemon that holds the database (the embedded one takes a single session), so it must not need one.
   */
  connect?(input: ChannelConnectInput): Promise<unknown>;
}

/** What `ChannelDefinition.connect` gets. */
export interface ChannelConnectInput {
  config: Config;
  /** The account (bot) to register, as configured. */
  account: string;
}

/** A configuration section a channel owns: `key` is a top-level key (`email`) or `channels.<name>`. */
export interface ChannelConfigSection<K extends string = string, S extends z.ZodType = z.ZodType> {
  readonly key: K;
  readonly schema: S;
}

/** Declares a channel, keeping its config key and schema types for the config composition. */
export function defineChannel<const K extends string, S extends z.ZodType>(
  definition: ChannelDefinition & { config: ChannelConfigSection<K, S> },
): ChannelDefinition & { readonly config: ChannelConfigSection<K, S> };
export function defineChannel(definition: ChannelDefinition): ChannelDefinition;
export function defineChannel(definition: ChannelDefinition): ChannelDefinition {
  return definition;
}

/** The conversation a reply answers. */
export interface ReplyConversation {
  id: string;
  account: string;
  threadKey: string;
  subject: string | null;
}

/** A manager's reply on a conversation (POST /api/v1/conversations/{id}/messages). */
export interface ReplyRequest {
  /** The reply's id in the ledger: a stable key for the provider's own dedup (VK `random_id`, …). */
  replyId: string;
  text: string;
  /** Absent: "Re: " + the conversation's subject. */
  subject?: string;
  /** Who sends it, for the audit trail: `api:<token name>`, `user:<login>`. */
  actor: string;
  /** A file to send with the text as its caption (messengers: Telegram sendDocument, a MAX file). */
  document?: { url: string; name?: string };
}

/** What a channel sent: its id of the message, and the payload that records it as an outbound communication. */
export interface SentReply {
  /** The channel's id of the sent message (an email Message-ID, a VK message id). */
  externalId: string;
  /**
   * Stored as an inbound event of this channel (source = the channel's name) in the same transaction that
   * marks the reply sent, then processed like any communication: `normalize` must read it as outbound.
   */
  record: Omit<IncomingPayload, 'source' | 'account' | 'externalId'>;
}

/**
 * Sends a manager's reply on one channel. Called only by the reply ledger (src/channels/reply/ledger.ts),
 * which stores the reply as pending first and records the outcome after, so a retry never sends twice.
 * Throws `SwitchboardError('upstream_failed')` (retryable or not) when the provider refuses or cannot be
 * reached, with the provider's reason in the message; `UnprocessableError` when the conversation cannot be
 * answered on this channel (no mailbox, the client blocked the bot).
 */
export interface ConversationReplier {
  send(conversation: ReplyConversation, request: ReplyRequest): Promise<SentReply>;
  /**
   * Whether a reply from `account` can go out now (the web app offers its reply box only then). Optional:
   * without it the channel's `transport.status()` tells (see `replyReadiness` in src/channels/reply/).
   */
  readiness?(account: string): ReplyReadiness;
}

/** Why a reply cannot go out on an account (configured, and not known to be disconnected), or ok. */
export type ReplyReadiness =
  | { ok: true }
  | { ok: false; reason: 'account_unknown' | 'send_not_configured' | 'disconnected' };
