import { EventEmitter } from 'node:events';
import type { WaChat, WaClient, WaMessage } from '../../src/channels/whatsapp/web-client.js';
import type { Schedule } from '../../src/channels/whatsapp/web-transport.js';

type Contact = { number?: string | null; pushname?: string | null; name?: string | null };

/**
 * A stand-in for whatsapp-web.js's Client (no real WhatsApp is reachable from tests): an EventEmitter with the
 * methods the web transport calls. The test drives it by emitting the library's events.
 */
export class FakeWaClient extends EventEmitter implements WaClient {
  initialized = 0;
  destroyed = 0;
  sent: { chatId: string; content: string; message: WaMessage }[] = [];
  failInitialize: Error | undefined;
  failSend: Error | undefined;
  constructor(readonly world: FakeWorld) {
    super();
  }
  async initialize() {
    this.initialized++;
    if (this.failInitialize) throw this.failInitialize;
  }
  async destroy() {
    this.destroyed++;
  }
  async sendMessage(chatId: string, content: string): Promise<WaMessage> {
    if (this.failSend) throw this.failSend;
    const id = `3EB0${String(++this.world.seq).padStart(16, '0')}`;
    const message = waMessage({
      id: { fromMe: true, remote: chatId, id, _serialized: `true_${chatId}_${id}` },
      body: content,
      type: 'chat',
      timestamp: Math.floor(this.world.now() / 1000),
      from: '79990001122@c.us',
      to: chatId,
      fromMe: true,
    });
    this.sent.push({ chatId, content, message });
    return message;
  }
  async getContactLidAndPhone(ids: string[]) {
    return ids.map((id) => this.world.lids.get(id) ?? { lid: undefined, pn: undefined });
  }
  async getChats(): Promise<WaChat[]> {
    return this.world.chats;
  }
}

export interface FakeWorld {
  clients: FakeWaClient[];
  /** `getContactLidAndPhone` answers: chat id -> the pair WhatsApp knows. */
  lids: Map<string, { lid?: string; pn?: string }>;
  chats: WaChat[];
  timers: { run: () => void; ms: number; cancelled: boolean }[];
  schedule: Schedule;
  seq: number;
  now: () => number;
  /** What the next factory call does: build a client (default) or throw. */
  factoryError: Error | undefined;
  current(): FakeWaClient;
}

export function fakeWorld(now: () => number): FakeWorld {
  const world: FakeWorld = {
    clients: [],
    lids: new Map(),
    chats: [],
    timers: [],
    schedule: (run, ms) => {
      const timer = { run, ms, cancelled: false };
      world.timers.push(timer);
      return () => {
        timer.cancelled = true;
      };
    },
    seq: 0,
    now,
    factoryError: undefined,
    current: () => {
      const c = world.clients.at(-1);
      if (!c) throw new Error('no client was built');
      return c;
    },
  };
  return world;
}

export const fakeFactory = (world: FakeWorld) => async () => {
  if (world.factoryError) throw world.factoryError;
  const c = new FakeWaClient(world);
  world.clients.push(c);
  return c;
};

/** A library Message from a plain record (a fixture), with the methods the transport calls. */
export function waMessage(
  record: Partial<WaMessage> | Record<string, unknown>,
  opts: { contact?: Contact; media?: { mimetype: string; data: string; filename?: string } } = {},
): WaMessage {
  return {
    body: '',
    hasMedia: false,
    isStatus: false,
    broadcast: false,
    vCards: [],
    ...(record as Pick<WaMessage, 'id' | 'type' | 'timestamp' | 'from' | 'to' | 'fromMe'>),
    getContact: async () => opts.contact ?? {},
    downloadMedia: async () => opts.media,
  };
}

export function fakeChat(id: string, messages: WaMessage[]): WaChat {
  return {
    id: { _serialized: id },
    isGroup: id.endsWith('@g.us'),
    timestamp: Math.max(...messages.map((m) => m.timestamp)),
    fetchMessages: async ({ limit }) => messages.slice(-limit),
  };
}
