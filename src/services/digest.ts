import { setImmediate } from 'node:timers/promises';
import { engineOf, type Db } from '../db/client.ts';
import { dialect, type SqlDialect } from '../db/sql.ts';
import { toUser } from '../db/mappers.ts';
import { OPEN_STATUSES } from '../domain/lifecycle.ts';
import { NOT_TO_RESOLVE, periodBounds, rate, RESPONSE_WINDOW_MS, type Period, type PeriodKind, type Rate } from '../domain/rates.ts';
import { nextSendTime, type QuietHours } from '../domain/schedule.ts';
import { DAY_MS, daysOverdue, type Clock } from '../domain/time.ts';
import { formatDate } from '../i18n/format.ts';
import type { Notices, Recipient } from '../notify/notices.ts';
import { owe, type OwedMessage } from '../notify/outbox.ts';
import type { SettingsService } from './settings.ts';
import { renderDigest, type DigestLookups, type DigestRendering } from '../notify/digestView.ts';
import type { CatalogService } from './catalog.ts';

export interface Counts {
  new: number;
  open: number;
  overdue: number;
  resolved: number;
  closed: number;
}

export interface GroupFigures {
  /** category id, village id (null: no village) or owner id */
  id: number | null;
  new: number;
  open: number;
  overdue: number;
  resolved: number;
  resolution: Rate;
}

/** Everything a digest shows, computed by the database. Never anything about a reporter. */
export interface DigestFigures {
  kind: PeriodKind;
  period: Period;
  previous: Period;
  asOf: Date;
  counts: Counts;
  previousCounts: Counts;
  response: Rate;
  resolution: Rate;
  satisfaction: Rate;
  noAnswer: number;
  medianAcknowledgeMs: number | null;
  medianResolveMs: number | null;
  byCategory: GroupFigures[];
  byVillage: GroupFigures[];
  byOwner: GroupFigures[];
  oldestOverdue: Array<{ number: number; categoryId: number; placeId: number | null; ownerId: number | null; daysOverdue: number }>;
  trend: Array<{ weekStart: Date; created: number; resolved: number }>;
}

const OPEN = OPEN_STATUSES.map((s) => `'${s}'`).join(',');
const EXCLUDED = NOT_TO_RESOLVE.map((s) => `'${s}'`).join(',');
const WEEK_MS = 7 * DAY_MS;
const num = (v: unknown): number => (v === null || v === undefined ? 0 : Number(v));

/**
 * Status digests for leaders: figures by aggregate queries (nothing loads the ledger into
 * memory), rendered in the reader's language with a chart; and the weekly digest.
 */
export class DigestService {
  private readonly sql: SqlDialect;

  constructor(
    private readonly deps: {
      db: Db;
      clock: Clock;
      catalog: CatalogService;
      notices: Notices;
      settings: SettingsService;
      timeZone: string;
      quietHours: QuietHours;
      onOwed: () => void;
    },
  ) {
    this.sql = dialect(engineOf(deps.db));
  }

  private async one(sql: string, ...params: unknown[]): Promise<Record<string, unknown>> {
    return (await this.rows(sql, ...params))[0] ?? {};
  }

  /** Runs SQL written with numbered parameters (?1, ?2 …); instants are passed as Date. */
  private async rows(sql: string, ...params: unknown[]): Promise<Array<Record<string, unknown>>> {
    // on SQLite each query runs synchronously underneath: let the bot answer updates between them
    await setImmediate();
    const [text, args] = this.sql.bind(sql, params);
    return this.deps.db.$queryRawUnsafe<Array<Record<string, unknown>>>(text, ...args);
  }

  /**
   * The only reports that can count in a period starting at S and seen at T: filed, resolved or
   * due since S, or not closed by T. Each arm is an index range, so a digest over a large ledger
   * reads a few thousand rows, not all of them (docs/BENCHMARKS.md, finding 2).
   */
  private static candidates(s: string, t: string): string {
    return `"id" IN (SELECT "id" FROM "Report" WHERE "createdAt" >= ${s} UNION SELECT "id" FROM "Report" WHERE "resolvedAt" >= ${s}
      UNION SELECT "id" FROM "Report" WHERE "dueAt" >= ${s} UNION SELECT "id" FROM "Report" WHERE "closedAt" >= ${t}
      UNION SELECT "id" FROM "Report" WHERE "closedAt" IS NULL)`;
  }

  /** Reports open at instant T: filed before it and neither resolved nor closed by then. */
  private static openAt(t: string): string {
    return `("createdAt" < ${t} AND ("closedAt" IS NULL OR "closedAt" >= ${t}) AND ("resolvedAt" IS NULL OR "resolvedAt" >= ${t}))`;
  }

  private async counts(p: Period, asOf: number): Promise<Counts> {
    const s = p.start;
    const e = p.end;
    const t = new Date(Math.min(e.getTime(), asOf));
    const r = await this.one(
      `SELECT
         SUM(CASE WHEN "createdAt" >= ?1 AND "createdAt" < ?2 THEN 1 ELSE 0 END) AS "new",
         SUM(CASE WHEN ${DigestService.openAt('?3')} THEN 1 ELSE 0 END) AS "open",
         SUM(CASE WHEN ${DigestService.openAt('?3')} AND "dueAt" < ?3 THEN 1 ELSE 0 END) AS "overdue"
       FROM "Report" WHERE "createdAt" < ?3 AND ${DigestService.candidates('?1', '?3')}`,
      s,
      e,
      t,
    );
    const ev = await this.one(
      `SELECT SUM(CASE WHEN "toStatus" = 'resolved' THEN 1 ELSE 0 END) AS "resolved",
              SUM(CASE WHEN "toStatus" = 'closed' THEN 1 ELSE 0 END) AS "closed"
       FROM "ReportEvent" WHERE "toStatus" IN ('resolved', 'closed') AND "at" >= ?1 AND "at" < ?2`,
      s,
      e,
    );
    return { new: num(r.new), open: num(r.open), overdue: num(r.overdue), resolved: num(ev.resolved), closed: num(ev.closed) };
  }

  private async medianOf(column: 'acknowledgedAt' | 'resolvedAt', p: Period): Promise<number | null> {
    const where = `"${column}" >= ?1 AND "${column}" < ?2`;
    const { n } = await this.one(`SELECT COUNT(*) AS "n" FROM "Report" WHERE ${where}`, p.start, p.end);
    const count = num(n);
    if (count === 0) return null;
    const pick = async (offset: number) =>
      num((await this.one(`SELECT ${this.sql.msBetween(`"${column}"`, '"createdAt"')} AS "d" FROM "Report" WHERE ${where} ORDER BY "d" LIMIT 1 OFFSET ?3`, p.start, p.end, offset)).d);
    const mid = Math.floor(count / 2);
    return count % 2 === 1 ? pick(mid) : ((await pick(mid - 1)) + (await pick(mid))) / 2;
  }

  /** Figures grouped by a column: new, open and overdue as of T, resolved in the period, resolution rate. */
  private async grouped(column: 'categoryId' | 'placeId' | 'ownerId', p: Period, asOf: number): Promise<GroupFigures[]> {
    const s = p.start;
    const e = p.end;
    const t = new Date(Math.min(e.getTime(), asOf));
    const rows = await this.rows(
      `SELECT "${column}" AS "id",
         SUM(CASE WHEN "createdAt" >= ?1 AND "createdAt" < ?2 THEN 1 ELSE 0 END) AS "new",
         SUM(CASE WHEN ${DigestService.openAt('?3')} THEN 1 ELSE 0 END) AS "open",
         SUM(CASE WHEN ${DigestService.openAt('?3')} AND "dueAt" < ?3 THEN 1 ELSE 0 END) AS "overdue",
         SUM(CASE WHEN "resolvedAt" >= ?1 AND "resolvedAt" < ?2 THEN 1 ELSE 0 END) AS "resolved",
         SUM(CASE WHEN "dueAt" >= ?1 AND "dueAt" < ?3 AND "status" NOT IN (${EXCLUDED}) THEN 1 ELSE 0 END) AS "due",
         SUM(CASE WHEN "dueAt" >= ?1 AND "dueAt" < ?3 AND "status" NOT IN (${EXCLUDED}) AND "resolvedAt" IS NOT NULL AND "resolvedAt" <= "dueAt" THEN 1 ELSE 0 END) AS "onTime"
       FROM "Report" WHERE "createdAt" < ?3 AND ${DigestService.candidates('?1', '?3')} ${column === 'ownerId' ? 'AND "ownerId" IS NOT NULL' : ''}
       GROUP BY "${column}"`,
      s,
      e,
      t,
    );
    return rows
      .map((r) => ({
        id: r.id === null ? null : num(r.id),
        new: num(r.new),
        open: num(r.open),
        overdue: num(r.overdue),
        resolved: num(r.resolved),
        resolution: rate(num(r.onTime), num(r.due)),
      }))
      .filter((g) => g.new + g.open + g.overdue + g.resolved + g.resolution.denominator > 0);
  }

  /** The figures of a digest for today, this week or this month, as of `now`. */
  async figures(kind: PeriodKind, now: Date = this.deps.clock.now()): Promise<DigestFigures> {
    const { current, previous } = periodBounds(kind, now, this.deps.timeZone);
    const asOf = now.getTime();
    const s = current.start;
    const e = current.end;
    const until = new Date(Math.min(e.getTime(), asOf));
    const { msBetween, instant, periodsSince } = this.sql;
    const [counts, previousCounts] = [await this.counts(current, asOf), await this.counts(previous, asOf)];
    const response = await this.one(
      `SELECT
         SUM(CASE WHEN "acknowledgedAt" IS NOT NULL AND ${msBetween('"acknowledgedAt"', '"createdAt"')} <= ?3 THEN 1 ELSE 0 END) AS "n",
         SUM(CASE WHEN "acknowledgedAt" IS NOT NULL OR ${msBetween(instant(4), '"createdAt"')} >= ?3 THEN 1 ELSE 0 END) AS "d"
       FROM "Report" WHERE "createdAt" >= ?1 AND "createdAt" < ?2`,
      s,
      e,
      RESPONSE_WINDOW_MS,
      now,
    );
    const resolution = await this.one(
      `SELECT SUM(CASE WHEN "resolvedAt" IS NOT NULL AND "resolvedAt" <= "dueAt" THEN 1 ELSE 0 END) AS "n", COUNT(*) AS "d"
       FROM "Report" WHERE "dueAt" >= ?1 AND "dueAt" < ?2 AND "status" NOT IN (${EXCLUDED})`,
      s,
      until,
    );
    const answers = await this.one(
      `SELECT
         SUM(CASE WHEN "toStatus" = 'closed' AND "actorId" IS NOT NULL THEN 1 ELSE 0 END) AS "satisfied",
         SUM(CASE WHEN "toStatus" = 'reopened' THEN 1 ELSE 0 END) AS "notSatisfied",
         SUM(CASE WHEN "toStatus" = 'closed' AND "actorId" IS NULL THEN 1 ELSE 0 END) AS "noAnswer"
       FROM "ReportEvent" WHERE "fromStatus" = 'resolved' AND "toStatus" IN ('closed', 'reopened') AND "at" >= ?1 AND "at" < ?2`,
      s,
      e,
    );
    const oldest = await this.rows(
      `SELECT "number", "categoryId", "placeId", "ownerId", "dueAt" FROM "Report" WHERE "status" IN (${OPEN}) AND "dueAt" < ?1 ORDER BY "dueAt" ASC LIMIT 5`,
      now,
    );
    const trendStart = new Date(periodBounds('week', now, this.deps.timeZone).current.start.getTime() - 7 * WEEK_MS);
    const created = await this.rows(
      `SELECT ${periodsSince('"createdAt"', instant(1), '?2')} AS "w", COUNT(*) AS "n" FROM "Report" WHERE "createdAt" >= ?1 GROUP BY "w"`,
      trendStart,
      WEEK_MS,
    );
    const resolved = await this.rows(
      `SELECT ${periodsSince('"at"', instant(1), '?2')} AS "w", COUNT(*) AS "n" FROM "ReportEvent" WHERE "toStatus" = 'resolved' AND "at" >= ?1 GROUP BY "w"`,
      trendStart,
      WEEK_MS,
    );
    const trend = Array.from({ length: 8 }, (_, w) => ({
      weekStart: new Date(trendStart.getTime() + w * WEEK_MS),
      created: num(created.find((r) => num(r.w) === w)?.n),
      resolved: num(resolved.find((r) => num(r.w) === w)?.n),
    }));
    const satisfied = num(answers.satisfied);
    return {
      kind,
      period: current,
      previous,
      asOf: now,
      counts,
      previousCounts,
      response: rate(num(response.n), num(response.d)),
      resolution: rate(num(resolution.n), num(resolution.d)),
      satisfaction: rate(satisfied, satisfied + num(answers.notSatisfied)),
      noAnswer: num(answers.noAnswer),
      medianAcknowledgeMs: await this.medianOf('acknowledgedAt', current),
      medianResolveMs: await this.medianOf('resolvedAt', current),
      byCategory: await this.grouped('categoryId', current, asOf),
      byVillage: await this.grouped('placeId', current, asOf),
      byOwner: await this.grouped('ownerId', current, asOf),
      oldestOverdue: oldest.map((r) => ({
        number: num(r.number),
        categoryId: num(r.categoryId),
        placeId: r.placeId === null ? null : num(r.placeId),
        ownerId: r.ownerId === null ? null : num(r.ownerId),
        daysOverdue: Math.max(1, daysOverdue(new Date(num(r.dueAt)), now)),
      })),
      trend,
    };
  }

  /** The names the rendering needs (categories, villages, owners), read once. */
  private async lookups(): Promise<DigestLookups> {
    const owners = await this.deps.db.user.findMany({ where: { OR: [{ role: { not: 'resident' } }, { owned: { some: {} } }] }, select: { id: true, displayName: true } });
    return { ...(await this.deps.catalog.nameIndex()), owners: new Map(owners.map((o) => [o.id, o.displayName])) };
  }

  /** A digest ready to send: text parts, buttons and a chart, in one language. */
  async render(figures: DigestFigures, recipient: Pick<Recipient, 'locale'>): Promise<DigestRendering> {
    return renderDigest(figures, await this.lookups(), this.deps.notices.reader(recipient.locale));
  }

  /** The weekly digest, owed to the leaders' group (or each leader privately), once per week. */
  async sendWeekly(now: Date): Promise<{ recipients: number }> {
    const { db, notices, settings } = this.deps;
    const figures = await this.figures('week', now);
    const group = await settings.leadersGroup();
    const recipients: Recipient[] = group
      ? [{ chatId: group.chatId, locale: group.locale }]
      : (await db.user.findMany({ where: { role: { in: ['leader', 'admin'] }, unreachableAt: null } })).map((u) => notices.recipientOf(toUser(u)));
    const sendAt = nextSendTime(now, this.deps.timeZone, this.deps.quietHours);
    const week = formatDate(figures.period.start, this.deps.timeZone);
    let written = 0;
    for (const to of recipients) {
      const view = await this.render(figures, to);
      const messages: OwedMessage[] = [
        {
          chatId: to.chatId,
          method: 'sendPhoto',
          params: { photo: { base64: view.chart.toString('base64'), filename: 'digest.png' }, caption: view.caption },
          notBefore: sendAt,
          priority: 1,
          dedupeKey: `digest:${week}:${to.chatId}:chart`,
        },
        ...view.parts.map((text, i) =>
          notices.message(to, { text, keyboard: i === view.parts.length - 1 ? view.keyboard : undefined }, now, {
            priority: 1,
            notBefore: sendAt,
            dedupeKey: `digest:${week}:${to.chatId}:${i}`,
          }),
        ),
      ];
      written += await db.$transaction((tx) => owe(tx, messages, now));
    }
    if (written > 0) this.deps.onOwed();
    return { recipients: written > 0 ? recipients.length : 0 };
  }
}
