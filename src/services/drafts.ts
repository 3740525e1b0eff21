import type { Db } from '../db/client.ts';
import type { HotPath } from '../db/hot.ts';
import { DRAFT_TTL_HOURS } from '../domain/draft.ts';
import { HOUR_MS, type Clock } from '../domain/time.ts';

export type Flow = 'report' | 'prompt';

/**
 * Conversations in progress, kept in the database so that a restart in the middle of one
 * loses nothing. Abandoned ones are dropped after DRAFT_TTL_HOURS.
 */
export class DraftService {
  constructor(private readonly deps: { db: Db; hot: HotPath; clock: Clock }) {}

  // Read and written on most updates: on the hot path.
  async get<T>(userId: number, flow: Flow): Promise<T | null> {
    const data = await this.deps.hot.draftData(userId, flow, this.deps.clock.now().getTime());
    return data === undefined ? null : (JSON.parse(data) as T);
  }

  /** The flow a typed message belongs to: the one touched last, if any. */
  async active(userId: number): Promise<Flow | null> {
    return ((await this.deps.hot.activeFlow(userId, this.deps.clock.now().getTime())) as Flow | undefined) ?? null;
  }

  async save<T>(userId: number, flow: Flow, data: T): Promise<void> {
    const now = this.deps.clock.now().getTime();
    await this.deps.hot.saveDraft(userId, flow, JSON.stringify(data), now, now + DRAFT_TTL_HOURS * HOUR_MS);
  }

  async clear(userId: number, flow?: Flow): Promise<number> {
    return this.deps.hot.clearDrafts(userId, flow);
  }

  /** Drops drafts abandoned for longer than their time to live. */
  async expire(now: Date): Promise<number> {
    const { count } = await this.deps.db.draft.deleteMany({ where: { expiresAt: { lte: now } } });
    return count;
  }
}
