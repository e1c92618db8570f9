import { formatDuration, formatExact, formatWhen } from '../format.js';
import { ru } from '../i18n/ru.js';
import type { ThreadEntry } from '../services/lead-view.js';

interface Attachment {
  filename?: string | null;
  contentType?: string;
  size?: number;
  inline?: boolean;
}

function attachmentsOf(meta: Record<string, unknown> | null): Attachment[] {
  const list = meta?.attachments;
  return Array.isArray(list) ? (list as Attachment[]).filter((a) => !a.inline) : [];
}

function sizeText(bytes: number | undefined): string {
  if (bytes === undefined) return '';
  return bytes < 1024 * 1024
    ? `${Math.max(1, Math.round(bytes / 1024))} КБ`
    : `${(bytes / 1048576).toFixed(1)} МБ`;
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
 * The contact's whole history on every channel. Bodies are text, escaped by JSX: what a client wrote can never
 * become markup here (email is stored as its text part; see docs/web.md).
 */
export function Thread(props: {
  entries: ThreadEntry[];
  leadId: string;
  timeZone: string;
  now: Date;
  names: Map<string, string>;
}) {
  if (props.entries.length === 0) return <p class="empty">{ru.lead.noMessages}</p>;
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
                <p class="text">{e.body ?? ''}</p>
                {attachmentsOf(e.meta).length > 0 ? (
                  <ul class="attachments" aria-label={ru.lead.attachments}>
                    {attachmentsOf(e.meta).map((a) => (
                      <li>
                        📎 {a.filename ?? 'без имени'} <span class="muted">{sizeText(a.size)}</span>
                      </li>
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
