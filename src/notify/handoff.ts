import type { Db } from '../db/client.ts';
import type { Clock } from '../domain/time.ts';
import { owe } from './outbox.ts';
import type { Handoff } from './telegramGate.ts';

/** What the gate and the error boundary hand to the outbox. */
export interface OutboxHandoff {
  /** a direct answer that would wait long (see TelegramGate): delivered by the dispatcher, ahead of bulk rows */
  handoff: Handoff;
  /** one short "what you entered is kept" message per update whose answer could not be delivered */
  keptNotice(chatId: number, html: string, updateId: number): Promise<void>;
}

/** Writes direct answers into the outbox (priority 0, due now) and wakes the dispatcher. */
export function outboxHandoff(db: Db, clock: Clock, wake: () => void): OutboxHandoff {
  return {
    async handoff(chatId, method, params) {
      const now = clock.now();
      await owe(db, [{ chatId, method, params, notBefore: now, priority: 0 }], now);
      wake();
      return true;
    },
    async keptNotice(chatId, html, updateId) {
      const now = clock.now();
      const params = { text: html, parse_mode: 'HTML' };
      await owe(db, [{ chatId, method: 'sendMessage', params, notBefore: now, priority: 0, dedupeKey: `kept:${updateId}` }], now);
      wake();
    },
  };
}
