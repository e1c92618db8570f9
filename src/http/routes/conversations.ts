import { createRoute, z } from '@hono/zod-openapi';
import { sendReply } from '../../channels/reply/send-reply.js';
import { strictObject } from '../../core/unknown-fields.js';
import type { App, AppDeps } from '../app-types.js';
import { errorSchema, errors, ok, security, uuidParam } from './schemas.js';

const replyBody = strictObject({
  text: z.string().trim().min(1, 'the reply is empty').max(100_000),
  subject: z.string().trim().min(1).max(500).optional().openapi({ description: 'Default: "Re: " + subject' }),
  document: z
    .object({ url: z.url(), name: z.string().trim().min(1).max(255).optional() })
    .optional()
    .openapi({ description: 'Messengers (Telegram, MAX): a file sent with the text as its caption' }),
});

const replyRoute = createRoute({
  method: 'post',
  path: '/api/v1/conversations/{id}/messages',
  operationId: 'replyInConversation',
  summary: 'Reply to the client on the conversation’s channel (email: SMTP from the mailbox)',
  security,
  request: {
    params: uuidParam,
    headers: z.object({
      'idempotency-key': z.string().trim().min(1).max(200).optional().openapi({
        description:
          'Any unique string per reply (a UUID). A retry with the same key never sends twice: a sent reply answers with its stored result (header Idempotent-Replayed: true), one still in flight or of unknown outcome gets 409, a failed one is sent again.',
      }),
    }),
    body: { required: true, content: { 'application/json': { schema: replyBody } } },
  },
  responses: {
    201: ok(
      'Sent and recorded as an outbound message',
      z.object({
        conversationId: z.uuid(),
        replyId: z.uuid(),
        externalId: z.string(),
        eventId: z.uuid(),
        messageId: z.uuid().optional(),
      }),
    ),
    502: {
      description:
        'The channel refused the message or could not be reached: the reply is recorded as failed (retry it with the same Idempotency-Key)',
      content: { 'application/json': { schema: errorSchema } },
    },
    ...errors,
  },
});

export function registerConversations(app: App, deps: AppDeps): void {
  app.openapi(replyRoute, async (c) => {
    const { id } = c.req.valid('param');
    const body = c.req.valid('json');
    const key = c.req.valid('header')['idempotency-key'];
    const { replayed, ...result } = await sendReply(deps, id, {
      text: body.text,
      ...(body.subject ? { subject: body.subject } : {}),
      ...(body.document ? { document: body.document } : {}),
      actor: c.get('actor'),
      ...(key ? { idempotencyKey: key } : {}),
    });
    if (replayed) c.header('Idempotent-Replayed', 'true');
    return c.json(result, 201);
  });
}
