import type { OpenAPIHono } from '@hono/zod-openapi';
import type { Sql } from 'postgres';
import type { ChannelModule } from '../channels/channel.js';
import type { ReplyLedger } from '../channels/reply/ledger.js';
import type { Intake } from '../channels/webhook/intake.js';
import type { WebhookRoute } from '../channels/webhook/route.js';
import type { Config } from '../config/schema.js';
import type { Clock } from '../core/clock.js';
import type { Outbox } from '../crm/outbox/index.js';
import type { PhoneRegionResolver } from '../geo/index.js';
import type { NumberingPlanService } from '../geo/numbering-plan-service.js';
import type { IdentityPolicy } from '../identity/identity.js';
import type { Processor } from '../ingest/processor.js';
import type { Logger } from '../observability/logger.js';
import type { Metrics } from '../observability/metrics.js';
import type { Telephony } from '../telephony/telephony.js';
import type { ApiToken, AuthVariables } from './auth.js';

export interface AppDeps {
  sql: Sql;
  config: Config;
  policy: IdentityPolicy;
  processor: Processor;
  metrics: Metrics;
  log: Logger;
  clock: Clock;
  tokens: ApiToken[];
  /** The phone-region resolver routing uses (the routing simulator needs it); default: area codes only. */
  phoneRegions?: () => PhoneRegionResolver;
  /** False while starting or shutting down: /readyz answers 503. */
  isAccepting: () => boolean;
  /** Extra readiness details contributed by components (database kind, workers); authenticated callers only. */
  readinessDetails?: () => Record<string, unknown>;
  /** Components working in a reduced way (component -> reason, no host or personal data): /readyz says `degraded`. */
  degraded?: () => Record<string, string>;
  /** The call model behind /api/v1/calls (click-to-call, recordings). Absent: those routes are not mounted. */
  telephony?: Telephony;
  /** Every channel: its webhooks are mounted, its replier answers conversations, its transport is in /readyz. */
  channels: readonly ChannelModule[];
  /** Store-before-acknowledge, for the API's inbound route. */
  intake: Intake;
  /** Managers' replies, sent once per idempotency key. */
  replies: ReplyLedger;
  /** The outbox: GET /api/v1/outbox, retries; lead updates and merges write their events into it. */
  outbox?: Outbox;
  /** CRM connectors' webhooks (Bitrix24's events), mounted like channels' under /webhooks/<name>/:account. */
  crmWebhooks?: readonly { name: string; webhooks?: readonly WebhookRoute[] }[];
  /** The daemon's data directory: the web app serves stored attachments and media from it. */
  dataDir?: string;
  /** The numbering plan the daemon loaded (its state and import on the admin page). Absent: not shown. */
  numberingPlan?: NumberingPlanService;
  /** Web app tuning (tests): how often live streams poll, how many wrong passwords before a pause. */
  web?: { livePollMs?: number; maxLoginFailures?: number };
}

export type AppEnv = { Variables: AuthVariables };
export type App = OpenAPIHono<AppEnv>;
