import type { Sql } from 'postgres';
import { NotFoundError, UnprocessableError } from '../../core/errors.js';
import { getConversation } from '../../db/repos/conversation-reads.js';
import type { ChannelModule } from '../channel.js';
import type { ReplyInput, ReplyLedger, ReplyOutcome } from './ledger.js';

/** Whether a manager can answer on this channel from Switchboard (the API and the web app ask the same). */
export const canReply = (channels: readonly ChannelModule[], channel: string): boolean =>
  channels.some((ch) => ch.replier?.channel === channel);

/**
 * A manager's reply on a conversation's channel, through the reply ledger: the one service behind
 * POST /api/v1/conversations/{id}/messages and the web app's reply box.
 */
export async function sendReply(
  deps: { sql: Sql; channels: readonly ChannelModule[]; replies: ReplyLedger },
  conversationId: string,
  input: ReplyInput,
): Promise<ReplyOutcome & { conversationId: string }> {
  const conversation = await getConversation(deps.sql, conversationId);
  if (!conversation) throw new NotFoundError('conversation');
  const channel = deps.channels.find((ch) => ch.replier?.channel === conversation.channel);
  if (!channel?.replier)
    throw new UnprocessableError(`replies on the ${conversation.channel} channel are not supported`);
  const outcome = await deps.replies.send(conversation, channel.replier, channel.name, input);
  return { conversationId, ...outcome };
}
