import { mangoSource } from '../telephony/mango/normalize.js';
import { megafonSource } from '../telephony/megafon/normalize.js';
import { apiSource } from './api/normalize.js';
import type { InboundSource } from './channel.js';
import { createEmailSource } from './email/normalize.js';

/** Every source whose payloads land in inbound_events. A source without an adapter is a compile error. */
export const EVENT_SOURCES = ['api', 'email', 'megafon', 'mango'] as const;
export type EventSource = (typeof EVENT_SOURCES)[number];

export const inboundSources: Record<EventSource, InboundSource> = {
  api: apiSource,
  megafon: megafonSource,
  mango: mangoSource,
  // Without configuration: no own addresses, no blocklist, attachments as metadata only. The daemon passes
  // the configured one to the processor (ProcessorDeps.sources).
  email: createEmailSource(),
};

export function isEventSource(value: string): value is EventSource {
  return (EVENT_SOURCES as readonly string[]).includes(value);
}
