import { Counter, Gauge, type Registry } from 'prom-client';

/** Email channel metrics, on the daemon's registry. Labels carry mailbox labels and folders, never addresses. */
export function createEmailMetrics(registry: Registry) {
  return {
    up: new Gauge({
      name: 'switchboard_email_folder_up',
      help: 'Whether the IMAP connection of a watched folder is established (1) or failing (0)',
      labelNames: ['mailbox', 'folder'] as const,
      registers: [registry],
    }),
    connectionFailures: new Counter({
      name: 'switchboard_email_connection_failures_total',
      help: 'IMAP connection failures of a watched folder, by kind (auth: wrong credentials, network, protocol)',
      labelNames: ['mailbox', 'folder', 'kind'] as const,
      registers: [registry],
    }),
    fetched: new Counter({
      name: 'switchboard_email_messages_total',
      help: 'Messages fetched over IMAP, by outcome (stored; duplicate: same Message-ID already stored)',
      labelNames: ['mailbox', 'folder', 'outcome'] as const,
      registers: [registry],
    }),
    uidValidityResets: new Counter({
      name: 'switchboard_email_uidvalidity_resets_total',
      help: 'Folders the server rebuilt (UIDVALIDITY changed): resynced with Message-ID dedup',
      labelNames: ['mailbox', 'folder'] as const,
      registers: [registry],
    }),
    sent: new Counter({
      name: 'switchboard_email_replies_total',
      help: 'Replies sent by SMTP from conversations, by outcome (sent, failed)',
      labelNames: ['mailbox', 'outcome'] as const,
      registers: [registry],
    }),
  };
}

export type EmailMetrics = ReturnType<typeof createEmailMetrics>;
