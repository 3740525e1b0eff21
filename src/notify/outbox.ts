import type { Tx } from '../db/client.ts';

/** Bot API methods the outbox may call. */
export type OutboxMethod =
  | 'sendMessage' | 'sendPhoto' | 'sendVoice' | 'sendLocation' | 'sendMediaGroup' | 'sendDocument'
  // direct answers handed over by the gate when Telegram makes them wait long (telegramGate.ts)
  | 'editMessageText' | 'editMessageCaption' | 'editMessageReplyMarkup';

/** A message the bot owes someone, in Bot API terms (text already translated and escaped). */
export interface OwedMessage {
  chatId: number;
  method: OutboxMethod;
  /** Bot API parameters without chat_id */
  params: Record<string, unknown>;
  /** not before this time (quiet hours) */
  notBefore: Date;
  /** 0 = interactive consequence of someone's action; 1 = bulk (reminders, digests) */
  priority?: number;
  /** a job sends the same thing for the same moment once */
  dedupeKey?: string;
}

/** The payload column: the method and its parameters. */
export interface OutboxPayload {
  method: OutboxMethod;
  params: Record<string, unknown>;
}

/**
 * Writes owed messages in the caller's transaction, so that the change and the messages it
 * causes are committed together (or not at all). A message whose dedupeKey is already in the
 * outbox is skipped: that is what makes a job safe to run twice. Returns how many were new.
 */
export async function owe(tx: Tx, messages: readonly OwedMessage[], now: Date): Promise<number> {
  let written = 0;
  for (const m of messages) {
    const payload: OutboxPayload = { method: m.method, params: m.params };
    written += await tx.$executeRaw`
      INSERT INTO "OutboxMessage" ("chatId", "payload", "status", "priority", "attempts", "notBefore", "createdAt", "dedupeKey")
      VALUES (${BigInt(m.chatId)}, ${JSON.stringify(payload)}, 'pending', ${m.priority ?? 0}, 0, ${m.notBefore}, ${now}, ${m.dedupeKey ?? null})
      ON CONFLICT DO NOTHING`;
  }
  return written;
}
