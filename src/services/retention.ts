import { setImmediate } from 'node:timers/promises';
import type { Db } from '../db/client.ts';
import { FINAL_STATUSES } from '../domain/lifecycle.ts';
import { ERASED_TELEGRAM_ID, retentionCutoffs, type RetentionPolicy } from '../domain/privacy.ts';
import { PrivacyService } from './privacy.ts';

/** Rows handled per transaction: short transactions, so that the bot keeps answering meanwhile. */
const CHUNK = 200;

export interface RetentionCounts {
  /** closed reports whose link to their reporter (and household name and phone) was erased */
  reporterLinks: number;
  /** delivered or given-up outbox messages dropped */
  outbox: number;
  /** remembered update ids dropped */
  updateIds: number;
}

/**
 * Keeps only what the service still needs, as the environment says (RETAIN_* in .env.example):
 * a closed report lets go of its reporter after a while, delivered messages and update ids
 * after a few days. Each report whose link goes records that in its history (never the values).
 * Counts and dates are untouched, so digests and exports give the same figures before and after
 * (tests/services/retention.test.ts).
 */
export class RetentionService {
  private readonly chunk: number;
  constructor(private readonly deps: { db: Db; policy: RetentionPolicy; /** rows per transaction (tests make it small) */ chunk?: number }) {
    this.chunk = deps.chunk ?? CHUNK;
  }

  async run(now: Date): Promise<RetentionCounts> {
    const cut = retentionCutoffs(now, this.deps.policy);
    return { reporterLinks: await this.reporterLinks(now, cut.reporterLink), outbox: await this.outbox(cut.outbox), updateIds: await this.updateIds(cut.updateIds) };
  }

  private async reporterLinks(now: Date, before: Date): Promise<number> {
    const { db } = this.deps;
    const where = (erasedId: number | null) => ({ status: { in: [...FINAL_STATUSES] }, closedAt: { lt: before }, ...(erasedId === null ? {} : { reporterId: { not: erasedId } }) });
    const existing = await db.user.findUnique({ where: { telegramId: BigInt(ERASED_TELEGRAM_ID) }, select: { id: true } });
    // the erased person's row is made only once something is due
    if (!existing && (await db.report.count({ where: where(null) })) === 0) return 0;
    const erasedId = existing?.id ?? (await db.$transaction((tx) => PrivacyService.erasedPerson(tx, now)));
    let total = 0;
    for (;;) {
      const chunk = await db.report.findMany({
        where: where(erasedId),
        select: { id: true, reporterId: true, householdLabel: true, followers: { select: { userId: true } } },
        orderBy: { id: 'asc' },
        take: this.chunk,
      });
      if (chunk.length === 0) return total;
      await db.$transaction(async (tx) => {
        for (const r of chunk) {
          // a cadre who filed for a household keeps their own work on it; the household's part goes
          const people = [...(r.householdLabel === null ? [r.reporterId] : []), ...r.followers.map((f) => f.userId)];
          if (r.householdLabel !== null) await tx.reportEvent.updateMany({ where: { reportId: r.id, actorId: r.reporterId, kind: 'created' }, data: { actorId: erasedId } });
          if (people.length > 0) await tx.reportEvent.updateMany({ where: { reportId: r.id, actorId: { in: people } }, data: { actorId: erasedId } });
          await tx.reportFollower.deleteMany({ where: { reportId: r.id } });
          await tx.report.update({ where: { id: r.id }, data: { reporterId: erasedId, anonymous: true, householdLabel: null, householdPhone: null } });
          await tx.reportEvent.create({ data: { reportId: r.id, kind: 'link_erased', at: now } });
        }
      });
      total += chunk.length;
      await setImmediate();
    }
  }

  private async outbox(before: Date): Promise<number> {
    const where = { OR: [{ status: 'sent', sentAt: { lt: before } }, { status: 'dead', createdAt: { lt: before } }] };
    return this.inChunks(
      () => this.deps.db.outboxMessage.findMany({ where, select: { id: true }, take: this.chunk * 5 }).then((rows) => rows.map((r) => r.id)),
      (ids) => this.deps.db.outboxMessage.deleteMany({ where: { id: { in: ids } } }),
    );
  }

  private async updateIds(before: Date): Promise<number> {
    return this.inChunks(
      () => this.deps.db.processedUpdate.findMany({ where: { at: { lt: before } }, select: { updateId: true }, take: this.chunk * 5 }).then((rows) => rows.map((r) => r.updateId)),
      (ids) => this.deps.db.processedUpdate.deleteMany({ where: { updateId: { in: ids } } }),
    );
  }

  private async inChunks<K>(next: () => Promise<K[]>, drop: (ids: K[]) => Promise<{ count: number }>): Promise<number> {
    let total = 0;
    for (;;) {
      const ids = await next();
      if (ids.length === 0) return total;
      total += (await drop(ids)).count;
      await setImmediate();
    }
  }
}
