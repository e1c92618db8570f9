import { z } from 'zod';

/**
 * MegaFon / ITooLabs PBX -> CRM webhook bodies (cloud-pbx-protocols.md §2). Every field arrives as a string
 * (form-encoded; JSON scalars are stringified by parseWebhookFields). Unknown fields are kept: loose objects.
 */

const text = (max = 500) => z.string().max(max);
const opt = (max = 500) => text(max).optional();

export const MEGAFON_COMMANDS = ['contact', 'event', 'history', 'rating'] as const;
export type MegafonCommand = (typeof MEGAFON_COMMANDS)[number];

/** `cmd=contact`: who is calling, asked while the phone rings. */
export const contactSchema = z.looseObject({
  cmd: z.literal('contact'),
  phone: text(100).min(1),
  callid: opt(200),
  diversion: opt(100),
  telnum_name: opt(),
});

/** `cmd=event`: live signalling of one leg. The type set is open: newer builds may add types. */
export const eventSchema = z.looseObject({
  cmd: z.literal('event'),
  type: text(50).min(1),
  callid: text(200).min(1),
  phone: opt(100),
  diversion: opt(100),
  user: opt(),
  groupRealName: opt(),
  ext: opt(50),
  telnum: opt(100),
  direction: opt(10),
  second_callid: opt(200),
  telnum_name: opt(),
});

/**
 * `cmd=history`: the call-detail record at hangup, the authoritative outcome. Only `callid` (the record's key)
 * is required: the PBX does not retry sensibly on a 4xx, so every other field is read leniently by
 * readHistory (./history.ts), which notes what it could not read instead of refusing the call.
 */
export const historySchema = z.looseObject({
  cmd: z.literal('history'),
  callid: text(200).trim().min(1),
  /** Here the direction (`in`/`out`), not a state. */
  type: opt(50),
  /** Success, missed/Missed, Cancel, Busy, NotAvailable, NotAllowed, NotFound, callAerror...: compared case-insensitively. */
  status: opt(50),
  /** Empty, `anonymous` and the like: a hidden number. */
  phone: opt(100),
  /** Documented as `YYYYmmddTHHMMSSZ` (UTC); ISO 8601 is seen too. */
  start: opt(50),
  duration: opt(20),
  diversion: opt(100),
  user: opt(),
  ext: opt(50),
  groupRealName: opt(),
  telnum: opt(100),
  telnum_name: opt(),
  /** Recording URL; empty when recording is off, sometimes a path on the PBX. */
  link: opt(2000),
  rating: opt(20),
  wait: opt(20),
  missedStatus: opt(10),
  group: opt(),
});

/** `cmd=rating`: the score the client gave after the call. */
export const ratingSchema = z.looseObject({
  cmd: z.literal('rating'),
  callid: text(200).min(1),
  rating: text(20).min(1),
  phone: opt(100),
  user: opt(),
  ext: opt(50),
});

export type ContactCommand = z.infer<typeof contactSchema>;
export type EventCommand = z.infer<typeof eventSchema>;
export type HistoryCommand = z.infer<typeof historySchema>;
export type RatingCommand = z.infer<typeof ratingSchema>;

/** Fields every schema above knows (plus crm_token): anything else is logged as unknown, never rejected. */
export const KNOWN_FIELDS = new Set([
  'crm_token',
  ...Object.keys(contactSchema.shape),
  ...Object.keys(eventSchema.shape),
  ...Object.keys(historySchema.shape),
  ...Object.keys(ratingSchema.shape),
]);
