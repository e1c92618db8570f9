import { z } from 'zod';

/**
 * Mango Office VPBX API notifications (cloud-pbx-protocols.md §5). The form carries `vpbx_api_key`, `sign`
 * and `json`; these schemas describe the JSON. Numbers sometimes arrive as strings ("seq":"1"), so both are
 * accepted. Extra fields are tolerated (newer API versions add some).
 */

const num = z
  .union([z.number().int().nonnegative(), z.string().regex(/^\d{1,15}$/)])
  .transform((v) => Number(v));
const str = (max = 300) => z.union([z.string().max(max), z.number()]).transform(String);

/** A Mango party: an employee's extension and/or a number (E.164 digits or a SIP URI). */
const party = z.looseObject({
  extension: str(50).optional(),
  number: str(300).optional(),
  line_number: str(50).optional(),
  acd_group: str().optional(),
  taken_from_call_id: str().optional(),
});

/** The form around every notification. */
export const mangoFormSchema = z.object({
  vpbx_api_key: z.string().min(1).max(200),
  sign: z.string().regex(/^[0-9a-f]{64}$/i, 'a sha256 hex digest'),
  json: z.string().min(2).max(100_000),
});

/** `events/call`: one leg changed state. Ordered by `seq` within the call. */
export const callEventSchema = z.looseObject({
  entry_id: z.string().min(1).max(200),
  call_id: z.string().min(1).max(200),
  timestamp: num,
  seq: num,
  call_state: z.string().min(1).max(50),
  location: z.string().max(50).optional(),
  from: party.default({}),
  to: party.default({}),
  disconnect_reason: num.optional(),
});

/** A number Mango may send as a number, a string or (in a newer build) an ISO time: read by readPbxTime/readSeconds. */
const lenient = z.union([z.number(), z.string().max(100)]).optional();

/**
 * `events/summary`: the call is over; authoritative for the outcome. Only `entry_id` (the record's key) is
 * required; the rest is read leniently by summaryToCommunication, which notes what it could not read.
 */
export const summarySchema = z.looseObject({
  entry_id: str(200).pipe(z.string().trim().min(1)),
  /** 0 internal, 1 incoming, 2 outgoing. */
  call_direction: lenient,
  from: party.default({}),
  to: party.default({}),
  line_number: str(50).optional(),
  create_time: lenient,
  forward_time: lenient,
  /** When the conversation began (unix seconds); 0 when there was none. */
  talk_time: lenient,
  end_time: lenient,
  /** 1 a conversation took place, 0 missed. */
  entry_result: lenient,
  disconnect_reason: lenient,
});

/** `events/recording`: a recording started, continued or completed; the file is fetched later. */
export const recordingEventSchema = z.looseObject({
  recording_id: z.string().min(1).max(300),
  recording_state: z.string().min(1).max(50),
  entry_id: z.string().min(1).max(200),
  call_id: z.string().max(200).optional(),
  seq: num.optional(),
  extension: str(50).optional(),
  timestamp: num.optional(),
  completion_code: num.optional(),
  recipient: z.string().max(50).optional(),
});

export type MangoCallEvent = z.infer<typeof callEventSchema>;
export type MangoSummary = z.infer<typeof summarySchema>;
export type MangoRecordingEvent = z.infer<typeof recordingEventSchema>;

export const MANGO_EVENTS = ['call', 'summary', 'recording', 'dtmf', 'sms'] as const;
export type MangoEventKind = (typeof MANGO_EVENTS)[number];
