import { mangoChannel } from '../telephony/mango/index.js';
import { megafonChannel } from '../telephony/megafon/index.js';
import { apiChannel } from './api/index.js';
import { avitoChannel } from './avito/index.js';
import type { ChannelContext, ChannelDefinition, ChannelModule } from './channel.js';
import { emailChannel } from './email/index.js';
import { maxChannel } from './max/index.js';
import { telegramChannel } from './telegram/index.js';
import { viberChannel } from './viber/index.js';
import { vkChannel } from './vk/index.js';

/**
 * Every channel Switchboard has. Adding a channel is its folder plus one line here: its config section is
 * composed into the config schema, its webhooks mounted, its transport started and stopped, its payloads
 * normalized by the processor, the replay worker and the simulator.
 */
export const CHANNELS = [
  apiChannel,
  emailChannel,
  megafonChannel,
  mangoChannel,
  vkChannel,
  avitoChannel,
  viberChannel,
  telegramChannel,
  maxChannel,
] as const;

/** Builds every channel module; a duplicate name (two channels claiming one source) is a startup error. */
export function createChannels(
  ctx: ChannelContext,
  definitions: readonly ChannelDefinition[] = CHANNELS,
): ChannelModule[] {
  const seen = new Set<string>();
  return definitions.map((d) => {
    if (seen.has(d.name)) throw new Error(`two channels are named "${d.name}"`);
    seen.add(d.name);
    const module = d.create(ctx);
    if (module.name !== d.name) throw new Error(`channel "${d.name}" built a module named "${module.name}"`);
    return module;
  });
}

/** Finds a channel's module by name (an event's source). */
export function channelLookup(modules: readonly ChannelModule[]) {
  const byName = new Map(modules.map((m) => [m.name, m]));
  return (name: string): ChannelModule | undefined => byName.get(name);
}
