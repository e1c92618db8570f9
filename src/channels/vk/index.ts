import { errorMessage } from '../../core/errors.js';
import { type ChannelContext, type ChannelModule, type ConnectReport, defineChannel } from '../channel.js';
import { createTtlCache } from '../messenger/cache.js';
import { createMessengerKit } from '../messenger/kit.js';
import { pickDownloadable } from '../messenger/media.js';
import { createVkApi, type VkApi } from './client.js';
import { type VkAccount, vkConfigSchema } from './config.js';
import { parseVkUpdate, vkSenderOf } from './intake.js';
import { createVkLongPoll } from './long-poll.js';
import { normalizeVk } from './normalize.js';
import { createVkReplier } from './replier.js';
import type { VkUser } from './schema.js';
import { vkCallbackRoute } from './webhook.js';

/**
 * VK communities: the Callback API (`POST /webhooks/vk/<account>`) or Bots Long Poll, users.get for the
 * sender's name, city and public phone (cached), replies with messages.send. See docs/messengers.md.
 */
export const vkChannel = defineChannel({
  name: 'vk',
  config: { key: 'channels.vk', schema: vkConfigSchema },
  create(ctx: ChannelContext): ChannelModule {
    const accounts = ctx.config.channels.vk;
    const kit = createMessengerKit(ctx, {
      channel: 'vk',
      accounts,
      transportOf: (a) => a.transport,
      api: createVkApi,
    });
    const profiles = new Map(
      accounts.map((a) => [
        a.account,
        createTtlCache<VkUser | null>({ ttlMs: a.cacheTtlMs, max: 10_000, clock: ctx.clock }),
      ]),
    );

    async function profile(account: VkAccount, userId: number): Promise<VkUser | null> {
      const cache = profiles.get(account.account)!;
      const cached = cache.get(String(userId));
      if (cached !== undefined) return cached;
      const user =
        (await kit.tracked(account.account, () => kit.api(account.account).usersGet(userId))) ?? null;
      cache.set(String(userId), user);
      return user;
    }

    async function handle(account: VkAccount, body: unknown, raw?: Uint8Array): Promise<'ok' | 'rejected'> {
      const parsed = parseVkUpdate(body);
      const result = await kit.takeIn({
        source: 'vk',
        account: account.account,
        parsed,
        ...(raw ? { raw } : {}),
        ...(parsed.ok && parsed.update.event_id ? { externalId: parsed.update.event_id } : {}),
        enrich: async (update) => {
          const sender = vkSenderOf(update);
          if (sender === undefined) return undefined;
          const user = await profile(account, sender);
          return user ? { user } : {};
        },
        enrichTimeoutMs: account.enrichTimeoutMs,
      });
      return result.status === 'rejected' ? 'rejected' : 'ok';
    }

    const pollers = accounts
      .filter((a) => a.transport === 'longpoll')
      .map((account) =>
        createVkLongPoll({
          account,
          api: kit.api(account.account),
          state: kit.state,
          log: kit.log,
          handle: (update) => handle(account, update),
          ...(ctx.fetch ? { fetch: ctx.fetch } : {}),
        }),
      );

    return {
      name: 'vk',
      normalize: normalizeVk,
      webhooks: [vkCallbackRoute({ accounts, handle })],
      // A VK video is a page on vk.com, not a file.
      ...kit.media({ pick: (a) => (a.kind === 'video' ? undefined : pickDownloadable(a)) }),
      replier: { channel: 'vk', send: createVkReplier(kit, ctx.clock).send },
      ...kit.transport({
        start: () => {
          for (const p of pollers) p.start();
        },
        stop: async () => {
          await Promise.all(pollers.map((p) => p.stop()));
        },
      }),
      connect: async (name, { publicUrl }) => {
        const account = kit.account(name);
        if (!account) return { ok: false, lines: [`VK account "${name}" is not configured`] };
        return connectVk(account, kit.api(name), publicUrl);
      },
    };
  },
});

/** VK has no API to register a Callback server with a community token: print the steps, check what we can. */
async function connectVk(account: VkAccount, api: VkApi, publicUrl: string): Promise<ConnectReport> {
  if (account.transport === 'longpoll') {
    try {
      await api.longPollServer();
      return {
        ok: true,
        lines: [
          `VK community ${account.groupId}: Bots Long Poll answers; Switchboard polls it, no public URL needed.`,
          `Check in Управление → Работа с API → Long Poll API: version ${account.apiVersion}, event types message_new and message_reply.`,
        ],
      };
    } catch (err) {
      return {
        ok: false,
        lines: [
          `VK refused groups.getLongPollServer: ${errorMessage(err)}`,
          'Enable Long Poll API in the community settings.',
        ],
      };
    }
  }
  const lines = [
    `In the VK community ${account.groupId}: Управление → Работа с API → Callback API:`,
    `  server URL:   ${publicUrl.replace(/\/$/, '')}/webhooks/vk/${account.account}`,
    `  API version:  ${account.apiVersion}`,
    '  secret key:   the value of channels.vk[].secret (not printed)',
    '  event types:  Сообщения → входящие (message_new), исходящие (message_reply)',
  ];
  try {
    const { code } = await api.confirmationCode();
    const matches = code === account.confirmation;
    lines.push(
      matches
        ? `The confirmation string VK expects matches channels.vk[].confirmation ("${code}"): press "Подтвердить".`
        : `VK expects the confirmation string "${code}": put it in channels.vk[].confirmation, restart, then press "Подтвердить".`,
    );
    return { ok: matches, lines };
  } catch (err) {
    lines.push(`VK refused groups.getCallbackConfirmationCode: ${errorMessage(err)}`);
    return { ok: false, lines };
  }
}
