import type { Sql } from 'postgres';
import { NotFoundError, UnprocessableError } from '../../core/errors.js';
import { getConversation } from '../../db/repos/conversation-reads.js';
import type { ChannelModule, ReplyReadiness } from '../channel.js';
import type { ReplyInput, ReplyLedger, ReplyOutcome } from './ledger.js';

/** Whether a manager can answer on this channel from Switchboard (the API and the web app ask the same). */
export const canReply = (channels: readonly ChannelModule[], channel: string): boolean =>
  channels.some((ch) => ch.replier?.channel === channel);

/** Transport states in which an account is known not to send (WhatsApp's web client while it pairs or restarts). */
const DOWN_STATES = new Set([
  'stopped',
  'connecting',
  'qr_required',
  'authenticated',
  'failed',
  'logged_out',
]);

/**
 * Whether a reply on `channel` from `account` can go out now: the channel has a replier, the account is
 * configured, and its transport does not report it down (`connected: false`, or a down state). The web app
 * asks before offering the reply box; sending still decides for itself.
 */
export function replyReadiness(
  channels: readonly ChannelModule[],
  channel: string,
  account: string,
): ReplyReadiness | { ok: false; reason: 'no_replier' } {
  const ch = channels.find((c) => c.replier?.channel === channel);
  if (!ch?.replier) return { ok: false, reason: 'no_replier' };
  if (ch.replier.readiness) return ch.replier.readiness(account);
  if (!ch.transport) return { ok: true };
  const status = ch.transport.status();
  const entry = status[account] as { connected?: unknown; state?: unknown } | undefined;
  if (!entry) return { ok: false, reason: 'account_unknown' };
  if (entry.connected === false || (typeof entry.state === 'string' && DOWN_STATES.has(entry.state)))
    return { ok: false, reason: 'disconnected' };
  return { ok: true };
}

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
