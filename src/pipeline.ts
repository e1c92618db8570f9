import type { CountryCode } from 'libphonenumber-js';
import type { Sql } from 'postgres';
import type { Config } from './config/schema.js';
import type { Clock } from './core/clock.js';
import { createPhoneRegionResolver, type PhoneRegionResolver } from './geo/index.js';
import { createIdentityPolicy, type IdentityPolicy } from './identity/identity.js';
import { createProcessor, type Processor } from './ingest/processor.js';
import type { Logger } from './observability/logger.js';
import type { Metrics } from './observability/metrics.js';
import type { Router } from './routing/router.js';
import { createRuleRouter } from './routing/rule-router.js';

export interface Pipeline {
  policy: IdentityPolicy;
  router: Router;
  processor: Processor;
}

/**
 * Wires the core pipeline from config: identity policy, router and processor. Used by the daemon and by the
 * tests, so both run exactly the same composition.
 */
export function createPipeline(deps: {
  sql: Sql;
  config: Config;
  clock: Clock;
  log: Logger;
  metrics: Metrics;
  /** The numbering-plan resolver (reloadable); default: landline area codes only. */
  phoneRegions?: () => PhoneRegionResolver;
}): Pipeline {
  const { config, phoneRegions: given, ...rest } = deps;
  const landlineOnly = createPhoneRegionResolver();
  const phoneRegions = given ?? (() => landlineOnly);
  const policy = createIdentityPolicy({
    defaultCountry: config.company.defaultCountry as CountryCode,
    ownPhones: config.company.phones,
    ownEmails: config.company.emails,
    ownDomains: config.company.domains,
  });
  const router = createRuleRouter({ config, phoneRegions, clock: deps.clock });
  const processor = createProcessor({
    ...rest,
    policy,
    router,
    maxAttempts: config.ingest.maxAttempts,
    retryBaseDelayMs: config.ingest.retryBaseDelayMs,
  });
  return { policy, router, processor };
}
