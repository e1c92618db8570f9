import { errorMessage } from '../../core/errors.js';
import { type ChannelContext, type ChannelModule, defineChannel } from '../channel.js';
import { createTtlCache } from '../messenger/cache.js';
import { createMessengerKit } from '../messenger/kit.js';
import { pickDownloadable } from '../messenger/media.js';
import { ProviderError } from '../messenger/provider-error.js';
import type { Parsed } from '../messenger/take-in.js';
import { createAvitoApi } from './client.js';
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
    const kit = createMessengerKit(ctx, {
      channel: 'avito',
      accounts,
      transportOf: () => 'webhook',
      api: (a) => createAvitoApi(a, { clock: ctx.clock, ...(ctx.fetch ? { fetch: ctx.fetch } : {}) }),
    });
    const caches = new Map(
      accounts.map((a) => [
        a.account,
        {
          chats: createTtlCache<AvitoChat>({ ttlMs: a.cacheTtlMs, max: 10_000, clock: ctx.clock }),
          listings: createTtlCache<Map<number, string>>({ ttlMs: a.cacheTtlMs, max: 1, clock: ctx.clock }),
        },
      ]),
    );

    /** Our listings' addresses (one call per cache period); none when the API refuses them. */
    async function listingAddresses(account: AvitoAccount): Promise<Map<number, string>> {
      const cache = caches.get(account.account)!.listings;
      const cached = cache.get('all');
      if (cached) return cached;
      const { resources } = await kit
        .tracked(account.account, () => kit.api(account.account).items())
        .catch((err: unknown) => {
          kit.log.warn({ account: account.account, err: errorMessage(err) }, 'listings not available');
          return { resources: [] };
        });
      const addresses = new Map(resources.flatMap((r) => (r.address ? [[r.id, r.address] as const] : [])));
      cache.set('all', addresses);
      return addresses;
    }

    async function enrich(account: AvitoAccount, update: AvitoWebhook) {
      const m = avitoMessageSchema.safeParse(update.payload.value).data;
      if (!m || m.type === 'system' || m.type === 'deleted') return undefined;
      const chats = caches.get(account.account)!.chats;
      let chat = chats.get(m.chat_id);
      if (!chat) {
        chat = await kit.tracked(account.account, () => kit.api(account.account).chat(m.chat_id));
        chats.set(m.chat_id, chat);
      }
      const itemId = m.item_id ?? (chat.context?.type === 'item' ? chat.context.value?.id : undefined);
      const itemAddress = itemId ? (await listingAddresses(account)).get(itemId) : undefined;
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
      const result = await kit.takeIn({
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

    return {
      name: 'avito',
      normalize: normalizeAvito,
      webhooks: [avitoWebhookRoute({ accounts, handle })],
      ...kit.media({
        // A voice message carries its id only: the link (valid one hour) is asked for when it is copied.
        pick: (a) =>
          pickDownloadable(a) ??
          (a.kind === 'voice' && typeof a.ref === 'string' ? { kind: 'voice', ref: a.ref } : undefined),
        async request(item) {
          if (item.url) return { url: item.url };
          const url = item.ref ? await kit.api(item.account).voiceUrl(item.ref) : undefined;
          if (!url)
            throw new ProviderError('Avito', 'getVoiceFiles has no link for this voice message', {
              retryable: false,
            });
          return { url };
        },
      }),
      replier: { channel: 'avito', send: createAvitoReplier(kit, { sql: ctx.sql, clock: ctx.clock }).send },
      ...kit.transport(),
      connect: async (name, { publicUrl }) => {
        const account = kit.account(name);
        if (!account) return { ok: false, lines: [`Avito account "${name}" is not configured`] };
        const url = `${publicUrl.replace(/\/$/, '')}/webhooks/avito/${account.account}/${account.webhookSecret}`;
        const shown = url.replace(account.webhookSecret, '<webhookSecret>');
        try {
          const answer = await kit.tracked(name, () => kit.api(name).subscribe(url));
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
