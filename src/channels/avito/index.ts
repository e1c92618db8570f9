import { errorMessage } from '../../core/errors.js';
import { type ChannelContext, type ChannelModule, defineChannel } from '../channel.js';
import { createTtlCache } from '../messenger/cache.js';
import { createMessengerReplies } from '../messenger/replies.js';
import { timerSleep } from '../messenger/retry.js';
import { createChannelState } from '../messenger/state.js';
import { createTakeIn, type Parsed } from '../messenger/take-in.js';
import { type AvitoApi, createAvitoApi } from './client.js';
import { type AvitoAccount, avitoConfigSchema } from './config.js';
import { normalizeAvito } from './normalize.js';
import { createAvitoReplier } from './replier.js';
import { type AvitoChat, type AvitoWebhook, avitoMessageSchema, avitoWebhookSchema } from './schema.js';
import { avitoWebhookRoute } from './webhook.js';

/**
 * Avito Messenger (API v3 webhook): the buyer's messages about our listings, chat info for the buyer's
 * name and the listing (its address feeds the region), replies in the chat. See docs/messengers.md.
 */
export const avitoChannel = defineChannel({
  name: 'avito',
  config: { key: 'channels.avito', schema: avitoConfigSchema },
  create(ctx: ChannelContext): ChannelModule {
    const accounts = ctx.config.channels.avito;
    const log = ctx.log.child({ channel: 'avito' });
    const state = createChannelState({
      channel: 'avito',
      accounts: accounts.map((a) => ({ account: a.account, transport: 'webhook' })),
      metrics: ctx.metrics,
      clock: ctx.clock,
    });
    const apis = new Map<string, AvitoApi>(
      accounts.map((a) => [
        a.account,
        createAvitoApi(a, { clock: ctx.clock, ...(ctx.fetch ? { fetch: ctx.fetch } : {}) }),
      ]),
    );
    const caches = new Map(
      accounts.map((a) => [
        a.account,
        {
          chats: createTtlCache<AvitoChat>({ ttlMs: a.cacheTtlMs, max: 10_000, clock: ctx.clock }),
          items: createTtlCache<Map<number, string>>({ ttlMs: a.cacheTtlMs, max: 1, clock: ctx.clock }),
        },
      ]),
    );
    const takeIn = createTakeIn({ intake: ctx.intake, state, log });

    /** A provider lookup that marks the account up or down. */
    async function tracked<T>(account: string, call: () => Promise<T>): Promise<T> {
      try {
        const out = await call();
        state.ok(account);
        return out;
      } catch (err) {
        state.failed(account, err);
        throw err;
      }
    }

    async function enrich(account: AvitoAccount, update: AvitoWebhook) {
      const m = avitoMessageSchema.safeParse(update.payload.value).data;
      if (!m || m.type === 'system' || m.type === 'deleted') return undefined;
      const api = apis.get(account.account)!;
      const cache = caches.get(account.account)!;
      let chat = cache.chats.get(m.chat_id);
      if (!chat) {
        chat = await tracked(account.account, () => api.chat(m.chat_id));
        cache.chats.set(m.chat_id, chat);
      }
      const itemId = m.item_id ?? (chat.context?.type === 'item' ? chat.context.value?.id : undefined);
      let itemAddress: string | undefined;
      if (itemId) {
        let addresses = cache.items.get('all');
        if (!addresses) {
          const { resources } = await tracked(account.account, () => api.items()).catch((err: unknown) => {
            log.warn({ account: account.account, err: errorMessage(err) }, 'listings not available');
            return { resources: [] };
          });
          addresses = new Map(resources.flatMap((r) => (r.address ? [[r.id, r.address] as const] : [])));
          cache.items.set('all', addresses);
        }
        itemAddress = addresses.get(itemId);
      }
      return { chat, ...(itemAddress ? { itemAddress } : {}) };
    }

    async function handle(account: AvitoAccount, body: unknown, raw: Uint8Array): Promise<'ok' | 'rejected'> {
      const hook = avitoWebhookSchema.safeParse(body);
      let parsed: Parsed<AvitoWebhook>;
      if (!hook.success) parsed = { ok: false, reason: 'not an Avito webhook', value: body ?? null };
      else if (
        hook.data.payload.type === 'message' &&
        !avitoMessageSchema.safeParse(hook.data.payload.value).success
      )
        parsed = { ok: false, reason: 'Avito message without the required fields', value: body };
      else parsed = { ok: true, update: hook.data };
      const result = await takeIn({
        source: 'avito',
        account: account.account,
        parsed,
        raw,
        ...(hook.success ? { externalId: hook.data.id } : {}),
        enrich: (update) => enrich(account, update),
        enrichTimeoutMs: account.enrichTimeoutMs,
      });
      return result.status === 'rejected' ? 'rejected' : 'ok';
    }

    const replies = createMessengerReplies({
      source: 'avito',
      sql: ctx.sql,
      intake: ctx.intake,
      state,
      log,
      clock: ctx.clock,
      sleep: ctx.sleep ?? timerSleep,
    });
    return {
      name: 'avito',
      normalize: normalizeAvito,
      webhooks: [avitoWebhookRoute({ accounts, handle })],
      replier: {
        channel: 'avito',
        reply: createAvitoReplier({
          sql: ctx.sql,
          accounts,
          api: (a) => apis.get(a),
          replies,
          clock: ctx.clock,
        }).reply,
      },
      ...(accounts.length > 0
        ? { transport: { start: () => {}, stop: async () => {}, status: () => state.status() } }
        : {}),
      connect: async (name, { publicUrl }) => {
        const account = accounts.find((a) => a.account === name);
        if (!account) return { ok: false, lines: [`Avito account "${name}" is not configured`] };
        const url = `${publicUrl.replace(/\/$/, '')}/webhooks/avito/${account.account}/${account.webhookSecret}`;
        const shown = url.replace(account.webhookSecret, '<webhookSecret>');
        try {
          const answer = await apis.get(name)!.subscribe(url);
          return {
            ok: true,
            lines: [`Avito subscribed ${shown}`, `Avito answered: ${JSON.stringify(answer)}`],
          };
        } catch (err) {
          return { ok: false, lines: [`Avito refused the subscription of ${shown}: ${errorMessage(err)}`] };
        }
      },
    };
  },
});
