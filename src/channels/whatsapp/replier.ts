import type { Clock } from '../../core/clock.js';
import { UnprocessableError } from '../../core/errors.js';
import type { ConversationReplier, SentReply } from '../channel.js';
import type { GatewayAccount } from './config.js';
import type { GreenApiClient } from './green-api.js';
import { chatIdOfThread, greenExternalId } from './normalize.js';
import type { WebSupervisor } from './web-transport.js';

/**
 * A manager's reply goes out through the account the conversation came in on, to its chat: the account's
 * whatsapp-web.js client, or Green-API's `sendMessage`. The record of the sent message has the transport's own
 * shape (a library Message / an `outgoingAPIMessageReceived` notification), so `normalize` reads it as ours and
 * the echo the transport delivers later is a duplicate of it.
 */
export function createWhatsappReplier(deps: {
  clock: Clock;
  web: ReadonlyMap<string, WebSupervisor>;
  gateway: ReadonlyMap<string, { config: GatewayAccount; client: GreenApiClient }>;
}): ConversationReplier {
  return {
    async send(conversation, request): Promise<SentReply> {
      const chatId = chatIdOfThread(conversation.threadKey);
      if (!chatId) throw new UnprocessableError('this conversation has no WhatsApp chat to answer');
      const account = conversation.account;
      const web = deps.web.get(account);
      if (web) {
        const message = await web.send(chatId, request.text);
        return {
          externalId: message.id._serialized,
          record: { payload: { transport: 'web', account, message } },
        };
      }
      const gateway = deps.gateway.get(account);
      if (gateway) {
        const idMessage = await gateway.client.sendMessage(chatId, request.text);
        const notification = {
          typeWebhook: 'outgoingAPIMessageReceived',
          instanceData: { idInstance: Number(gateway.config.idInstance), wid: '', typeInstance: 'whatsapp' },
          timestamp: Math.floor(deps.clock().getTime() / 1000),
          idMessage,
          senderData: { chatId },
          messageData: { typeMessage: 'textMessage', textMessageData: { textMessage: request.text } },
          /** Recorded by Switchboard from the send, not delivered by Green-API. */
          recordedFrom: 'sendMessage',
        };
        return {
          externalId: greenExternalId(chatId, idMessage),
          record: { payload: { transport: 'gateway', account, notification } },
        };
      }
      throw new UnprocessableError(`WhatsApp account "${account}" is not configured`);
    },
  };
}
