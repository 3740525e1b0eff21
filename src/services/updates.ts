import type { Db } from '../db/client.ts';
import { DAY_MS } from '../domain/time.ts';

/**
 * Updates already handled. Telegram delivers an update again when its confirmation was lost,
 * so each update id is claimed once; a second delivery is ignored.
 */
export class UpdateLog {
  constructor(private readonly deps: { db: Db }) {}

  /** True the first time an update id is seen. */
  async claim(updateId: number, now: Date): Promise<boolean> {
    const inserted = await this.deps.db.$executeRaw`INSERT OR IGNORE INTO "ProcessedUpdate" ("updateId", "at") VALUES (${BigInt(updateId)}, ${now.getTime()})`;
    return inserted === 1;
  }

  /** Forgets ids older than a week: Telegram keeps unconfirmed updates for at most 24 hours. */
  async prune(now: Date): Promise<number> {
    const { count } = await this.deps.db.processedUpdate.deleteMany({ where: { at: { lt: new Date(now.getTime() - 7 * DAY_MS) } } });
    return count;
  }
}
