import path from 'node:path';
import type { Sql } from 'postgres';
import { Histogram } from 'prom-client';
import type { Config } from '../config/schema.js';
import type { Clock } from '../core/clock.js';
import type { CallCommunication } from '../core/communication.js';
import { errorMessage } from '../core/errors.js';
import { openSidePool } from '../db/connect.js';
import { type IdentityPolicy, normalizeIdentity } from '../identity/identity.js';
import type { AfterDecision } from '../ingest/processor.js';
import type { Logger } from '../observability/logger.js';
import type { Metrics } from '../observability/metrics.js';
import { type CallOutcome, recordCallOutcomes } from './call-store.js';
import type { MangoAccountConfig, MegafonAccountConfig } from './config.js';
import { type ContactLookup, createContactLookup } from './contact-lookup.js';
import { PbxDirectory } from './directory.js';
import type { HiddenNumberOptions } from './hidden-number.js';
import { MANGO_RECORDING_PREFIX, mangoRecordingRequest } from './mango/commands.js';
import { createMegafonClient, type MegafonClient } from './megafon/commands.js';
import { CALL_PROVIDERS, type CallProvider } from './model.js';
import { importedUsers } from './pbx-users.js';
import { createRecordingFetcher } from './recordings.js';

/** The database's own cancel is a backstop behind the handler's race: it fires a little later, so the race decides. */
const STATEMENT_TIMEOUT_SLACK_MS = 200;

export interface TelephonyDeps {
  sql: Sql;
  config: Config;
  policy: IdentityPolicy;
  clock: Clock;
  log: Logger;
  /** The contact lookup's latency is exported as switchboard_pbx_contact_lookup_seconds{outcome}. */
  metrics?: Metrics;
  /** The daemon's data directory; recordings go to <dataDir>/recordings. Absent: recordings are not copied. */
  dataDir?: string;
  /** A server PostgreSQL URL: the contact lookup gets a small pool of its own there (see contact-lookup.ts). */
  databaseUrl?: string;
  /** The embedded database's second connection (Database.lookupSql): the contact lookup's own path there. */
  lookupSql?: Sql;
  /** Outbound HTTP to the PBX (tests point it at a recording server on loopback through baseUrl). */
  fetch?: typeof fetch;
}

/**
 * Everything telephony needs at run time, built once by the composition root: the manager <-> PBX login
 * directory, the contact lookup, the command clients per account, the recording copier, and the hook the
 * ingest processor calls after deciding on a call.
 */
export function createTelephony(deps: TelephonyDeps) {
  const t = deps.config.telephony;
  const directory = new PbxDirectory(deps.config.managers);
  const megafon = new Map<string, { config: MegafonAccountConfig; client: MegafonClient }>(
    t.megafon.map((a) => [
      a.account,
      {
        config: a,
        client: createMegafonClient(a, {
          timeoutMs: t.requestTimeoutMs,
          ...(deps.fetch ? { fetch: deps.fetch } : {}),
        }),
      },
    ]),
  );
  const mango = new Map<string, MangoAccountConfig>(t.mango.map((a) => [a.account, a]));
  const recordingsDir = deps.dataDir ? path.join(deps.dataDir, 'recordings') : undefined;
  const sidePool = deps.databaseUrl
    ? openSidePool(deps.databaseUrl, {
        max: 2,
        statementTimeoutMs: t.contactBudgetMs + STATEMENT_TIMEOUT_SLACK_MS,
      })
    : undefined;

  /** Where an account's recording links may point: its recordingHosts, else the host of its base URL. */
  const hostsOf = (provider: string, account: string): readonly string[] => {
    const a =
      provider === 'megafon'
        ? megafon.get(account)?.config
        : provider === 'mango'
          ? mango.get(account)
          : undefined;
    if (!a) return provider === 'api' ? t.recordings.allowedHosts : [];
    return a.recordingHosts ?? (a.baseUrl ? [new URL(a.baseUrl).hostname.toLowerCase()] : []);
  };

  const recordings = createRecordingFetcher({
    sql: deps.sql,
    dir: recordingsDir,
    clock: deps.clock,
    log: deps.log,
    maxAttempts: t.recordings.maxAttempts,
    retryBaseDelayMs: t.recordings.retryBaseDelayMs,
    pollIntervalMs: t.recordings.pollIntervalMs,
    maxBytes: t.recordings.maxBytes,
    idleTimeoutMs: t.recordings.idleTimeoutMs,
    allowPrivateNetworks: t.recordings.allowPrivateNetworks,
    request(row) {
      const hosts = hostsOf(row.provider, row.account);
      if (row.url.startsWith(MANGO_RECORDING_PREFIX)) {
        const account = mango.get(row.account);
        if (!account) throw new Error(`no Mango account "${row.account}" configured`);
        return { ...mangoRecordingRequest(account, row.url.slice(MANGO_RECORDING_PREFIX.length)), hosts };
      }
      const headers =
        row.provider === 'megafon' ? megafon.get(row.account)?.client.recordingHeaders(row.url) : {};
      return { url: row.url, headers: headers ?? {}, hosts };
    },
  });

  /** A MegaFon link that is a path on the PBX (`/sys/rec.mp3`) -> an absolute URL on the account's baseUrl. */
  const withAbsoluteLink = (account: string, comm: CallCommunication): CallCommunication => {
    const link = comm.call.recordingUrl;
    if (!link?.startsWith('/')) return comm;
    const base = megafon.get(account)?.config.baseUrl;
    const { recordingUrl: _relative, ...call } = comm.call;
    if (base) return { ...comm, call: { ...call, recordingUrl: new URL(link, base).toString() } };
    const issue = { field: 'link', issue: 'a path, and the account has no baseUrl; no recording is copied' };
    return { ...comm, call: { ...call, parseIssues: [...(call.parseIssues ?? []), issue] } };
  };

  const storeDeps = { policy: deps.policy, directory };
  const hiddenNumbers: HiddenNumberOptions = {
    anonymousCalls: t.anonymousCalls,
    callable: (raw) => normalizeIdentity({ kind: 'phone', value: raw }, deps.policy).ok,
  };
  const afterDecision: AfterDecision = (tx, decided) => {
    const calls: CallOutcome[] = [];
    for (const { source, comm, decision } of decided) {
      if (comm.kind !== 'call') continue;
      const provider = (CALL_PROVIDERS as readonly string[]).includes(source)
        ? (source as CallProvider)
        : 'api';
      const call = provider === 'megafon' ? withAbsoluteLink(comm.account, comm) : comm;
      calls.push({ provider, comm: call, ...(decision ? { decision } : {}) });
    }
    return calls.length === 0 ? Promise.resolve() : recordCallOutcomes(tx, calls, deps.clock(), storeDeps);
  };

  return {
    directory,
    storeDeps,
    megafon,
    mango,
    recordingsDir,
    recordings,
    afterDecision,
    /** The hidden-number policy the PBX sources apply (telephony.anonymousCalls, the identity policy). */
    hiddenNumbers,
    contactBudgetMs: t.contactBudgetMs,
    lookup: timed(
      createContactLookup({
        sql: deps.sql,
        policy: deps.policy,
        directory,
        log: deps.log,
        budgetMs: t.contactBudgetMs,
        ...(sidePool
          ? { lookupSql: sidePool, sessionTimeout: true }
          : deps.lookupSql
            ? { lookupSql: deps.lookupSql }
            : {}),
      }),
      deps.metrics,
    ),
    /** Reloads what PBX user imports learned into the directory. */
    async reloadDirectory(): Promise<void> {
      directory.learn(await importedUsers(deps.sql));
    },
    async start(): Promise<void> {
      try {
        directory.learn(await importedUsers(deps.sql));
      } catch (err) {
        deps.log.error({ err: errorMessage(err) }, 'cannot load imported PBX users');
      }
      if (t.recordings.download && recordingsDir) recordings.start();
    },
    async stop(): Promise<void> {
      await recordings.stop();
      await sidePool?.end({ timeout: 5 });
    },
  };
}

export type Telephony = ReturnType<typeof createTelephony>;

/** Wraps the lookup with a latency histogram by outcome (found, unknown, timeout...): the budget made visible. */
function timed(lookup: ContactLookup, metrics: Metrics | undefined): ContactLookup {
  if (!metrics) return lookup;
  const histogram = new Histogram({
    name: 'switchboard_pbx_contact_lookup_seconds',
    help: 'Time to answer a PBX "who is calling" lookup, by outcome (found, unknown, not_a_number, timeout, error)',
    labelNames: ['outcome'] as const,
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1],
    registers: [metrics.registry],
  });
  return async (phone) => {
    const started = performance.now();
    const result = await lookup(phone);
    histogram.observe({ outcome: result.outcome }, (performance.now() - started) / 1000);
    return result;
  };
}
