import type { Transporter } from 'nodemailer';
import { DeliveryError } from '../../core/delivery-error.js';

export interface EmailSenderOptions {
  host: string;
  port: number;
  secure: boolean;
  user?: string | undefined;
  password?: string | undefined;
  from: string;
  timeoutMs: number;
}

/**
 * SMTP through nodemailer. The Message-ID is derived from the delivery id, so a message resent after a
 * crash between the server's 250 and our confirmation carries the same id (mail clients and many servers
 * collapse such duplicates). A 5xx reply is permanent; 4xx and network errors are retried.
 */
export function createEmailSender(opts: EmailSenderOptions) {
  // nodemailer is loaded at the first alert: a daemon that never sends one never pays for it.
  let transport: Promise<Transporter> | undefined;
  const transportOf = () =>
    (transport ??= import('nodemailer').then(({ default: nodemailer }) =>
      nodemailer.createTransport({
        host: opts.host,
        port: opts.port,
        secure: opts.secure,
        ...(opts.user ? { auth: { user: opts.user, pass: opts.password ?? '' } } : {}),
        connectionTimeout: opts.timeoutMs,
        greetingTimeout: opts.timeoutMs,
        socketTimeout: opts.timeoutMs,
      }),
    ));
  return {
    async send(m: {
      to: string;
      subject: string;
      text: string;
      deliveryId: string;
      leadId: string;
    }): Promise<void> {
      try {
        await (await transportOf()).sendMail({
          from: opts.from,
          to: m.to,
          subject: m.subject,
          text: m.text,
          messageId: `<sla-${m.deliveryId}@switchboard>`,
          headers: { 'X-Switchboard-Lead': m.leadId },
        });
      } catch (err) {
        const e = err as { responseCode?: number; code?: string; message?: string };
        const permanent = e.responseCode !== undefined && e.responseCode >= 500;
        throw new DeliveryError(
          `email: ${e.responseCode ?? e.code ?? 'error'} ${(e.message ?? '').slice(0, 200)}`,
          { retryable: !permanent, cause: err },
        );
      }
    },
    close(): void {
      void transport?.then((t) => t.close());
    },
  };
}

export type EmailSender = ReturnType<typeof createEmailSender>;
