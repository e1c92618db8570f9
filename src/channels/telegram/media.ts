import type { MediaSource } from '../messenger/media.js';
import { ProviderError } from '../messenger/provider-error.js';
import { telegramFailure } from './api.js';
import type { TelegramBot } from './ingest.js';

const KIND: Record<string, string> = { photo: 'photo', document: 'file', voice: 'voice' };

/**
 * Telegram's attachments for the shared media worker: the stored `fileId` is exchanged for a `file_path` with
 * getFile when the file is copied (the download link lives one hour), and the link, which carries the bot token,
 * is built then and never stored. The Bot API serves files up to 20 MB; a bigger one is refused by getFile.
 */
export function telegramMedia(bots: ReadonlyMap<string, TelegramBot>): MediaSource {
  return {
    settings: (account) => bots.get(account)?.account.media,
    attachments: (meta) => (meta.telegram as { attachments?: unknown } | undefined)?.attachments,
    pick(a) {
      const kind = typeof a.type === 'string' ? KIND[a.type] : undefined;
      if (!kind || typeof a.fileId !== 'string') return undefined;
      return { kind, ref: a.fileId, name: typeof a.name === 'string' ? a.name : undefined };
    },
    async request(item) {
      const bot = bots.get(item.account);
      if (!bot || !item.ref) throw new ProviderError('Telegram', 'no file id to fetch', { retryable: false });
      let path: string | undefined;
      try {
        path = (await bot.api.getFile(item.ref)).file_path;
      } catch (err) {
        const f = telegramFailure(err);
        throw new ProviderError('Telegram', `getFile: ${f.description}`, {
          retryable: f.code === undefined || f.code === 429 || f.code >= 500,
          ...(f.code !== undefined ? { status: f.code } : {}),
        });
      }
      if (!path) throw new ProviderError('Telegram', 'getFile gave no file_path', { retryable: false });
      const root = bot.account.apiRoot.replace(/\/+$/, '');
      return { url: `${root}/file/bot${bot.account.token}/${path}` };
    },
  };
}
