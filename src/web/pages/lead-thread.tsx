import { formatDuration, formatExact, formatWhen } from '../format.js';
import { ru } from '../i18n/ru.js';
import { type MediaItem, mediaOf } from '../media.js';
import type { ThreadEntry } from '../services/lead-view.js';

function sizeText(bytes: number | undefined): string {
  if (bytes === undefined) return '';
  return bytes < 1024 * 1024
    ? `${Math.max(1, Math.round(bytes / 1024))} КБ`
    : `${(bytes / 1048576).toFixed(1)} МБ`;
}

/** One attachment: a preview or player where the content can be reached, else its type and name in words. */
function Media(props: { item: MediaItem; base: string }) {
  const { item } = props;
  const label = ru.media[item.kind];
  // A provider link whose file is gone is not offered: it would only show a broken image.
  const src =
    item.href ??
    (item.file !== undefined
      ? `${props.base}/files/${item.file}`
      : item.copyStatus === 'expired'
        ? undefined
        : item.url);
  const caption = (
    <span class="media-caption">
      {label}
      {item.name ? `: ${item.name}` : ''}
      {item.size !== undefined ? <span class="muted"> · {sizeText(item.size)}</span> : null}
      {item.durationSeconds !== undefined ? (
        <span class="muted"> · {formatDuration(item.durationSeconds)}</span>
      ) : null}
      {item.copyStatus && ru.media.copy[item.copyStatus] ? (
        <span class="muted copy-status"> · {ru.media.copy[item.copyStatus]}</span>
      ) : null}
    </span>
  );
  if (!src)
    return (
      <li class={`media media-${item.kind} unavailable`}>
        {caption}
        {item.copyStatus ? null : <span class="muted"> ({ru.media.atProvider})</span>}
      </li>
    );
  if (item.kind === 'photo' || item.kind === 'sticker')
    return (
      <li class={`media media-${item.kind}`}>
        <a href={src} target="_blank" rel="noopener noreferrer">
          <img
            src={src}
            alt={item.name ? `${label}: ${item.name}` : label}
            loading="lazy"
            referrerpolicy="no-referrer"
          />
        </a>
      </li>
    );
  if (item.kind === 'voice' || item.kind === 'audio')
    return (
      <li class={`media media-${item.kind}`}>
        {caption}
        {/* biome-ignore lint/a11y/useMediaCaption: voice messages come without transcripts */}
        <audio controls preload="none" src={src} aria-label={label} />
      </li>
    );
  return (
    <li class={`media media-${item.kind}`}>
      <a
        href={src}
        {...(item.file !== undefined
          ? { download: item.name ?? '' }
          : { target: '_blank', rel: 'noopener noreferrer' })}
      >
        {caption}
      </a>
    </li>
  );
}

/** An email with an HTML part: its sanitized body in a sandboxed frame (src/web/pages/message-files.ts). */
function EmailFrame(props: { base: string }) {
  return (
    <iframe
      class="email-frame"
      src={`${props.base}/body`}
      title={ru.lead.emailFrame}
      sandbox="allow-same-origin allow-popups allow-popups-to-escape-sandbox"
      referrerpolicy="no-referrer"
      loading="lazy"
    />
  );
}

function CallEntry(props: { e: ThreadEntry }) {
  const { e } = props;
  const missed = e.callState === 'missed';
  return (
    <div class="call">
      <span class="call-icon" aria-hidden="true">
        {e.direction === 'in' ? '↙' : '↗'}
      </span>
      <strong>{e.direction === 'in' ? ru.lead.callIn : ru.lead.callOut}</strong>
      {missed ? <span class="tag warn">{ru.lead.missed}</span> : null}
      {e.talkSeconds ? (
        <span class="muted">
          {ru.lead.duration} {formatDuration(e.talkSeconds)}
        </span>
      ) : null}
      {e.body ? <p class="text">{e.body}</p> : null}
      {e.callId && e.recordingStatus === 'stored' ? (
        // biome-ignore lint/a11y/useMediaCaption: PBX recordings come without transcripts
        <audio controls preload="none" src={`/calls/${e.callId}/recording`} aria-label={ru.lead.recording} />
      ) : null}
    </div>
  );
}

/**
 * An email whose HTML the frame shows: marked at intake (`meta.email.html`); older messages, stored before the
 * mark, are rendered from their raw message too (the frame falls back to the text when there is no HTML).
 */
function hasHtml(e: ThreadEntry): boolean {
  const email = e.meta?.email as { html?: boolean } | undefined;
  return e.channel === 'email' && email !== undefined && email.html !== false;
}

/**
 * The contact's whole history on every channel. Text is escaped by JSX: what a client wrote can never become
 * markup in the page; an email's HTML is shown sanitized, in a sandboxed frame of its own (docs/web.md).
 */
export function Thread(props: {
  entries: ThreadEntry[];
  leadId: string;
  timeZone: string;
  now: Date;
  names: Map<string, string>;
}) {
  if (props.entries.length === 0) return <p class="empty">{ru.lead.noMessages}</p>;
  const base = (e: ThreadEntry) => `/leads/${props.leadId}/messages/${e.id}`;
  return (
    <ol class="thread" id="thread">
      {props.entries.map((e) => {
        const sentBy = (e.meta?.email as { sentBy?: string } | undefined)?.sentBy;
        const who =
          e.direction === 'out'
            ? sentBy
              ? (props.names.get(sentBy.replace(/^web:/, '')) ?? sentBy)
              : ru.lead.you
            : null;
        return (
          <li class={`msg ${e.direction}${e.leadId === props.leadId ? '' : ' other-lead'}`} id={`m-${e.id}`}>
            <div class="meta">
              <span class={`chip ch-${e.channel}`}>{ru.channel[e.channel] ?? e.channel}</span>
              {who ? <span class="by">{who}</span> : null}
              <time datetime={e.occurredAt.toISOString()} title={formatExact(e.occurredAt, props.timeZone)}>
                {formatWhen(e.occurredAt, props.timeZone, props.now)}
              </time>
            </div>
            {e.kind === 'call' ? (
              <CallEntry e={e} />
            ) : (
              <div class="bubble">
                {e.subject ? <p class="subject">{e.subject}</p> : null}
                {hasHtml(e) ? <EmailFrame base={base(e)} /> : e.body ? <p class="text">{e.body}</p> : null}
                {mediaOf(e.channel, e.meta, e.copies).length > 0 ? (
                  <ul class="attachments" aria-label={ru.lead.attachments}>
                    {mediaOf(e.channel, e.meta, e.copies).map((item) => (
                      <Media item={item} base={base(e)} />
                    ))}
                  </ul>
                ) : null}
              </div>
            )}
          </li>
        );
      })}
    </ol>
  );
}
