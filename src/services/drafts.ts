import type { Db } from '../db/client.ts';
import { DRAFT_TTL_HOURS } from '../domain/draft.ts';
import { HOUR_MS, type Clock } from '../domain/time.ts';

export type Flow = 'report' | 'prompt';

/**
 * Conversations in progress, kept in the database so that a restart in the middle of one
 * loses nothing. Abandoned ones are dropped after DRAFT_TTL_HOURS.
 */
export class DraftService {
  constructor(private readonly deps: { db: Db; clock: Clock }) {}

  async get<T>(userId: number, flow: Flow): Promise<T | null> {
    const row = await this.deps.db.draft.findUnique({ where: { userId_flow: { userId, flow } } });
    if (!row || row.expiresAt.getTime() <= this.deps.clock.now().getTime()) return null;
    return JSON.parse(row.data) as T;
  }

  /** The flow a typed message belongs to: the one touched last, if any. */
  async active(userId: number): Promise<Flow | null> {
    const row = await this.deps.db.draft.findFirst({
      where: { userId, expiresAt: { gt: this.deps.clock.now() } },
      orderBy: { updatedAt: 'desc' },
    });
    return row ? (row.flow as Flow) : null;
  }

  async save<T>(userId: number, flow: Flow, data: T): Promise<void> {
    const now = this.deps.clock.now();
    const expiresAt = new Date(now.getTime() + DRAFT_TTL_HOURS * HOUR_MS);
    const json = JSON.stringify(data);
    await this.deps.db.draft.upsert({
      where: { userId_flow: { userId, flow } },
      create: { userId, flow, data: json, updatedAt: now, expiresAt },
      update: { data: json, updatedAt: now, expiresAt },
    });
  }

  async clear(userId: number, flow?: Flow): Promise<number> {
    const { count } = await this.deps.db.draft.deleteMany({ where: flow ? { userId, flow } : { userId } });
    return count;
  }

  /** Drops drafts abandoned for longer than their time to live. */
  async expire(now: Date): Promise<number> {
    const { count } = await this.deps.db.draft.deleteMany({ where: { expiresAt: { lte: now } } });
    return count;
  }
}
