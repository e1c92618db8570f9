import { type ChannelContext, type ChannelModule, defineChannel } from '../../channels/channel.js';
import { telephonyConfigSection } from '../config.js';
import { createMegafonSource } from './normalize.js';
import { megafonWebhook } from './webhook.js';

/**
 * MegaFon / ITooLabs cloud PBX: the one CRM URL `POST /webhooks/megafon/<account>` (contact lookup, live
 * events, call history, rating). History records go through the pipeline; the call row is linked to the
 * decision by the telephony hook.
 */
export const megafonChannel = defineChannel({
  name: 'megafon',
  config: telephonyConfigSection,
  create: (ctx: ChannelContext): ChannelModule => ({
    name: 'megafon',
    accounts: ctx.config.telephony.megafon.map((a) => a.account),
    normalize: createMegafonSource(ctx.telephony.hiddenNumbers).normalize,
    webhooks: [megafonWebhook(ctx)],
    afterDecision: ctx.telephony.afterDecision,
  }),
});
