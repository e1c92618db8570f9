import { type ChannelContext, type ChannelModule, defineChannel } from '../channel.js';
import { apiSource } from './normalize.js';

/**
 * The API channel: anything posted to `POST /api/v1/inbound` (web forms, custom sources, a PBX without an
 * adapter). Its route lives with the rest of the bearer-authenticated API (src/http/routes/inbound.ts) and
 * stores through the same intake; a call posted here gets its call row like a PBX's.
 */
export const apiChannel = defineChannel({
  name: 'api',
  create: (ctx: ChannelContext): ChannelModule => ({
    name: 'api',
    normalize: apiSource.normalize,
    afterDecision: ctx.telephony.afterDecision,
  }),
});
