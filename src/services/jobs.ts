import { setImmediate } from 'node:timers/promises';
import crypto from 'node:crypto';
import type { Db } from '../db/client.ts';
import { REPORT_INCLUDE, toReport, toUser } from '../db/mappers.ts';
import { OPEN_STATUSES } from '../domain/lifecycle.ts';
import { ESCALATE_AFTER_REMINDERS, escalationLevel, FOLLOWUP_AFTER_DAYS, nextSendTime, NO_ANSWER_AFTER_DAYS, type QuietHours } from '../domain/schedule.ts';
import { DAY_MS, daysOverdue } from '../domain/time.ts';
import { categoryName, formatDate, placeName, reportRef } from '../i18n/format.ts';
import type { Notices, Recipient } from '../notify/notices.ts';
import { owe, type OwedMessage } from '../notify/outbox.ts';
import { reportButtonData, type InlineButton } from '../notify/render.ts';
import type { ReportService } from './reports.ts';
import type { SettingsService } from './settings.ts';
import type { DraftService } from './drafts.ts';
import type { HotPath, OverdueRow } from '../db/hot.ts';
import type { CatalogService, NameIndex } from './catalog.ts';
import type { Locale, T } from '../i18n/index.ts';
import type { InviteService } from './invites.ts';
import type { UpdateLog } from './updates.ts';
import type { RetentionCounts, RetentionService } from './retention.ts';
import { ERASED_TELEGRAM_ID } from '../domain/privacy.ts';

/** Lines listed in one reminder or escalation message; the rest are counted. */
const LIST_LIMIT = 20;
const BULK = 1;

export interface JobDeps {
  db: Db;
  hot: HotPath;
  catalog: CatalogService;
  notices: Notices;
  settings: SettingsService;
  reports: ReportService;
  drafts: DraftService;
  invites: InviteService;
  updates: UpdateLog;
  timeZone: string;
  quietHours: QuietHours;
  escalateAfterDays: number;
  onOwed: () => void;
  /** what is kept only for a while (RETAIN_* settings) */
  retention?: RetentionService;
}


/**
 * The scheduled work, as of a given moment: each job is idempotent (running it twice for the
 * same moment owes nothing twice) and writes what it owes to the outbox, held back during
 * quiet hours. Each returns counts for the one-line summary.
 */
export class JobService {
  constructor(private readonly deps: JobDeps) {}

  /** Overdue open reports with an owner, oldest due first: one indexed scan. */
  private async overdue(now: Date): Promise<OverdueRow[]> {
    const rows: OverdueRow[] = [];
    // read in chunks, giving the event loop a turn between them (docs/BENCHMARKS.md, finding 3)
    for await (const chunk of this.deps.hot.overdue(OPEN_STATUSES, now.getTime())) {
      rows.push(...chunk);
    }
    // sorted here rather than by SQL, whose sort would read every row before the first chunk
    return rows.sort((a, b) => a.dueAt - b.dueAt);
  }

  /** The local date, for keys that make a job idempotent per day. */
  private day(now: Date): string {
    return formatDate(now, this.deps.timeZone);
  }

  /**
   * Once a day: each owner gets one message listing their overdue reports (number, category,
   * village, days overdue) with a button to open each.
   */
  async reminders(now: Date): Promise<{ owners: number; reports: number }> {
    const { db, notices } = this.deps;
    const rows = (await this.overdue(now)).filter((r) => r.ownerId !== null);
    const byOwner = new Map<number, OverdueRow[]>();
    for (const r of rows) {
      const list = byOwner.get(r.ownerId!);
      if (list) list.push(r);
      else byOwner.set(r.ownerId!, [r]);
    }
    if (byOwner.size === 0) return { owners: 0, reports: 0 };
    const owners = new Map((await db.user.findMany({ where: { id: { in: [...byOwner.keys()] } } })).map((u) => [u.id, toUser(u)]));
    const names = await this.deps.catalog.nameIndex();
    const sendAt = nextSendTime(now, this.deps.timeZone, this.deps.quietHours);
    const day = this.day(now);
    let ownersReminded = 0;
    let reportsReminded = 0;
    for (const [ownerId, list] of byOwner) {
      const owner = owners.get(ownerId);
      if (!owner) continue;
      const to = notices.recipientOf(owner);
      const r = notices.reader(to.locale);
      const lines = list.slice(0, LIST_LIMIT).map((row) =>
        r.t('jobs:overdue_line', {
          ref: reportRef(row.number),
          ...where(names, row, to.locale, r.t),
          count: Math.max(1, daysOverdue(new Date(row.dueAt), now)),
        }),
      );
      if (list.length > LIST_LIMIT) lines.push(r.t('jobs:and_more', { count: list.length - LIST_LIMIT }));
      const message = notices.message(
        to,
        { text: `${r.t('jobs:reminder_title', { count: list.length })}\n${lines.join('\n')}`, keyboard: openButtons(list) },
        now,
        { priority: BULK, notBefore: sendAt, dedupeKey: `reminder:${ownerId}:${day}` },
      );
      const written = await db.$transaction(async (tx) => {
        const n = await owe(tx, [message], now);
        if (n === 1) {
          // only "reminded 3 times" matters (escalation): past that the rows are left alone
          await tx.$executeRawUnsafe(
            `UPDATE "Report" SET "reminderCount" = "reminderCount" + 1 WHERE "reminderCount" < ${ESCALATE_AFTER_REMINDERS} AND "id" IN (${list.map((x) => x.id).join(',')})`,
          );
        }
        return n;
      });
      if (written === 1) {
        ownersReminded += 1;
        reportsReminded += list.length;
      }
      // the database calls are synchronous underneath: let updates be answered between owners
      await setImmediate();
    }
    if (ownersReminded > 0) this.deps.onOwed();
    return { owners: ownersReminded, reports: reportsReminded };
  }

  /**
   * Reports that stay overdue go to the leaders (their group, or each leader privately), once
   * per report and level, in one message per round.
   */
  async escalations(now: Date): Promise<{ reports: number }> {
    const { db, notices, settings } = this.deps;
    const due = (await this.overdue(now))
      .map((row) => ({ row, level: escalationLevel(new Date(row.dueAt), now, row.reminderCount, this.deps.escalateAfterDays) }))
      .filter(({ row, level }) => level > row.escalationLevel);
    if (due.length === 0) return { reports: 0 };
    const names = await this.deps.catalog.nameIndex();
    const ownerIds = [...new Set(due.map((d) => d.row.ownerId).filter((id): id is number => id !== null))];
    const owners = new Map((await db.user.findMany({ where: { id: { in: ownerIds } } })).map((u) => [u.id, u.displayName]));
    const sendAt = nextSendTime(now, this.deps.timeZone, this.deps.quietHours);
    const render = (to: Recipient): OwedMessage => {
      const r = notices.reader(to.locale);
      const lines = due.slice(0, LIST_LIMIT).map(({ row, level }) =>
        r.t('jobs:escalation_line', {
          ref: reportRef(row.number),
          ...where(names, row, to.locale, r.t),
          owner: row.ownerId !== null ? (owners.get(row.ownerId) ?? '—') : r.t('jobs:no_owner'),
          level,
          count: Math.max(1, daysOverdue(new Date(row.dueAt), now)),
        }),
      );
      if (due.length > LIST_LIMIT) lines.push(r.t('jobs:and_more', { count: due.length - LIST_LIMIT }));
      const key = `escalation:${crypto.createHash('sha1').update(due.map(({ row, level }) => `${row.id}.${level}`).join(',')).digest('hex')}`;
      return notices.message(to, { text: `${r.t('jobs:escalation_title', { count: due.length })}\n${lines.join('\n')}`, keyboard: openButtons(due.map((d) => d.row)) }, now, {
        priority: BULK,
        notBefore: sendAt,
        dedupeKey: `${key}:${to.chatId}`,
      });
    };
    await db.$transaction(async (tx) => {
      const group = await settings.leadersGroup(tx);
      const recipients: Recipient[] = group
        ? [{ chatId: group.chatId, locale: group.locale }]
        : (await tx.user.findMany({ where: { role: { in: ['leader', 'admin'] }, unreachableAt: null } })).map((u) => notices.recipientOf(toUser(u)));
      await owe(tx, recipients.map(render), now);
      for (const { row, level } of due) {
        await tx.report.update({ where: { id: row.id }, data: { escalationLevel: level } });
        await tx.reportEvent.create({ data: { reportId: row.id, kind: 'escalated', note: String(level), at: now } });
      }
    });
    this.deps.onOwed();
    return { reports: due.length };
  }

  /**
   * Resolved reports whose reporter has not answered: one reminder after 3 days; after 7 days
   * they close as "no answer", counted apart from "satisfied".
   */
  async followups(now: Date): Promise<{ reminded: number; closed: number }> {
    const { db, notices, reports } = this.deps;
    const remindBefore = new Date(now.getTime() - FOLLOWUP_AFTER_DAYS * DAY_MS);
    const closeBefore = new Date(now.getTime() - NO_ANSWER_AFTER_DAYS * DAY_MS);
    const toClose = await db.report.findMany({ where: { status: 'resolved', resolvedAt: { lte: closeBefore } }, select: { number: true } });
    for (const { number } of toClose) await reports.actAsSystem(number, { kind: 'no_answer' });
    const toRemind = await db.report.findMany({
      // a reporter who asked to be forgotten is not asked (src/domain/privacy.ts)
      where: { status: 'resolved', resolvedAt: { lte: remindBefore, gt: closeBefore }, followupSentAt: null, reporter: { telegramId: { not: BigInt(ERASED_TELEGRAM_ID) } } },
      include: { ...REPORT_INCLUDE, reporter: true },
    });
    const sendAt = nextSendTime(now, this.deps.timeZone, this.deps.quietHours);
    let reminded = 0;
    for (const row of toRemind) {
      const report = toReport(row);
      const to = notices.recipientOf(toUser(row.reporter));
      const message = notices.update(to, 'jobs:followup', report, now, {}, (r) => ({
        inline_keyboard: [[
          { text: r.t('buttons:satisfied'), callback_data: reportButtonData(report.number, 'yes') },
          { text: r.t('buttons:not_satisfied'), callback_data: reportButtonData(report.number, 'no') },
        ]],
      }));
      await db.$transaction(async (tx) => {
        await owe(tx, [{ ...message, priority: BULK, notBefore: sendAt, dedupeKey: `followup:${report.id}` }], now);
        await tx.report.update({ where: { id: report.id }, data: { followupSentAt: now } });
      });
      reminded += 1;
    }
    if (reminded > 0) this.deps.onOwed();
    return { reminded, closed: toClose.length };
  }

  /** Drops abandoned drafts, unused expired invitations and old update ids, then applies the retention periods. */
  async cleanup(now: Date): Promise<{ drafts: number; invites: number; updates: number; retention?: RetentionCounts }> {
    const [drafts, invites, updates] = [await this.deps.drafts.expire(now), await this.deps.invites.expire(now), await this.deps.updates.prune(now)];
    const retention = await this.deps.retention?.run(now);
    return { drafts, invites, updates, ...(retention ? { retention } : {}) };
  }
}

/** The category and village of a listed report, in the reader's language. */
function where(names: NameIndex, row: OverdueRow, locale: Locale, t: T): { category: string; place: string } {
  const category = names.categories.get(row.categoryId);
  const place = row.placeId !== null ? names.places.get(row.placeId) : undefined;
  return { category: category ? categoryName(category, locale, t) : '—', place: place ? placeName(place, locale) : '—' };
}

function openButtons(rows: ReadonlyArray<{ number: number; dueAt: number }>): { inline_keyboard: InlineButton[][] } {
  const buttons = rows.slice(0, LIST_LIMIT).map((r) => ({ text: reportRef(r.number), callback_data: reportButtonData(r.number, 'open') }));
  const out: InlineButton[][] = [];
  for (let i = 0; i < buttons.length; i += 5) out.push(buttons.slice(i, i + 5));
  return { inline_keyboard: out };
}

