import { z } from '@hono/zod-openapi';
import type { ChannelModule } from '../channels/channel.js';
import type { App } from './app-types.js';
import { errors, ok } from './routes/schemas.js';

const text = (description: string) => ({ description, content: { 'text/plain': { schema: z.string() } } });
const accountParam = z.object({
  account: z.string().openapi({
    param: { name: 'account', in: 'path', description: "The channel's account id in the configuration" },
  }),
});

/**
 * What /openapi.json says beyond the /api/v1 routes: the unauthenticated operations endpoints, every channel's
 * webhooks (each checks its provider's own token or signature) and the webhook Switchboard itself sends (SLA
 * alerts). Documentation only: the handlers are registered where they live.
 */
export function documentOperationsAndWebhooks(app: App, opts: { channels: readonly ChannelModule[] }): void {
  const r = app.openAPIRegistry;
  const tags = ['operations'];
  // No bearer token: these carry no personal data (operations) or check the provider's token/signature (webhooks).
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

  // Every channel's webhooks, from the channel list (a new channel is documented by being on it).
  for (const channel of opts.channels) {
    for (const route of channel.webhooks ?? []) {
      const names = [...route.path.matchAll(/:(\w+)/g)].map((m) => m[1]!);
      const path = `/webhooks/${channel.name}/{account}${route.path.replace(/:(\w+)/g, '{$1}')}`;
      const words = route.path.split(/[/:]/).filter((w) => w && !names.includes(w));
      r.registerPath({
        method: route.method === 'GET' ? 'get' : 'post',
        path,
        operationId: camel([channel.name, 'webhook', ...words, ...names.map((n) => `by-${n}`)]),
        tags: ['channel webhooks'],
        security,
        summary: `${channel.name}: the provider calls this (it checks the provider's own token or signature, not a bearer token)`,
        description:
          "The body is the provider's, stored as received before the answer. Formats: docs/telephony.md for the PBXs, each channel's document for the others.",
        request: {
          params: accountParam.extend(
            Object.fromEntries(names.map((n) => [n, z.string().openapi({ param: { name: n, in: 'path' } })])),
          ),
          ...(route.method === 'POST'
            ? { body: { content: { '*/*': { schema: z.string().openapi({ format: 'binary' }) } } } }
            : {}),
        },
        responses: {
          200: { description: "Accepted, answered in the provider's format" },
          401: { description: 'Wrong token or signature: nothing stored' },
          404: { description: 'Unknown account' },
          ...tooLarge,
        },
      });
    }
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

const camel = (parts: string[]) =>
  parts
    .flatMap((p) => p.split(/[^a-zA-Z0-9]+/))
    .filter(Boolean)
    .map((p, i) => (i === 0 ? p.toLowerCase() : p[0]!.toUpperCase() + p.slice(1).toLowerCase()))
    .join('');
