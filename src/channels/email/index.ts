import { type ChannelContext, type ChannelModule, defineChannel } from '../channel.js';
import { emailConfigSchema } from './config.js';
import { createConfiguredEmailSource, createEmailChannel } from './email-channel.js';

/**
 * Email: IMAP folder watchers store each message's raw bytes before they move the folder's cursor;
 * mailparser normalizes them (skip rules for auto-replies, bounces, our own mail); replies go out by SMTP
 * in the thread. See docs/email.md.
 */
export const emailChannel = defineChannel({
  name: 'email',
  config: { key: 'email', schema: emailConfigSchema },
  create(ctx: ChannelContext): ChannelModule {
    const source = createConfiguredEmailSource(ctx.config, ctx.dataDir);
    const email = createEmailChannel({
      sql: ctx.sql,
      processor: ctx.processor,
      config: ctx.config,
      log: ctx.log,
      clock: ctx.clock,
      metrics: ctx.metrics,
      ...(ctx.embedded && ctx.dataDir ? { spillDir: ctx.dataDir } : {}),
    });
    return {
      name: 'email',
      normalize: source.normalize,
      replier: {
        channel: 'email',
        send: email.replies.send,
        readiness(account) {
          const mb = ctx.config.email.mailboxes.find((m) => m.label === account);
          if (!mb) return { ok: false, reason: 'account_unknown' };
          return mb.smtp ? { ok: true } : { ok: false, reason: 'send_not_configured' };
        },
      },
      // Without mailboxes there is nothing to run (and nothing to report in /readyz).
      ...(ctx.config.email.mailboxes.length > 0
        ? { transport: { start: email.start, stop: email.stop, status: email.status } }
        : {}),
    };
  },
});
