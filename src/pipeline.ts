import type { CountryCode } from 'libphonenumber-js';
import type { Sql } from 'postgres';
import { createConfiguredEmailSource } from './channels/email/email-channel.js';
import type { Config } from './config/schema.js';
import type { Clock } from './core/clock.js';
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
}

/**
 * Wires the core pipeline from config: identity policy, router, processor and telephony (whose hook records
 * a call's outcome in the decision's transaction). Used by the daemon and by the tests, so both run exactly
 * the same composition.
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
  /** Outbound HTTP to PBXs; tests use the global fetch against a recorder on loopback. */
  fetch?: typeof fetch;
}): Pipeline {
  const { config, phoneRegions: given, dataDir, databaseUrl, fetch, ...rest } = deps;
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
  const processor = createProcessor({
    ...rest,
    policy,
    router,
    afterDecision: telephony.afterDecision,
    maxAttempts: config.ingest.maxAttempts,
    retryBaseDelayMs: config.ingest.retryBaseDelayMs,
    sources: { email: createConfiguredEmailSource(config, dataDir) },
  });
  return { policy, router, processor, telephony };
}
