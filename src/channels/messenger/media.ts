import { randomUUID } from 'node:crypto';
import type { Clock } from '../../core/clock.js';
import type { AfterDecision } from '../../ingest/processor.js';
import type { MessengerAttachment } from './attachment.js';
import type { MediaSettings } from './config.js';

/** One attachment to copy, as the download worker hands it to the channel. */
export interface MediaItem {
  id: string;
  channel: string;
  account: string;
  kind: string;
  url: string | null;
  ref: string | null;
  name: string | null;
}

/** How to fetch one item: a URL (checked against the account's `media.hosts`) and headers for its origin. */
export interface MediaRequest {
  url: string;
  headers?: Record<string, string>;
}

/**
 * What a channel tells the shared media worker (src/channels/messenger/media-downloads.ts): its accounts'
 * limits, which attachments are files worth copying, and how to fetch one (a plain link, or a provider call
 * first: Avito's getVoiceFiles, Telegram's getFile).
 */
export interface MediaSource {
  settings(account: string): MediaSettings | undefined;
  /**
   * One entry of the message's `meta.attachments` -> what to copy, or undefined. Default: a MessengerAttachment
   * that is a photo, file, voice message, video or audio with an http(s) link (`pickDownloadable`).
   */
  pick?(a: Record<string, unknown>): MediaPick | undefined;
  /** Where the message keeps its attachment list. Default: `meta.attachments` (Telegram: `meta.telegram.attachments`). */
  attachments?(meta: Record<string, unknown>): unknown;
  /** Default: the stored link as it is. Throws a ProviderError (retryable or not) when the provider refuses. */
  request?(item: MediaItem): Promise<MediaRequest>;
}

/** What to copy of one attachment: its kind, the provider's link and/or id, the file name. */
export interface MediaPick {
  kind: string;
  url?: string | undefined;
  ref?: string | undefined;
  name?: string | undefined;
}

const FILE_KINDS = new Set(['photo', 'file', 'voice', 'video', 'audio']);

/** A MessengerAttachment that is a photo, file, voice, video or audio with an http(s) link: worth a copy. */
export function pickDownloadable(entry: Record<string, unknown>): MediaPick | undefined {
  const a = entry as Partial<MessengerAttachment>;
  if (typeof a.kind !== 'string' || !FILE_KINDS.has(a.kind)) return undefined;
  if (typeof a.url !== 'string' || !/^https?:\/\//i.test(a.url)) return undefined;
  return { kind: a.kind, url: a.url, ref: a.ref, name: a.name };
}

/**
 * The channel's decision hook that queues its message's attachments for copying: rows of `message_media`
 * written in the decision's transaction (so a message is never without its queue entry, and a download never
 * delays or fails the decision). Our own outbound messages carry nothing to copy.
 */
export function queueMedia(source: MediaSource, clock: Clock): AfterDecision {
  const pick = source.pick ?? pickDownloadable;
  return async (tx, decided) => {
    const now = clock();
    const rows = decided.flatMap(({ comm, decision }) => {
      if (!decision || comm.kind !== 'message' || comm.direction !== 'in') return [];
      if (!source.settings(comm.account)?.download) return [];
      const list = comm.meta
        ? source.attachments
          ? source.attachments(comm.meta)
          : comm.meta.attachments
        : undefined;
      if (!Array.isArray(list)) return [];
      return (list as unknown[]).flatMap((entry, position) => {
        const a =
          entry !== null && typeof entry === 'object' ? pick(entry as Record<string, unknown>) : undefined;
        if (!a) return [];
        return [
          {
            id: randomUUID(),
            message_id: decision.messageId,
            position,
            channel: comm.channel,
            account: comm.account,
            kind: a.kind,
            source_url: a.url ?? null,
            source_ref: a.ref ?? null,
            name: a.name ?? null,
            next_attempt_at: now,
            created_at: now,
          },
        ];
      });
    });
    if (rows.length === 0) return;
    await tx`
      INSERT INTO message_media ${tx(rows)}
      ON CONFLICT (message_id, position) DO NOTHING`;
  };
}
