import { errorMessage } from '../../core/errors.js';
import type { ChannelContext } from '../channel.js';
import { refuse, unknownAccount, webhookRoute } from '../webhook/route.js';
import { secretEquals } from '../webhook/verify.js';
import type { GatewayAccount } from './config.js';
import type { GreenApiClient } from './green-api.js';
import { saveMedia } from './media.js';
import { greenExternalId } from './normalize.js';
import {
  type GreenNotification,
  greenNotificationSchema,
  isGreenMessage,
  type StoredMedia,
} from './schema.js';

/** What the gateway accounts report in /readyz: the last notification and the instance state it announced. */
export interface GatewayStatus {
  transport: 'gateway';
  lastNotificationAt?: string;
  /** From `stateInstanceChanged` (`authorized`, `notAuthorized`, `blocked`, …). */
  state?: string;
}

/**
 * `POST /webhooks/whatsapp/<account>`: Green-API's notifications. The `Authorization` header carries the
 * instance's `webhookUrlToken` (with or without `Bearer `), checked in constant time. Every notification is
 * stored before the 200 (Green-API retries for 24 h otherwise); a body that is not a notification is kept as
 * rejected and answered 400. Short-lived media URLs are downloaded into the data directory before processing.
 */
export function greenApiWebhook(
  ctx: ChannelContext,
  accounts: ReadonlyMap<string, { config: GatewayAccount; client: GreenApiClient; status: GatewayStatus }>,
) {
  return webhookRoute<{ config: GatewayAccount; client: GreenApiClient; status: GatewayStatus }>({
    method: 'POST',
    path: '',
    verify(req) {
      const account = accounts.get(req.account);
      if (!account) return unknownAccount();
      const given = req.header('authorization')?.replace(/^Bearer\s+/i, '');
      if (!secretEquals(given, account.config.webhookToken))
        return refuse(401, 'wrong webhook token', 'Unauthorized');
      return { ok: true, value: account };
    },
    async handle(req, account) {
      let body: unknown;
      try {
        body = JSON.parse(req.text());
      } catch {
        body = undefined;
      }
      const parsed = body === undefined ? undefined : greenNotificationSchema.safeParse(body);
      if (!parsed?.success) {
        const issue = parsed?.error.issues[0];
        const reason = issue
          ? `not a Green-API notification: ${issue.path.join('.') || 'body'} ${issue.message}`
          : 'not JSON';
        const eventId = await ctx.intake.reject({
          source: 'whatsapp',
          account: req.account,
          ...(body !== undefined && body !== null
            ? { payload: { transport: 'gateway', account: req.account, notification: body } }
            : {}),
          raw: req.body,
          contentType: req.contentType ?? 'application/json',
          reason,
        });
        return { status: 400, json: { error: reason, eventId } };
      }
      const notification = parsed.data;
      const externalId = isGreenMessage(notification)
        ? greenExternalId(notification.senderData.chatId, notification.idMessage)
        : undefined;
      const payload = { transport: 'gateway' as const, account: req.account, notification };
      const eventId = await ctx.intake.accept({
        source: 'whatsapp',
        account: req.account,
        ...(externalId ? { externalId } : {}),
        payload,
      });
      account.status.lastNotificationAt = ctx.clock().toISOString();
      if (
        notification.typeWebhook === 'stateInstanceChanged' &&
        typeof notification.stateInstance === 'string'
      )
        account.status.state = notification.stateInstance;
      try {
        const media = await downloadMedia(ctx, account.client, req.account, notification);
        if (media) await ctx.intake.amend(eventId, { media });
        await ctx.intake.process(eventId);
      } catch (err) {
        // Stored: the replay worker decides it later. Green-API must not redeliver it.
        ctx.log.warn(
          { eventId, account: req.account, err: errorMessage(err) },
          'whatsapp notification stored, processing deferred',
        );
      }
      return { status: 200, json: { ok: true } };
    },
  });
}

/** Green-API's file URLs expire: the file is copied into the data directory (best effort, the error kept). */
async function downloadMedia(
  ctx: ChannelContext,
  client: GreenApiClient,
  account: string,
  n: GreenNotification,
): Promise<StoredMedia | undefined> {
  if (!ctx.dataDir || !isGreenMessage(n)) return undefined;
  const file = n.messageData.fileMessageData;
  if (!file?.downloadUrl) return undefined;
  try {
    const bytes = await client.download(file.downloadUrl);
    return await saveMedia(ctx.dataDir, account, bytes, {
      ...(file.mimeType ? { mimetype: file.mimeType } : {}),
      ...(file.fileName ? { filename: file.fileName } : {}),
    });
  } catch (err) {
    return { error: errorMessage(err).slice(0, 200) };
  }
}
