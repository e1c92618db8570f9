import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CallCommunication, Decision } from '../src/core/communication.js';
import { type CallOutcome, recordCallOutcomes } from '../src/telephony/call-store.js';
import { createTestContext, sendInbound, type TestContext } from './support/context.js';
import { freshPhone } from './support/ids.js';
import { backends } from './support/pg.js';

/**
 * A decision batch records its calls set-based (recordCallOutcomes): a few statements for all of them. The
 * outcome must be the one of recording them one by one, in order — also when a call comes twice in a batch
 * (its record redelivered, or corrected) and when one lead gets several calls.
 */
describe.each(backends())('call outcomes of a batch on %s', (backend) => {
  let ctx: TestContext;
  beforeAll(async () => {
    ctx = await createTestContext(backend);
  });
  afterAll(() => ctx?.close());

  let seq = 0;
  const call = (
    key: string,
    over: Partial<CallCommunication['call']> & { phone?: string | null; at?: string } = {},
  ): CallCommunication => {
    const { phone = freshPhone(), at = '2026-11-20T09:00:00Z', ...fields } = over;
    return {
      kind: 'call',
      channel: 'phone',
      account: 'main',
      externalId: key,
      direction: 'in',
      occurredAt: new Date(at),
      party: { identities: phone === null ? [] : [{ kind: 'phone', value: phone }], hints: [] },
      call: { state: 'missed', waitSeconds: 20, ...fields },
    };
  };
  /** A lead of its own for the calls of one case, made through the API like any other. */
  const lead = async (): Promise<Decision> => sendInbound(ctx, { from: { phones: [freshPhone()] } });
  const record = (outcomes: CallOutcome[]) =>
    ctx.db.sql.begin((tx) => recordCallOutcomes(tx, outcomes, ctx.clock.clock(), ctx.telephony.storeDeps));
  const rowOf = async (key: string) => {
    const [row] = await ctx.db.sql`
      SELECT c.state, c.client_phone, c.agent_pbx, c.wait_seconds, c.talk_seconds, c.recording_url,
             c.lead_id, c.message_id, r.url AS queued
      FROM calls c LEFT JOIN call_recordings r ON r.call_id = c.id
      WHERE c.provider = 'api' AND c.account = 'main' AND c.call_key = ${key}`;
    return row;
  };
  const needsCallback = async (leadId: string) => {
    const [row] = await ctx.db.sql<{ needsCallback: boolean }[]>`
      SELECT needs_callback FROM leads WHERE id = ${leadId}`;
    return row!.needsCallback;
  };

  it('a call that comes twice in one batch ends as if its records had been applied one after the other', async () => {
    const decision = await lead();
    const key = (suffix: string) => `twice-${process.pid}-${++seq}-${suffix}`;
    const phone = freshPhone();
    // First the missed record with the number and a recording, then a corrected one: answered, by an
    // agent, no number (the PBX left it out) and another recording link.
    const records = (k: string): CallOutcome[] => [
      { provider: 'api', comm: call(k, { phone, recordingUrl: 'http://127.0.0.1:9/a.mp3' }), decision },
      {
        provider: 'api',
        comm: call(k, {
          phone: null,
          state: 'answered',
          agent: 'ivanov',
          talkSeconds: 65,
          recordingUrl: 'http://127.0.0.1:9/b.mp3',
        }),
        decision,
      },
    ];
    const together = key('batch');
    await record(records(together));
    const oneByOne = key('alone');
    for (const outcome of records(oneByOne)) await record([outcome]);

    const expected = {
      state: 'ended',
      clientPhone: `+7${phone}`, // the first record's number survives the second's absence
      agentPbx: 'ivanov',
      waitSeconds: 20,
      talkSeconds: 65,
      recordingUrl: 'http://127.0.0.1:9/b.mp3',
      leadId: decision.leadId,
      messageId: decision.messageId,
      queued: 'http://127.0.0.1:9/b.mp3',
    };
    expect(await rowOf(together)).toEqual(expected);
    expect(await rowOf(oneByOne)).toEqual(expected);
  });

  it("a lead's last call of the batch that asks or answers decides its call-back mark", async () => {
    const [answeredThenMissed, missedThenAnswered, hiddenOnly, missedThenHidden] = [
      await lead(),
      await lead(),
      await lead(),
      await lead(),
    ];
    const k = () => `mark-${process.pid}-${++seq}`;
    const answered = (decision: Decision): CallOutcome => ({
      provider: 'api',
      comm: call(k(), { state: 'answered', talkSeconds: 30 }),
      decision,
    });
    const missed = (decision: Decision): CallOutcome => ({ provider: 'api', comm: call(k()), decision });
    // Nobody can call a hidden number back: such a call asks for nothing and leaves the mark as it was.
    const hidden = (decision: Decision): CallOutcome => ({
      provider: 'api',
      comm: call(k(), { phone: null, numberHidden: true }),
      decision,
    });
    const touched = async (leadId: string) => {
      const [row] = await ctx.db.sql<
        { updatedAt: Date }[]
      >`SELECT updated_at FROM leads WHERE id = ${leadId}`;
      return row!.updatedAt.getTime();
    };
    const untouched = await touched(missedThenAnswered.leadId!);
    ctx.clock.advance(60_000);
    await record([
      answered(answeredThenMissed),
      missed(missedThenAnswered),
      hidden(hiddenOnly),
      missed(answeredThenMissed),
      missed(missedThenHidden),
      answered(missedThenAnswered),
      hidden(missedThenHidden),
    ]);
    expect(await needsCallback(answeredThenMissed.leadId!)).toBe(true);
    expect(await needsCallback(missedThenAnswered.leadId!)).toBe(false);
    expect(await needsCallback(hiddenOnly.leadId!)).toBe(false);
    expect(await needsCallback(missedThenHidden.leadId!)).toBe(true);
    // Marked, then answered: touched, as one by one (the mark was set, then cleared), though it ends unmarked.
    expect(await touched(missedThenAnswered.leadId!)).toBe(ctx.clock.clock().getTime());
    expect(await touched(missedThenAnswered.leadId!)).not.toBe(untouched);
  });

  it('calls without a decision (kept out of the lead rules) are rows without a contact, lead or message', async () => {
    const key = `nodecision-${process.pid}-${++seq}`;
    await record([{ provider: 'api', comm: call(key, { phone: null, numberHidden: true }) }]);
    expect(await rowOf(key)).toMatchObject({
      state: 'missed',
      clientPhone: null,
      leadId: null,
      messageId: null,
    });
  });
});
