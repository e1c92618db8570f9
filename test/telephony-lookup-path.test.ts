import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestContext, inboundBody, type TestContext } from './support/context.js';
import { freshPhone } from './support/ids.js';
import { backends } from './support/pg.js';

const QUEUED = 8;

// Issue 16 item 9: on the embedded database (one shared connection) the PBX lookup queued behind call processing
// and ran out of its budget. It has a path of its own: it waits for the transaction running now, not the queue.
describe.each(backends())('the PBX contact lookup under ingest load on %s', (backend) => {
  let ctx: TestContext;
  beforeAll(async () => {
    ctx = await createTestContext(backend);
  });
  afterAll(() => ctx?.close());

  it('answers a known client while transactions are queued on the ingest connection, before they finish', async () => {
    const phone = freshPhone();
    const lead = await ctx.request(
      'POST',
      '/api/v1/inbound',
      inboundBody({ from: { name: 'Известный Клиент', phones: [phone] } }),
    );
    expect(lead.body.decision.kind).toBe('new_lead');

    const finished: string[] = [];
    // Busy ingest: transactions that hold the connection for a while each, queued one behind the other on the
    // embedded database's one connection (on a server they spread over the pool; the lookup has a pool of its own).
    const queue = Array.from({ length: QUEUED }, (_, i) =>
      ctx.db.sql
        .begin(async (tx) => {
          await tx`SELECT pg_sleep(0.15)`;
        })
        .then(() => finished.push(`ingest ${i}`)),
    );
    const answer = await ctx.telephony.lookup(`8${phone}`).then((r) => {
      finished.push('lookup');
      return r;
    });
    await Promise.all(queue);

    expect(answer).toMatchObject({ outcome: 'found', answer: { contactName: 'Известный Клиент' } });
    // At most the transaction running when it asked (and one whose BEGIN was already on its way) came first.
    expect(finished.indexOf('lookup')).toBeLessThanOrEqual(2);
  });
});
