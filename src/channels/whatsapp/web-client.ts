import path from 'node:path';
import type { WebAccount } from './config.js';

/**
 * The part of whatsapp-web.js's `Client` the web transport uses (events qr, authenticated, ready, message,
 * message_create, disconnected, auth_failure, error; sendMessage, getContactLidAndPhone, chat fetch). The real
 * library satisfies it; tests inject an EventEmitter fake shaped like it.
 */
export interface WaClient {
  on(event: 'qr', listener: (qr: string) => void): unknown;
  on(event: 'authenticated' | 'ready', listener: () => void): unknown;
  on(event: 'message' | 'message_create', listener: (message: WaMessage) => void): unknown;
  on(event: 'disconnected', listener: (reason: string) => void): unknown;
  on(event: 'auth_failure', listener: (message: string) => void): unknown;
  on(event: 'error', listener: (error: unknown) => void): unknown;
  removeAllListeners(): unknown;
  initialize(): Promise<void>;
  destroy(): Promise<void>;
  sendMessage(chatId: string, content: string): Promise<WaMessage>;
  getContactLidAndPhone(ids: string[]): Promise<{ lid?: string; pn?: string }[]>;
  getChats(): Promise<WaChat[]>;
}

/** whatsapp-web.js `Message`: the public fields (reference §4.2) and the methods the transport calls. */
export interface WaMessage {
  id: { fromMe: boolean; remote: string; id: string; _serialized: string; participant?: string };
  body: string;
  type: string;
  timestamp: number;
  from: string;
  to: string;
  author?: string;
  fromMe: boolean;
  hasMedia: boolean;
  isStatus: boolean;
  broadcast: boolean;
  isForwarded?: boolean;
  vCards?: string[];
  location?: { latitude: number | string; longitude: number | string; name?: string; address?: string };
  ack?: number;
  deviceType?: string;
  getContact(): Promise<{ number?: string | null; pushname?: string | null; name?: string | null }>;
  downloadMedia(): Promise<{ mimetype: string; data: string; filename?: string | null } | undefined>;
}

export interface WaChat {
  id: { _serialized: string };
  isGroup: boolean;
  /** Unix seconds of the last message. */
  timestamp?: number;
  fetchMessages(options: { limit: number }): Promise<WaMessage[]>;
}

/** Builds the client of one account; `sessionDir` is `<dataDir>/whatsapp/<account>`. */
export type WaClientFactory = (account: WebAccount, sessionDir: string) => Promise<WaClient>;

/** How puppeteer starts the browser: Debian's Chromium, headless, fit for a container without /dev/shm. */
export const puppeteerOptions = (account: Pick<WebAccount, 'headless' | 'executablePath'>) => ({
  headless: account.headless,
  executablePath: account.executablePath,
  args: ['--no-sandbox', '--disable-setuid-sandbox', '--disable-dev-shm-usage'],
});

/**
 * The real whatsapp-web.js client: Debian's Chromium headless (`executablePath`; puppeteer never downloads a
 * browser here), LocalAuth under `<dataDir>/whatsapp/<account>` so a restart keeps the pairing, and WhatsApp
 * Web's version cache next to it. Loaded lazily: a daemon without web accounts never loads puppeteer.
 */
export const realClientFactory: WaClientFactory = async (account, sessionDir) => {
  const wwebjs = (await import('whatsapp-web.js')).default;
  // No cast: the compiler checks that the library's Client satisfies WaClient.
  const client: WaClient = new wwebjs.Client({
    authStrategy: new wwebjs.LocalAuth({ clientId: account.account, dataPath: sessionDir }),
    webVersionCache: { type: 'local', path: path.join(sessionDir, 'web-version-cache') },
    puppeteer: puppeteerOptions(account),
  });
  return client;
};
