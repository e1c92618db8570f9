import { z } from 'zod';
import { DeliveryError, networkError, retryableStatus } from '../../core/delivery-error.js';

/** Bot API answer envelope (https://core.telegram.org/bots/api#making-requests). */
export const telegramResponseSchema = z.union([
  z.looseObject({ ok: z.literal(true), result: z.looseObject({ message_id: z.number().int() }) }),
  z.looseObject({
    ok: z.literal(false),
    error_code: z.number().int(),
    description: z.string(),
    parameters: z.looseObject({ retry_after: z.number().optional() }).optional(),
  }),
]);

export interface TelegramSenderOptions {
  token: string;
  apiRoot: string;
  timeoutMs: number;
  fetch?: typeof fetch;
}

/**
 * Plain Bot API `sendMessage` calls (no framework: one method is all alerts need). Plain text, no parse
 * mode, so nothing in a client's name can break the markup. 429 honours `retry_after`.
 */
export function createTelegramSender(opts: TelegramSenderOptions) {
  const doFetch = opts.fetch ?? fetch;
  const url = `${opts.apiRoot.replace(/\/+$/, '')}/bot${opts.token}/sendMessage`;
  return {
    async send(chatId: string | number, text: string): Promise<{ messageId: number }> {
      let res: Response;
      try {
        res = await doFetch(url, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ chat_id: chatId, text, link_preview_options: { is_disabled: true } }),
          signal: AbortSignal.timeout(opts.timeoutMs),
        });
      } catch (err) {
        throw networkError('telegram', err);
      }
      const raw = await res.text().catch(() => '');
      let body: z.infer<typeof telegramResponseSchema> | undefined;
      try {
        const parsed = telegramResponseSchema.safeParse(JSON.parse(raw));
        if (parsed.success) body = parsed.data;
      } catch {}
      if (res.ok && body?.ok) return { messageId: body.result.message_id };
      const code = body && !body.ok ? body.error_code : res.status;
      const description = body && !body.ok ? body.description : `HTTP ${res.status}`;
      const retryAfter = body && !body.ok ? body.parameters?.retry_after : undefined;
      throw new DeliveryError(`telegram: ${code} ${description}`, {
        retryable: retryableStatus(code) || retryableStatus(res.status),
        ...(retryAfter !== undefined ? { retryAfterMs: retryAfter * 1000 } : {}),
      });
    },
  };
}

export type TelegramSender = ReturnType<typeof createTelegramSender>;
