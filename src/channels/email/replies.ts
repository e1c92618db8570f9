import { randomUUID } from 'node:crypto';
import type { Transporter } from 'nodemailer';
import type { Sql } from 'postgres';
import type { Clock } from '../../core/clock.js';
import { SwitchboardError, UnprocessableError } from '../../core/errors.js';
import { lastInboundMessage } from '../../db/repos/conversation-reads.js';
import type { Logger } from '../../observability/logger.js';
import type { ConversationReplier } from '../channel.js';
import type { EmailConfig, MailboxConfig } from './config.js';
import type { EmailMetrics } from './metrics.js';
import type { EmailEvent } from './payload.js';

export interface EmailRepliesOptions {
  sql: Sql;
  config: EmailConfig;
  log: Logger;
  clock: Clock;
  metrics: EmailMetrics;
}

interface InboundEmailMeta {
  messageId?: string;
  references?: string[];
  from?: string;
  replyTo?: string;
}

// Keep References short like mail clients do: the root plus the latest ids.
const MAX_REFERENCES = 20;

/**
 * Replies by SMTP from the conversation's mailbox: From is the mailbox address, To the client's Reply-To
 * (or From), In-Reply-To/References continue the thread and Subject is "Re: …". The exact bytes sent are
 * returned to the reply ledger, which stores them as an inbound event (kind `sent`) processed into an
 * outbound message; when the server later
 * shows a copy over IMAP (Sent folder, self-CC), its Message-ID is already stored and it is not taken in.
 */
export function createEmailReplies(opts: EmailRepliesOptions): ConversationReplier {
  const transports = new Map<string, Transporter>();
  const transportFor = async (mb: MailboxConfig & { smtp: NonNullable<MailboxConfig['smtp']> }) => {
    let t = transports.get(mb.label);
    if (!t) {
      const { default: nodemailer } = await import('nodemailer');
      const user = mb.smtp.user ?? mb.user;
      const pass = mb.smtp.password ?? mb.password;
      t = nodemailer.createTransport({
        host: mb.smtp.host,
        port: mb.smtp.port,
        secure: mb.smtp.tls === 'implicit',
        requireTLS: mb.smtp.tls === 'starttls',
        ignoreTLS: mb.smtp.tls === 'none',
        auth: { user, pass },
        connectionTimeout: 30_000,
        greetingTimeout: 15_000,
        socketTimeout: 60_000,
      });
      transports.set(mb.label, t);
    }
    return t;
  };

  return {
    async send(conversation, request) {
      const mb = opts.config.mailboxes.find((m) => m.label === conversation.account);
      if (!mb) throw new UnprocessableError(`mailbox "${conversation.account}" is not configured`);
      if (!mb.smtp) throw new UnprocessableError(`mailbox "${mb.label}" has no SMTP settings: cannot reply`);
      if (request.document) throw new UnprocessableError('email replies do not carry documents');
      const smtpMb = { ...mb, smtp: mb.smtp };
      const last = await lastInboundMessage(opts.sql, conversation.id);
      const email = (last?.meta?.email ?? {}) as InboundEmailMeta;
      const to = email.replyTo ?? email.from;
      if (!last || !to) throw new UnprocessableError('the conversation has no client message to reply to');

      const domain = mb.address.slice(mb.address.lastIndexOf('@') + 1);
      const messageId = `<${randomUUID()}@${domain}>`;
      const root = conversation.threadKey.startsWith('<') ? [conversation.threadKey] : [];
      const chain = [
        ...new Set([...root, ...(email.references ?? []), ...(email.messageId ? [email.messageId] : [])]),
      ];
      const references =
        chain.length > MAX_REFERENCES ? [chain[0]!, ...chain.slice(-(MAX_REFERENCES - 1))] : chain;
      const subject = request.subject ?? replySubject(conversation.subject ?? last.subject ?? '');
      const sentAt = opts.clock();
      // nodemailer is loaded at the first reply: a daemon without email never pays for it.
      const { default: MailComposer } = await import('nodemailer/lib/mail-composer/index.js');
      const raw = await new MailComposer({
        from: { name: mb.fromName ?? '', address: mb.address },
        to,
        subject,
        text: request.text,
        messageId,
        date: sentAt,
        ...(email.messageId ? { inReplyTo: email.messageId } : {}),
        ...(references.length > 0 ? { references } : {}),
        xMailer: false,
      })
        .compile()
        .build();

      try {
        await (await transportFor(smtpMb)).sendMail({ envelope: { from: mb.address, to: [to] }, raw });
        opts.metrics.sent.inc({ mailbox: mb.label, outcome: 'sent' });
      } catch (err) {
        opts.metrics.sent.inc({ mailbox: mb.label, outcome: 'failed' });
        const failure = smtpFailure(err, mb.smtp.host);
        // The server's text may quote the recipient address: the log gets the codes, the caller the text.
        opts.log.warn(
          { mailbox: mb.label, conversationId: conversation.id, ...(failure.details as object) },
          'reply not sent',
        );
        throw failure;
      }

      const payload: EmailEvent = {
        kind: 'sent',
        mailbox: mb.label,
        conversationId: conversation.id,
        threadKey: conversation.threadKey,
        sentAt: sentAt.toISOString(),
        actor: request.actor,
      };
      // The exact bytes sent are what records the message (normalize reads them as outbound).
      return { externalId: messageId, record: { contentType: 'message/rfc822', payload, raw } };
    },
  };
}

/** "Re: " once, whatever the client's mail program put in front (Re:, RE:, Ответ:, Fwd:). */
export function replySubject(subject: string): string {
  const trimmed = subject.trim();
  if (/^(?:re|ответ|отв)\s*(?:\[\d+\])?\s*:/i.test(trimmed)) return trimmed;
  return trimmed ? `Re: ${trimmed}` : 'Re:';
}

/** A clear, retry-aware error for an SMTP failure: what the server said, or why it could not be reached. */
function smtpFailure(err: unknown, host: string): SwitchboardError {
  const e = err as { code?: string; responseCode?: number; response?: string; message?: string };
  const permanent = typeof e.responseCode === 'number' && e.responseCode >= 500;
  const what = e.responseCode
    ? `the SMTP server ${host} refused the message: ${e.response ?? e.responseCode}`
    : `cannot deliver through the SMTP server ${host}: ${e.message ?? String(err)}`;
  return new SwitchboardError('upstream_failed', what.slice(0, 500), {
    retryable: !permanent,
    details: { smtpCode: e.code ?? null, responseCode: e.responseCode ?? null },
    cause: err,
  });
}
