import { Gauge } from 'prom-client';
import { type ChannelContext, type ChannelModule, defineChannel } from '../channel.js';
import { type GatewayAccount, whatsappConfigSchema } from './config.js';
import { createGreenApiClient, type GreenApiClient } from './green-api.js';
import { normalizeWhatsapp } from './normalize.js';
import { createWhatsappReplier } from './replier.js';
import { realClientFactory, type WaClientFactory } from './web-client.js';
import { createWebSupervisor, type Schedule, WEB_STATES, type WebSupervisor } from './web-transport.js';
import { type GatewayStatus, greenApiWebhook } from './webhook.js';

export interface WhatsappOptions {
  /** Builds a whatsapp-web.js client (tests: a fake). */
  clientFactory?: WaClientFactory;
  /** Restart timers (tests: run by hand). */
  schedule?: Schedule;
  /** Green-API's retry pause (tests: none). */
  sleep?: (ms: number) => Promise<void>;
}

/**
 * WhatsApp: two transports behind one channel (normalize, identities and replies are shared). `web`: the
 * company's own number in whatsapp-web.js (Debian's Chromium), one supervised client per account; `gateway`:
 * Green-API, webhook in and HTTP out. See docs/whatsapp.md.
 */
export function defineWhatsappChannel(options: WhatsappOptions = {}) {
  return defineChannel({
    name: 'whatsapp',
    config: { key: 'channels.whatsapp', schema: whatsappConfigSchema },
    create(ctx: ChannelContext): ChannelModule {
      const accounts = ctx.config.channels.whatsapp;
      const stateGauge = whatsappStateGauge(ctx);
      const web = new Map<string, WebSupervisor>();
      const gateway = new Map<
        string,
        { config: GatewayAccount; client: GreenApiClient; status: GatewayStatus }
      >();
      for (const a of accounts) {
        if (a.transport === 'web')
          web.set(
            a.account,
            createWebSupervisor(ctx, a, {
              factory: options.clientFactory ?? realClientFactory,
              ...(options.schedule ? { schedule: options.schedule } : {}),
              onState: (state) => {
                for (const s of WEB_STATES)
                  stateGauge.set({ account: a.account, state: s }, s === state ? 1 : 0);
              },
            }),
          );
        else
          gateway.set(a.account, {
            config: a,
            client: createGreenApiClient(a, {
              ...(ctx.fetch ? { fetch: ctx.fetch } : {}),
              ...(options.sleep ? { sleep: options.sleep } : {}),
            }),
            status: { transport: 'gateway' },
          });
      }
      return {
        name: 'whatsapp',
        normalize: normalizeWhatsapp,
        ...(gateway.size > 0 ? { webhooks: [greenApiWebhook(ctx, gateway)] } : {}),
        replier: { channel: 'whatsapp', ...createWhatsappReplier({ clock: ctx.clock, web, gateway }) },
        ...(accounts.length > 0
          ? {
              transport: {
                start: () => {
                  for (const s of web.values()) s.start();
                },
                stop: async () => {
                  await Promise.all([...web.values()].map((s) => s.stop()));
                },
                status: () => ({
                  ...Object.fromEntries([...gateway].map(([name, g]) => [name, { ...g.status }])),
                  ...Object.fromEntries([...web].map(([name, s]) => [name, s.status()])),
                }),
                detail: (account: string) => {
                  const s = web.get(account);
                  if (s) {
                    const qr = s.pairing();
                    return { ...s.status(), ...(qr ? { qr } : {}) };
                  }
                  const g = gateway.get(account);
                  return g ? { ...g.status } : undefined;
                },
              },
            }
          : {}),
      };
    },
  });
}

/** `switchboard_whatsapp_state{account,state}`: 1 for the web client's current state. */
function whatsappStateGauge(ctx: ChannelContext): Gauge {
  const name = 'switchboard_whatsapp_state';
  const existing = ctx.metrics.registry.getSingleMetric(name);
  if (existing) return existing as Gauge;
  return new Gauge({
    name,
    help: 'WhatsApp web client state per account (1 = current state)',
    labelNames: ['account', 'state'],
    registers: [ctx.metrics.registry],
  });
}

export const whatsappChannel = defineWhatsappChannel();
