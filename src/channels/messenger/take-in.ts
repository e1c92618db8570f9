import { errorMessage } from '../../core/errors.js';
import type { ProcessOutcome } from '../../ingest/processor.js';
import type { Logger } from '../../observability/logger.js';
import type { Intake } from '../webhook/intake.js';
import type { ChannelState } from './state.js';

/**
 * What a messenger channel stores for one delivery: the account it came to and the update exactly as the
 * provider sent it (minus a secret it may carry); `enrichment` is added after storing (profile, chat info).
 */
export interface StoredUpdate<U = unknown, E = unknown> {
  account: string;
  update: U;
  enrichment?: E;
}

export type Parsed<U> = { ok: true; update: U } | { ok: false; reason: string; value: unknown };

export interface TakeInOptions<U> {
  source: string;
  account: string;
  parsed: Parsed<U>;
  /** The bytes as received, when they carry no secret (Viber's signed body). */
  raw?: Uint8Array;
  /** The provider's id of the delivery (event id, message id): kept on the event for inspection. */
  externalId?: string;
  /** Looks up what the update does not carry (names, city, the listing). Failures are recorded, not thrown. */
  enrich?: (update: U) => Promise<Record<string, unknown> | undefined>;
  /** How long the enrichment may take before the event is processed without it. */
  enrichTimeoutMs: number;
}

export type TakeInResult =
  | { status: 'rejected'; eventId: string }
  | { status: 'stored'; eventId: string; outcome: ProcessOutcome };

/**
 * The messenger intake: a malformed update is kept as rejected; a valid one is committed to inbound_events
 * first, then enriched (bounded in time), then decided. The caller answers the provider after this
 * resolves, so the payload is always stored before the acknowledgement; a crash after storing leaves the
 * event to the replay worker (processed without enrichment if it never got any).
 */
export function createTakeIn(deps: { intake: Intake; state: ChannelState; log: Logger }) {
  return async function takeIn<U>(o: TakeInOptions<U>): Promise<TakeInResult> {
    if (!o.parsed.ok) {
      const eventId = await deps.intake.reject({
        source: o.source,
        account: o.account,
        payload: { account: o.account, update: o.parsed.value ?? null },
        ...(o.raw ? { raw: o.raw } : {}),
        reason: o.parsed.reason,
      });
      deps.state.event(o.account, 'rejected');
      return { status: 'rejected', eventId };
    }
    const { update } = o.parsed;
    const eventId = await deps.intake.accept({
      source: o.source,
      account: o.account,
      ...(o.externalId ? { externalId: o.externalId } : {}),
      payload: { account: o.account, update } satisfies StoredUpdate<U>,
      ...(o.raw ? { raw: o.raw } : {}),
    });
    deps.state.event(o.account, 'stored');
    if (o.enrich) {
      const enrichment = await withTimeout(o.enrich(update), o.enrichTimeoutMs).catch(
        (err: unknown): Record<string, unknown> => {
          deps.log.warn(
            { channel: o.source, account: o.account, eventId, err: errorMessage(err) },
            'enrichment failed',
          );
          return { error: errorMessage(err).slice(0, 300) };
        },
      );
      if (enrichment) await deps.intake.enrich(eventId, enrichment);
    }
    return { status: 'stored', eventId, outcome: await deps.intake.process(eventId) };
  };
}

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}
