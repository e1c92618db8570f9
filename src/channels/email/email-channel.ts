import path from 'node:path';
import type { Sql } from 'postgres';
import type { Config } from '../../config/schema.js';
import type { Clock } from '../../core/clock.js';
import type { Processor } from '../../ingest/processor.js';
import type { Logger } from '../../observability/logger.js';
import type { Metrics } from '../../observability/metrics.js';
import type { InboundSource } from '../channel.js';
import { createAttachmentStore } from './attachments.js';
import { createSenderPolicy } from './classify.js';
import { createFolderWatcher, type FolderStatus } from './folder-watcher.js';
import { createEmailMetrics } from './metrics.js';
import { createEmailSource } from './normalize.js';
import { createEmailReplies } from './replies.js';

const SPILL_OVER_BYTES = 2 * 1024 * 1024;

/** The configured email source (our addresses, blocklist, attachment storage) for the processor. */
export function createConfiguredEmailSource(config: Config, dataDir?: string): InboundSource {
  return createEmailSource({
    senders: createSenderPolicy({
      companyEmails: config.company.emails,
      companyDomains: config.company.domains,
      email: config.email,
    }),
    ...(dataDir ? { dataDir: path.resolve(dataDir) } : {}),
    attachments: createAttachmentStore({
      ...(dataDir ? { dataDir: path.resolve(dataDir) } : {}),
      maxBytes: config.email.attachments.maxBytes,
    }),
  });
}

export interface EmailChannelOptions {
  sql: Sql;
  processor: Processor;
  config: Config;
  log: Logger;
  clock: Clock;
  metrics: Metrics;
  /** Keep raw messages over 2 MB as files here instead of in the database (the embedded database). */
  spillDir?: string;
}

/**
 * Every configured mailbox: one supervised watcher per folder, and SMTP replies. A failing mailbox
 * (wrong password, server down) is reported in status()/metrics/logs and retried; the others keep working.
 */
export function createEmailChannel(opts: EmailChannelOptions) {
  const emailMetrics = createEmailMetrics(opts.metrics.registry);
  const { email } = opts.config;
  const log = opts.log.child({ channel: 'email' });
  const watchers = email.mailboxes.flatMap((mailbox) =>
    mailbox.folders.map((folder) => ({
      mailbox: mailbox.label,
      folder,
      watcher: createFolderWatcher({
        sql: opts.sql,
        processor: opts.processor,
        log,
        clock: opts.clock,
        metrics: emailMetrics,
        mailbox,
        folder,
        syncIntervalMs: email.syncIntervalMs,
        idleRestartMs: email.idleRestartMs,
        reconnect: email.reconnect,
        ...(opts.spillDir
          ? { spill: { dataDir: path.resolve(opts.spillDir), overBytes: SPILL_OVER_BYTES } }
          : {}),
      }),
    })),
  );
  const replies = createEmailReplies({
    sql: opts.sql,
    config: email,
    log,
    clock: opts.clock,
    metrics: emailMetrics,
  });

  return {
    replies,
    /** Starts every watcher; connections are made in the background and never fail the start. */
    start(): void {
      for (const w of watchers) w.watcher.start();
      if (watchers.length > 0) log.info({ folders: watchers.length }, 'email watchers started');
    },
    async stop(): Promise<void> {
      await Promise.all(watchers.map((w) => w.watcher.stop()));
    },
    /** Per mailbox and folder, for /readyz. */
    status(): Record<string, Record<string, FolderStatus>> {
      const out: Record<string, Record<string, FolderStatus>> = {};
      for (const w of watchers) out[w.mailbox] = { ...out[w.mailbox], [w.folder]: w.watcher.status() };
      return out;
    },
  };
}

export type EmailChannel = ReturnType<typeof createEmailChannel>;
