import type { Context } from 'hono';
import type { WebhookRequest, WebhookResponse } from '../../channels/webhook/route.js';
import type { App, AppDeps } from '../app-types.js';

const decoder = new TextDecoder('utf-8');

/**
 * Mounts every channel's (and CRM connector's) webhook routes at `/webhooks/<channel>/:account<path>`. The body is read once
 * (the app's body limit applies before), the route verifies it, and only a verified request reaches the
 * handler, which stores before it answers. Refusals are logged with the reason, never with the payload.
 */
export function registerWebhooks(app: App, deps: AppDeps): void {
  for (const channel of [...deps.channels, ...(deps.crmWebhooks ?? [])]) {
    for (const route of channel.webhooks ?? []) {
      const path = `/webhooks/${channel.name}/:account${route.path}`;
      app.on(route.method, path, async (c) => {
        const req = await readRequest(c);
        const verdict = await route.verify(req);
        if (!verdict.ok) {
          deps.log.warn(
            {
              channel: channel.name,
              account: req.account.slice(0, 64),
              status: verdict.status,
              reason: verdict.reason,
            },
            'webhook refused',
          );
          return respond(c, verdict.response ?? { status: verdict.status, json: { error: verdict.reason } });
        }
        return respond(c, await route.handle(req, verdict.value));
      });
    }
  }
}

async function readRequest(c: Context): Promise<WebhookRequest> {
  const body = new Uint8Array(await c.req.arrayBuffer());
  let text: string | undefined;
  const { account = '', ...params } = c.req.param() as Record<string, string>;
  return {
    account,
    params,
    query: new URL(c.req.url).searchParams,
    header: (name) => c.req.header(name),
    contentType: c.req.header('content-type'),
    body,
    text: () => {
      text ??= decoder.decode(body);
      return text;
    },
  };
}

function respond(c: Context, r: WebhookResponse): Response {
  for (const [name, value] of Object.entries(r.headers ?? {})) c.header(name, value);
  const status = r.status as Parameters<typeof c.body>[1];
  if (r.json !== undefined) return c.json(r.json as object, status as never);
  if (r.text !== undefined) return c.text(r.text, status as never);
  return c.body(null, status);
}
