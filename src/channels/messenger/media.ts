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
  /** Default: photos, files, voice messages, videos and audio with an http(s) link. */
  wants?(a: MessengerAttachment): boolean;
  /** Default: the stored link as it is. Throws a ProviderError (retryable or not) when the provider refuses. */
  request?(item: MediaItem): Promise<MediaRequest>;
}

const FILE_KINDS = new Set(['photo', 'file', 'voice', 'video', 'audio']);

/** Photos, files, voice, video and audio with an http(s) link: what is worth a copy. */
export function isDownloadable(a: MessengerAttachment): boolean {
  return FILE_KINDS.has(a.kind) && !!a.url && /^https?:\/\//i.test(a.url);
}

/**
 * The channel's decision hook that queues its message's attachments for copying: rows of `message_media`
 * written in the decision's transaction (so a message is never without its queue entry, and a download never
 * delays or fails the decision). Our own outbound messages carry nothing to copy.
 */
export function queueMedia(source: MediaSource, clock: Clock): AfterDecision {
  const wants = source.wants ?? isDownloadable;
  return async (tx, { comm, decision }) => {
    if (!decision || comm.kind !== 'message' || comm.direction !== 'in') return;
    if (!source.settings(comm.account)?.download) return;
    const list = comm.meta?.attachments;
    if (!Array.isArray(list)) return;
    const now = clock();
    const rows = (list as MessengerAttachment[]).flatMap((a, position) =>
      wants(a)
        ? [
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
          ]
        : [],
    );
    if (rows.length === 0) return;
    await tx`
      INSERT INTO message_media ${tx(rows)}
      ON CONFLICT (message_id, position) DO NOTHING`;
  };
}
