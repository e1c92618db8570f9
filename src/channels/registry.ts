import { apiSource } from './api/normalize.js';
import type { InboundSource } from './channel.js';

/** Every source whose payloads land in inbound_events. A source without an adapter is a compile error. */
export const EVENT_SOURCES = ['api'] as const;
export type EventSource = (typeof EVENT_SOURCES)[number];

export const inboundSources: Record<EventSource, InboundSource> = {
  api: apiSource,
};

export function isEventSource(value: string): value is EventSource {
  return (EVENT_SOURCES as readonly string[]).includes(value);
}
