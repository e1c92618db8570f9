import type { CountryCode } from 'libphonenumber-js';
import type { Sql } from 'postgres';
import type { ChannelDefinition, ChannelModule } from './channels/channel.js';
import { CHANNELS, channelLookup, createChannels } from './channels/index.js';
import { createMediaDownloads, type MediaDownloads } from './channels/messenger/media-downloads.js';
import { createReplyLedger, type ReplyLedger } from './channels/reply/ledger.js';
import { createIntake, type Intake } from './channels/webhook/intake.js';
import type { Config } from './config/schema.js';
import type { Clock } from './core/clock.js';
import { type AmocrmConnector, createAmocrm } from './crm/amocrm/index.js';
import { type Bitrix24Connector, createBitrix24 } from './crm/bitrix24/index.js';
import { createOutbox, type Outbox, webhookSubscribers } from './crm/outbox/index.js';
import type { OutboxWriter } from './crm/outbox/store.js';
import { createPhoneRegionResolver, type PhoneRegionResolver } from './geo/index.js';
import { createIdentityPolicy, type IdentityPolicy } from './identity/identity.js';
import { createProcessor, type Processor } from './ingest/processor.js';
import type { Logger } from './observability/logger.js';
import type { Metrics } from './observability/metrics.js';
import type { Router } from './routing/router.js';
import { createRuleRouter } from './routing/rule-router.js';
import { createTelephony, type Telephony } from './telephony/telephony.js';

export interface Pipeline {
  policy: IdentityPolicy;
  router: Router;
  processor: Processor;
  telephony: Telephony;
  /** Store-before-acknowledge for every transport (and the API's inbound route). */
  intake: Intake;
  /** Every channel module, in the channel list's order. */
  channels: ChannelModule[];
  /** The channel that owns an event's source (what the processor uses). */
  source: (name: string) => ChannelModule | undefined;
  /** Managers' replies: pending -> send -> sent/failed, idempotent (src/channels/reply/ledger.ts). */
  replies: ReplyLedger;
  /** Everything sent to other systems (signed webhooks, Bitrix24): written with the change, then delivered. */
  outbox: Outbox;
  /** The Bitrix24 connector when `crm.bitrix24` is configured: its sync worker, its event webhook. */
  bitrix24?: Bitrix24Connector;
  /** The amoCRM connector when `crm.amocrm` is configured: its pull worker and its outbox subscriber. */
  amocrm?: AmocrmConnector;
  /** Webhooks of CRM connectors, mounted like channels' (`/webhooks/<name>/:account`). */
  crmWebhooks: Bitrix24Connector['webhooks'][];
  /** Copies messenger attachments into `message_media` (the channels that declare `media`). */
  media: MediaDownloads;
}

/**
 * Wires the core pipeline from config: identity policy, router, the call model (telephony), the processor,
 * the intake and every channel of the channel list. Used by the daemon, the tests and the benches, so all
 * run exactly the same composition. Names no specific channel.
 */
export function createPipeline(deps: {
  sql: Sql;
  config: Config;
  clock: Clock;
  log: Logger;
  metrics: Metrics;
  /** The numbering-plan resolver (reloadable); default: landline area codes only. */
  phoneRegions?: () => PhoneRegionResolver;
  /** The daemon's data directory (recordings go to <dataDir>/recordings); absent: recordings are not copied. */
  dataDir?: string;
  /** A server PostgreSQL URL (absent: the embedded database); latency-critical paths open side pools there. */
  databaseUrl?: string;
  /** The embedded database's second connection for latency-critical lookups (Database.lookupSql). */
  lookupSql?: Sql;
  /** Outbound HTTP to providers; tests use the global fetch against a recorder on loopback. */
  fetch?: typeof fetch;
  /** The channel list (default: every channel); a test may add a channel of its own. */
  channels?: readonly ChannelDefinition[];
  /** This process's name in outbox claims (several daemons may share a database). */
  instance?: string;
  /** Waits between retries of provider calls (and the Bitrix24 rate limit); tests move their clock instead. */
  sleep?: (ms: number) => Promise<void>;
}): Pipeline {
  const {
    config,
    phoneRegions: given,
    dataDir,
    databaseUrl,
    fetch,
    channels: definitions,
    instance,
    sleep,
    ...rest
  } = deps;
  const landlineOnly = createPhoneRegionResolver();
  const phoneRegions = given ?? (() => landlineOnly);
  const policy = createIdentityPolicy({
    defaultCountry: config.company.defaultCountry as CountryCode,
    ownPhones: config.company.phones,
    ownEmails: config.company.emails,
    ownDomains: config.company.domains,
  });
  const router = createRuleRouter({ config, phoneRegions, clock: deps.clock });
  const telephony = createTelephony({
    ...rest,
    config,
    policy,
    ...(dataDir ? { dataDir } : {}),
    ...(databaseUrl ? { databaseUrl } : {}),
    ...(fetch ? { fetch } : {}),
  });
  // The connector writes lead.updated events through the outbox it is a subscriber of: bound once built.
  let outbox: Outbox | undefined;
  const lateWriter: OutboxWriter = { record: (tx, events, now) => outbox!.writer.record(tx, events, now) };
  const bitrix24 = config.crm.bitrix24
    ? createBitrix24({
        ...rest,
        config,
        b24: config.crm.bitrix24,
        policy,
        outbox: lateWriter,
        ...(fetch ? { fetch } : {}),
        ...(sleep ? { sleep } : {}),
      })
    : undefined;
  const amocrm = config.crm.amocrm
    ? createAmocrm({
        ...rest,
        amo: config.crm.amocrm,
        policy,
        ...(fetch ? { fetch } : {}),
        ...(sleep ? { sleep } : {}),
      })
    : undefined;
  outbox = createOutbox({
    ...rest,
    config,
    instance: instance ?? `${process.pid}-${Math.random().toString(36).slice(2, 8)}`,
    subscribers: [
      ...webhookSubscribers(config, deps.clock, fetch),
      ...(bitrix24 ? [bitrix24.subscriber] : []),
      ...(amocrm ? [amocrm.subscriber] : []),
    ],
    onOutcome: (subscriber, outcome) => deps.metrics.outbox.inc({ subscriber, outcome }),
  });
  // The processor finds an event's channel by name; the list is filled right below, before any event runs.
  let sources: (name: string) => ChannelModule | undefined = () => undefined;
  const processor = createProcessor({
    ...rest,
    policy,
    router,
    maxAttempts: config.ingest.maxAttempts,
    retryBaseDelayMs: config.ingest.retryBaseDelayMs,
    sources: (name) => sources(name),
    outbox: outbox.decisions,
  });
  const intake = createIntake({ sql: deps.sql, clock: deps.clock, metrics: deps.metrics, processor });
  const channels = createChannels(
    {
      ...rest,
      config,
      policy,
      intake,
      processor,
      telephony,
      ...(dataDir ? { dataDir } : {}),
      embedded: !databaseUrl,
      ...(fetch ? { fetch } : {}),
      ...(sleep ? { sleep } : {}),
    },
    definitions ?? CHANNELS,
  );
  sources = channelLookup(channels);
  const replies = createReplyLedger({ sql: deps.sql, clock: deps.clock, log: deps.log, processor });
  const media = createMediaDownloads({
    sql: deps.sql,
    clock: deps.clock,
    log: deps.log,
    metrics: deps.metrics,
    sources: (name) => channels.find((c) => c.name === name)?.media,
  });
  return {
    policy,
    router,
    processor,
    telephony,
    intake,
    channels,
    source: (name: string) => sources(name),
    replies,
    outbox,
    ...(bitrix24 ? { bitrix24 } : {}),
    ...(amocrm ? { amocrm } : {}),
    crmWebhooks: bitrix24 ? [bitrix24.webhooks] : [],
    // The web app serves stored attachments and media from here.
    ...(dataDir ? { dataDir } : {}),
    media,
  };
}
