import { type ChannelContext, type ChannelModule, defineChannel } from '../../channels/channel.js';
import { telephonyConfigSection } from '../config.js';
import { createMangoSource } from './normalize.js';
import { mangoWebhooks } from './webhook.js';

/**
 * Mango Office cloud PBX: signed notifications under `/webhooks/mango/<account>/events/<kind>` (call,
 * summary, recording), plus the cabinet's connection check and command results. Summaries go through the
 * pipeline; the call row is linked to the decision by the telephony hook.
 */
export const mangoChannel = defineChannel({
  name: 'mango',
  config: telephonyConfigSection,
  create: (ctx: ChannelContext): ChannelModule => ({
    name: 'mango',
    accounts: ctx.config.telephony.mango.map((a) => a.account),
    normalize: createMangoSource(ctx.telephony.hiddenNumbers).normalize,
    webhooks: mangoWebhooks(ctx),
    afterDecision: ctx.telephony.afterDecision,
  }),
});
