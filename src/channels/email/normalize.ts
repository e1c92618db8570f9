import type { AddressObject, ParsedMail } from 'mailparser';
import type { InboundCommunication, RawIdentity } from '../../core/communication.js';
import { errorMessage } from '../../core/errors.js';
import type { InboundSource, NormalizeResult } from '../channel.js';
import type { AttachmentMeta, AttachmentStore } from './attachments.js';
import { classifyMail, type SenderPolicy } from './classify.js';
import { emailExternalId, headerBlock, headerValues, messageIds, threadKeyOf } from './headers.js';
import { findInns, findPhones, ownPart } from './hints.js';
import { mimeProblems } from './mime-check.js';
import { type EmailEvent, emailEventSchema } from './payload.js';
import { readRawFile } from './raw-files.js';

export interface EmailSourceOptions {
  senders: SenderPolicy;
  attachments?: AttachmentStore;
  /** Longer bodies are cut (the raw message keeps everything). */
  maxTextChars?: number;
  /** Where raw files of big messages live (see raw-files.ts). */
  dataDir?: string;
}

const NO_SENDERS: SenderPolicy = {
  ownAddresses: new Set(),
  ownDomains: [],
  blockedSenders: new Set(),
  blockedDomains: [],
};

/**
 * The email source: raw RFC 822 bytes (+ where they came from) -> one InboundCommunication, or a skip
 * with its reason (auto-replies, bounces, our own mail, blocklisted senders). A message mailparser cannot
 * read at all is a normalize error: the event is kept, marked dead with the reason, and nothing crashes.
 */
export function createEmailSource(opts: EmailSourceOptions = { senders: NO_SENDERS }): InboundSource {
  return {
    async normalize(payload: unknown, raw?: Uint8Array): Promise<NormalizeResult> {
      const parsedPayload = emailEventSchema.safeParse(payload);
      if (!parsedPayload.success) {
        const issue = parsedPayload.error.issues[0];
        return { ok: false, error: issue?.message ?? 'invalid', field: issue?.path.join('.') ?? '' };
      }
      const event = parsedPayload.data;
      if (!raw && event.kind === 'received' && event.rawFile) {
        if (!opts.dataDir)
          return { ok: false, error: 'the raw message is in a file but no data directory is set' };
        try {
          raw = await readRawFile(opts.dataDir, event.rawFile);
        } catch (err) {
          return {
            ok: false,
            error: `cannot read the raw message file: ${errorMessage(err)}`,
            field: 'rawFile',
          };
        }
      }
      if (!raw || raw.byteLength === 0) return { ok: false, error: 'no raw message stored', field: 'raw' };
      let mail: ParsedMail;
      try {
        // Loaded on the first email: a daemon without email never pays for the MIME stack's memory.
        const { simpleParser } = await import('mailparser');
        mail = await simpleParser(Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength), {
          keepCidLinks: true,
        });
      } catch (err) {
        return { ok: false, error: `unreadable MIME: ${errorMessage(err)}` };
      }
      return toResult(event, raw, mail, opts);
    },
  };
}

async function toResult(
  event: EmailEvent,
  raw: Uint8Array,
  mail: ParsedMail,
  opts: EmailSourceOptions,
): Promise<NormalizeResult> {
  const externalId = emailExternalId(raw);
  const account = event.mailbox;
  const block = headerBlock(raw);
  const from = mail.from?.value.find((a) => a.address)?.address?.toLowerCase();
  const subject = mail.subject ?? '';

  if (event.kind === 'received') {
    const verdict = classifyMail(
      {
        headers: mail.headers,
        contentType: headerValues(block, 'content-type')[0] ?? 'text/plain',
        subject,
        ...(from ? { from } : {}),
      },
      opts.senders,
    );
    if (verdict)
      return {
        ok: true,
        communications: [],
        skipped: [{ channel: 'email', account, externalId, ...verdict }],
      };
  }

  const malformed = mimeProblems(raw, mail);
  let text = mail.text ?? '';
  if (!text && malformed.length > 0)
    // Keep what the sender wrote even when the structure is broken: the body as text.
    text = Buffer.from(raw).subarray(block.length).toString('utf8').trim();
  const maxText = opts.maxTextChars ?? 100_000;
  if (text.length > maxText) text = `${text.slice(0, maxText)}\n[…]`;

  const attachments: AttachmentMeta[] = [];
  for (const a of mail.attachments) {
    const meta = opts.attachments
      ? await opts.attachments.save(a.content, { filename: a.filename, contentType: a.contentType })
      : {
          filename: a.filename ?? null,
          contentType: a.contentType,
          size: a.size,
          sha256: '',
          stored: false,
          note: 'no attachment storage',
        };
    attachments.push(a.related ? { ...meta, inline: true } : meta);
  }

  const references = messageIds(mail.references);
  const inReplyTo = messageIds(mail.inReplyTo);
  const replyTo = mail.replyTo?.value.find((a) => a.address)?.address?.toLowerCase();
  const to = addresses(mail.to);
  const cc = addresses(mail.cc);
  const written = ownPart(text);
  const inns = event.kind === 'received' ? findInns(written) : [];
  const meta: Record<string, unknown> = {
    email: {
      messageId: externalId,
      ...(inReplyTo[0] ? { inReplyTo: inReplyTo[0] } : {}),
      ...(references.length > 0 ? { references } : {}),
      ...(from ? { from } : {}),
      ...(replyTo && replyTo !== from ? { replyTo } : {}),
      to,
      ...(cc.length > 0 ? { cc } : {}),
      // The web app renders the HTML part (sanitized) from the raw message; plain mail shows its text.
      html: typeof mail.html === 'string' && mail.html.trim() !== '',
      ...(event.kind === 'received'
        ? { folder: event.folder, uid: event.uid, uidValidity: event.uidValidity }
        : { sentBy: event.actor }),
    },
    ...(attachments.length > 0 ? { attachments } : {}),
    ...(inns.length > 0 ? { inn: inns } : {}),
    ...(malformed.length > 0 ? { malformed } : {}),
  };

  const base = {
    kind: 'message' as const,
    channel: 'email' as const,
    account,
    externalId,
    ...(subject ? { subject } : {}),
    ...(text ? { text } : {}),
    meta,
  };
  let comm: InboundCommunication;
  if (event.kind === 'received') {
    const identities: RawIdentity[] = [];
    if (from) identities.push({ kind: 'email', value: from });
    if (replyTo && replyTo !== from) identities.push({ kind: 'email', value: replyTo });
    const name = mail.from?.value.find((a) => a.address)?.name?.trim();
    comm = {
      ...base,
      direction: 'in',
      occurredAt: new Date(event.internalDate ?? validDate(mail.date) ?? event.receivedAt),
      party: {
        ...(name ? { name } : {}),
        identities,
        hints: findPhones(written).map((value): RawIdentity => ({ kind: 'phone', value })),
      },
      threadKey: threadKeyOf(externalId, references, inReplyTo),
    };
  } else {
    comm = {
      ...base,
      direction: 'out',
      occurredAt: new Date(event.sentAt),
      party: { identities: to.map((value): RawIdentity => ({ kind: 'email', value })), hints: [] },
      threadKey: event.threadKey,
    };
  }
  return { ok: true, communications: [comm] };
}

function addresses(field: AddressObject | AddressObject[] | undefined): string[] {
  const list = Array.isArray(field) ? field : field ? [field] : [];
  return list
    .flatMap((o) => o.value.flatMap((a) => [a, ...(a.group ?? [])]))
    .map((a) => a.address?.toLowerCase())
    .filter((a): a is string => !!a);
}

function validDate(d: Date | undefined): string | undefined {
  return d && !Number.isNaN(d.getTime()) ? d.toISOString() : undefined;
}
