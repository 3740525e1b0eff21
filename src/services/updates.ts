import type { Db } from '../db/client.ts';
import { DAY_MS } from '../domain/time.ts';
import type { HotPath, UpdateClaim } from '../db/hot.ts';

/**
 * Updates already handled. Telegram delivers an update again when its confirmation was lost,
 * so each update id is claimed once; a second delivery is ignored.
 */
export class UpdateLog {
  constructor(private readonly deps: { db: Db; hot: HotPath }) {}

  /** The update to handle, or null when it was handled already; call done() once it is. */
  claim(updateId: number, now: Date): Promise<UpdateClaim | null> {
    return this.deps.hot.claimUpdate(updateId, now.getTime());
  }

  /** Forgets ids older than a week: Telegram keeps unconfirmed updates for at most 24 hours. */
  async prune(now: Date): Promise<number> {
    const { count } = await this.deps.db.processedUpdate.deleteMany({ where: { at: { lt: new Date(now.getTime() - 7 * DAY_MS) } } });
    return count;
  }
}
