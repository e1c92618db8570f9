import { z } from 'zod';
import type { ChannelKind } from '../../core/communication.js';
import type { NormalizeResult } from '../../core/normalize.js';

/** The stored shape of a messenger delivery (see take-in.ts): read back by each channel's normalize. */
export const storedUpdateSchema = z.object({
  account: z.string().min(1),
  update: z.unknown(),
  enrichment: z.unknown().optional(),
  /** Set on a reply we sent ourselves: who sent it (the audit actor). */
  sentBy: z.string().optional(),
});

/** A zod failure as a normalize error (the first issue, with its path). */
export function firstIssue(error: z.ZodError, prefix: string): { ok: false; error: string; field: string } {
  const issue = error.issues[0];
  return {
    ok: false,
    error: issue?.message ?? 'invalid',
    field: [prefix, ...(issue?.path ?? [])].filter((p) => p !== '').join('.'),
  };
}

/** A payload recognized and kept out of the lead rules, with its rule and reason. */
export function skipped(
  channel: ChannelKind,
  account: string,
  externalId: string,
  rule: string,
  reason: string,
): NormalizeResult {
  return { ok: true, communications: [], skipped: [{ channel, account, externalId, rule, reason }] };
}
