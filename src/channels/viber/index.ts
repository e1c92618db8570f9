import { errorMessage } from '../../core/errors.js';
import { parseStorableJson } from '../../core/safe-json.js';
import { type ChannelContext, type ChannelModule, defineChannel } from '../channel.js';
import { createChatStates } from '../messenger/chat-state.js';
import { createMessengerKit } from '../messenger/kit.js';
import type { Parsed } from '../messenger/take-in.js';
import { createViberApi } from './client.js';
import { type ViberAccount, viberConfigSchema } from './config.js';
import { normalizeViber } from './normalize.js';
import { createViberReplier, UNSUBSCRIBED } from './replier.js';
import { SHARE_PHONE_TRACKING, type ViberCallback, viberCallbackSchema } from './schema.js';
import { viberWebhookRoute } from './webhook.js';

/**
 * Viber bots (REST bot API): signed callbacks, a welcome asking for the phone with a share-phone button,
 * a shared contact as the client's phone, replies with send_message. See docs/messengers.md.
 */
export const viberChannel = defineChannel({
  name: 'viber',
  config: { key: 'channels.viber', schema: viberConfigSchema },
  create(ctx: ChannelContext): ChannelModule {
    const accounts = ctx.config.channels.viber;
    const kit = createMessengerKit(ctx, {
      channel: 'viber',
      accounts,
      transportOf: () => 'webhook',
      api: (a) => createViberApi(a, { clock: ctx.clock, ...(ctx.fetch ? { fetch: ctx.fetch } : {}) }),
    });

    const chats = createChatStates(ctx.sql, ctx.clock, 'viber');

    /**
     * Subscription state per Viber user, as of the callback's own time: `unsubscribed` refuses replies (Viber
     * would drop them) until the user subscribes again or writes (a user's message subscribes them).
     */
    async function recordSubscription(account: string, e: ViberCallback): Promise<void> {
      const at = new Date(e.timestamp);
      if (e.event === 'unsubscribed') await chats.setBlockedAsOf(account, e.user_id, UNSUBSCRIBED, at);
      else if (e.event === 'subscribed') await chats.setBlockedAsOf(account, e.user.id, null, at);
      else if (e.event === 'message') await chats.setBlockedAsOf(account, e.sender.id, null, at);
      else if (e.event === 'conversation_started' && e.subscribed)
        await chats.setBlockedAsOf(account, e.user.id, null, at);
    }

    async function handle(account: ViberAccount, raw: Uint8Array, text: string) {
      const json = parseStorableJson(text, { bigInts: true });
      const body = json.ok ? json.value : undefined;
      const callback = viberCallbackSchema.safeParse(body);
      const parsed: Parsed<ViberCallback> = callback.success
        ? { ok: true, update: callback.data }
        : { ok: false, reason: json.ok ? 'not a Viber callback' : json.reason, value: body ?? null };
      const result = await kit.takeIn({
        source: 'viber',
        account: account.account,
        parsed,
        raw,
        ...(callback.data?.message_token ? { externalId: callback.data.message_token } : {}),
        enrichTimeoutMs: account.enrichTimeoutMs,
      });
      if (result.status === 'rejected') return { status: 400, json: { error: 'bad callback' } };
      // Stored before this runs: a failure here is logged, never a lost callback (Viber would retry it).
      await recordSubscription(account.account, callback.data!).catch((err: unknown) =>
        kit.log.warn({ account: account.account, err: errorMessage(err) }, 'subscription state not recorded'),
      );
      if (callback.data?.event === 'conversation_started') return { status: 200, json: welcome(account) };
      return { status: 200 };
    }

    return {
      name: 'viber',
      normalize: normalizeViber,
      webhooks: [viberWebhookRoute({ accounts, handle })],
      ...kit.media(),
      replier: { channel: 'viber', send: createViberReplier(kit, { clock: ctx.clock, chats }).send },
      ...kit.transport(),
      connect: async (name, { publicUrl }) => {
        if (!kit.account(name)) return { ok: false, lines: [`Viber account "${name}" is not configured`] };
        const url = `${publicUrl.replace(/\/$/, '')}/webhooks/viber/${name}`;
        try {
          const answer = await kit.tracked(name, () => kit.api(name).setWebhook(url));
          return {
            ok: true,
            lines: [
              `Viber set the webhook ${url}`,
              `Viber answered: status ${answer.status} (${answer.status_message ?? 'ok'})`,
            ],
          };
        } catch (err) {
          return { ok: false, lines: [`Viber refused the webhook ${url}: ${errorMessage(err)}`] };
        }
      },
    };
  },
});

/**
 * The welcome answered in the body of `conversation_started` (Viber shows it to the client): asks for the
 * phone with a share-phone button; the answer comes back as a `contact` message with our tracking data.
 */
export function welcome(account: ViberAccount) {
  return {
    sender: { name: account.senderName, ...(account.senderAvatar ? { avatar: account.senderAvatar } : {}) },
    type: 'text',
    text: account.welcome.text,
    tracking_data: SHARE_PHONE_TRACKING,
    min_api_version: 3,
    keyboard: {
      Type: 'keyboard',
      DefaultHeight: false,
      Buttons: [{ ActionType: 'share-phone', ActionBody: 'phone', Text: account.welcome.button }],
    },
  };
}
