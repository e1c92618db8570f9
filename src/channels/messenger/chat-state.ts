import type { Sql } from 'postgres';
import type { Clock } from '../../core/clock.js';

/** What a messenger transport remembers about one chat of one bot (`messenger_chats`). */
export interface ChatState {
  blockedAt: Date | null;
  /** Why replies are refused ("the client blocked the bot"); no personal data. */
  blockedReason: string | null;
  phoneRequestedAt: Date | null;
}

/** The chat state of one messenger channel: blocked by the client, phone asked for. */
export function createChatStates(sql: Sql, clock: Clock, channel: string) {
  return {
    async get(account: string, chatId: string): Promise<ChatState | undefined> {
      const [row] = await sql<ChatState[]>`
        SELECT blocked_at, blocked_reason, phone_requested_at FROM messenger_chats
        WHERE channel = ${channel} AND account = ${account} AND chat_id = ${chatId}`;
      return row;
    },
    /** Records that the client blocked (reason) or unblocked (null) the bot. */
    async setBlocked(account: string, chatId: string, reason: string | null): Promise<void> {
      const now = clock();
      await sql`
        INSERT INTO messenger_chats (channel, account, chat_id, blocked_at, blocked_reason, updated_at)
        VALUES (${channel}, ${account}, ${chatId}, ${reason ? now : null}, ${reason}, ${now})
        ON CONFLICT (channel, account, chat_id) DO UPDATE SET
          blocked_at = excluded.blocked_at, blocked_reason = excluded.blocked_reason, updated_at = excluded.updated_at`;
    },
    /**
     * Records the provider's own event at `at` (Viber `unsubscribed` -> a reason; `subscribed`, a message -> null),
     * unless a newer one was recorded already: callbacks retried out of order never undo a later state.
     */
    async setBlockedAsOf(account: string, chatId: string, reason: string | null, at: Date): Promise<void> {
      await sql`
        INSERT INTO messenger_chats (channel, account, chat_id, blocked_at, blocked_reason, state_changed_at,
                                     updated_at)
        VALUES (${channel}, ${account}, ${chatId}, ${reason ? at : null}, ${reason}, ${at}, ${clock()})
        ON CONFLICT (channel, account, chat_id) DO UPDATE SET
          blocked_at = excluded.blocked_at, blocked_reason = excluded.blocked_reason,
          state_changed_at = excluded.state_changed_at, updated_at = excluded.updated_at
        WHERE messenger_chats.state_changed_at IS NULL OR messenger_chats.state_changed_at <= excluded.state_changed_at`;
    },
    /** True exactly once per chat: the caller asks the client for the phone number now. */
    async claimPhoneRequest(account: string, chatId: string): Promise<boolean> {
      const now = clock();
      const rows = await sql`
        INSERT INTO messenger_chats (channel, account, chat_id, phone_requested_at, updated_at)
        VALUES (${channel}, ${account}, ${chatId}, ${now}, ${now})
        ON CONFLICT (channel, account, chat_id) DO UPDATE SET phone_requested_at = excluded.phone_requested_at,
          updated_at = excluded.updated_at
        WHERE messenger_chats.phone_requested_at IS NULL
        RETURNING chat_id`;
      return rows.length > 0;
    },
  };
}

export type ChatStates = ReturnType<typeof createChatStates>;
