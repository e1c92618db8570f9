import { z } from '@hono/zod-openapi';
import type { App } from './app-types.js';
import { errors, ok } from './routes/schemas.js';

const text = (description: string) => ({ description, content: { 'text/plain': { schema: z.string() } } });
const accountParam = z.object({
  account: z
    .string()
    .openapi({ param: { name: 'account', in: 'path', description: 'The PBX account id in the config' } }),
});
const pbxForm = (fields: Record<string, string>) => ({
  required: true,
  content: {
    'application/x-www-form-urlencoded': {
      schema: z.looseObject(
        Object.fromEntries(
          Object.entries(fields).map(([k, d]) => [k, z.string().openapi({ description: d })]),
        ),
      ),
    },
  },
});

/**
 * What /openapi.json says beyond the /api/v1 routes: the unauthenticated operations endpoints, the PBX webhooks
 * (each checks its own token or signature, see docs/telephony.md) and the webhook Switchboard itself sends (SLA
 * alerts). Documentation only: the handlers are registered where they live.
 */
export function documentOperationsAndWebhooks(app: App, opts: { telephony: boolean }): void {
  const r = app.openAPIRegistry;
  const tags = ['operations'];
  // No bearer token: these carry no personal data (operations) or check their own token/signature (PBXs).
  const security: [] = [];
  // Every route answers 413 over server.bodyLimitBytes (the body limit applies before any handler).
  const tooLarge = { 413: errors[413] };
  r.registerPath({
    method: 'get',
    path: '/healthz',
    operationId: 'health',
    tags,
    security,
    summary: 'Liveness: the process answers',
    responses: { 200: ok('Alive', z.object({ status: z.literal('ok') })), ...tooLarge },
  });
  const readiness = z.looseObject({ status: z.enum(['ready', 'not_ready']) });
  r.registerPath({
    method: 'get',
    path: '/readyz',
    operationId: 'readiness',
    tags,
    security,
    summary: 'Readiness: accepting intake and the database answers (components report details)',
    responses: {
      200: ok('Ready', readiness),
      503: ok('Not ready (starting, stopping or database away)', readiness),
      ...tooLarge,
    },
  });
  r.registerPath({
    method: 'get',
    path: '/metrics',
    operationId: 'metrics',
    tags,
    security,
    summary: 'Prometheus metrics (text exposition format)',
    responses: { 200: text('Metrics'), ...tooLarge },
  });
  r.registerPath({
    method: 'get',
    path: '/openapi.json',
    operationId: 'openapi',
    tags,
    security,
    summary: 'This document',
    responses: { 200: ok('OpenAPI 3.1 document'), ...tooLarge },
  });

  if (opts.telephony) {
    const pbx = ['pbx webhooks'];
    r.registerPath({
      method: 'post',
      path: '/webhooks/megafon/{account}',
      operationId: 'megafonWebhook',
      tags: pbx,
      security,
      summary:
        'MegaFon (ITooLabs) CRM API: history, event, contact (form or JSON; authenticated by crm_token)',
      request: {
        params: accountParam,
        body: pbxForm({ cmd: 'history | event | contact', crm_token: 'The token set in the PBX cabinet' }),
      },
      responses: {
        200: ok('Accepted (contact: the responsible manager, or {})'),
        400: errors[400],
        401: errors[401],
        404: errors[404],
      },
    });
    const mangoForm = pbxForm({
      vpbx_api_key: 'The account key',
      sign: 'sha256(key + json + salt)',
      json: 'The event',
    });
    r.registerPath({
      method: 'post',
      path: '/webhooks/mango/{account}/events/{event}',
      operationId: 'mangoEvent',
      tags: pbx,
      security,
      summary: 'Mango Office VPBX events (call, summary, recording; signed)',
      request: {
        params: accountParam.extend({
          event: z
            .string()
            .openapi({ param: { name: 'event', in: 'path', description: 'call | summary | …' } }),
        }),
        body: mangoForm,
      },
      responses: { 200: { description: 'Accepted' }, 400: errors[400], 401: errors[401], 404: errors[404] },
    });
    r.registerPath({
      method: 'post',
      path: '/webhooks/mango/{account}/ping',
      operationId: 'mangoPing',
      tags: pbx,
      security,
      summary: 'Mango connection check from the cabinet',
      request: { params: accountParam },
      responses: { 200: { description: 'Acknowledged' }, ...tooLarge },
    });
    r.registerPath({
      method: 'post',
      path: '/webhooks/mango/{account}/result/{what}',
      operationId: 'mangoCommandResult',
      tags: pbx,
      security,
      summary: 'Mango command results (acknowledged, not used)',
      request: {
        params: accountParam.extend({
          what: z.string().openapi({ param: { name: 'what', in: 'path', description: 'The command kind' } }),
        }),
      },
      responses: { 200: { description: 'Acknowledged' }, ...tooLarge },
    });
  }

  r.registerComponent('securitySchemes', 'switchboardSignature', {
    type: 'apiKey',
    in: 'header',
    name: 'X-Switchboard-Signature',
    description: 'sha256=<hex HMAC-SHA256 of the exact body bytes, keyed with the configured secret>',
  });
  r.registerWebhook({
    method: 'post',
    path: 'slaAlert',
    operationId: 'slaAlert',
    security: [{ switchboardSignature: [] }],
    summary:
      'Sent by Switchboard to sla.channels.webhook.url when a new lead is not taken into work in time. Signed: X-Switchboard-Signature is sha256=<hex HMAC-SHA256 of the body>; Idempotency-Key is the delivery id, the same on every retry.',
    request: {
      headers: z.object({
        'Idempotency-Key': z.uuid().openapi({ description: 'The delivery id, the same on every retry' }),
      }),
      body: {
        required: true,
        content: {
          'application/json': {
            schema: z.object({
              type: z.literal('sla.alert'),
              id: z.uuid().openapi({ description: 'The delivery id (also the Idempotency-Key)' }),
              leadId: z.uuid(),
              step: z.string(),
              repeat: z.int(),
              team: z.string().nullable(),
              responsible: z.string().nullable(),
              channel: z.string(),
              firstContactAt: z.iso.datetime(),
              dueAt: z.iso.datetime(),
              sentAt: z.iso.datetime(),
              url: z.string().optional(),
              text: z.string(),
            }),
          },
        },
      },
    },
    responses: {
      200: { description: 'Received (any 2xx). 408/425/429/5xx are retried, other 4xx are permanent.' },
    },
  });
}
