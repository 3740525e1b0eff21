import type { Db, Tx } from '../db/client.ts';
import { REPORT_INCLUDE, toEvent, toReport, toUser } from '../db/mappers.ts';
import { isComplete, type ReportDraft } from '../domain/draft.ts';
import { decideTransition, isOpen, isStatus, seesEverything, type Action, type Actor, type Status } from '../domain/lifecycle.ts';
import { routeOwner, SIMILAR_WINDOW_DAYS } from '../domain/routing.ts';
import { DAY_MS, dueFrom, type Clock } from '../domain/time.ts';
import type { Category, Report, ReportEvent, User } from '../domain/types.ts';
import type { HotPath } from '../db/hot.ts';
import { lockReport, lockReportFiling } from '../db/locks.ts';
import { owe, type OwedMessage } from '../notify/outbox.ts';
import type { Notices, Recipient } from '../notify/notices.ts';
import { reportButtonData, type InlineKeyboard, type Reader } from '../notify/render.ts';
import { Refused } from './errors.ts';
import { isErasedPerson } from '../domain/privacy.ts';
import type { SettingsService } from './settings.ts';

export interface ReportDeps {
  db: Db;
  hot: HotPath;
  clock: Clock;
  notices: Notices;
  settings: SettingsService;
  /** called after a transaction that owes messages has committed */
  onOwed: () => void;
}

/** A line of /my. */
export interface ReportSummary {
  number: number;
  status: Status;
  dueAt: Date;
  category: Pick<Category, 'code' | 'names'>;
}

/** A report with the people around it, for showing it to someone allowed to see it. */
export interface ReportView {
  report: Report;
  events: ReportEvent[];
  reporter: User | null;
  owner: User | null;
  names: Map<number, string>;
}

/** Extra things some transitions carry: the owner's photo or voice with a resolution. */
export interface ActExtras {
  photoFileId?: string;
  voiceFileId?: string;
  voiceDuration?: number;
}

/** The ledger: filing reports, reading them, and moving them through their life cycle. */
export class ReportService {
  constructor(private readonly deps: ReportDeps) {}

  private async load(tx: Tx, where: { number: number } | { id: number }): Promise<Report | null> {
    const row = await tx.report.findUnique({ where, include: REPORT_INCLUDE });
    return row ? toReport(row) : null;
  }

  async byNumber(number: number): Promise<Report | null> {
    return this.load(this.deps.db, { number });
  }

  /**
   * Files a complete draft as a report: number, owner by routing, due time by the category's
   * SLA, history, and the messages owed to its owner (or the leaders' queue), all in one
   * transaction. Filing the same draft twice returns the first report.
   */
  async submit(reporter: User, draft: ReportDraft): Promise<{ report: Report; created: boolean }> {
    if (!isComplete(draft) || draft.categoryId === undefined) throw new Error('submit: draft is not complete');
    const categoryId = draft.categoryId;
    const { db, clock } = this.deps;
    const now = clock.now();
    const result = await db.$transaction(async (tx) => {
      await lockReportFiling(tx);
      const existing = await tx.report.findUnique({ where: { draftToken: draft.token }, include: REPORT_INCLUDE });
      if (existing) return { report: toReport(existing), created: false };
      const category = await tx.category.findUnique({ where: { id: categoryId } });
      if (!category) throw new Refused('category_not_found');
      const placeId = draft.placeId ?? null;
      const rule = placeId !== null ? await tx.ownerRule.findUnique({ where: { placeId_categoryId: { placeId, categoryId } } }) : null;
      const ownerId = routeOwner({ villageRuleOwnerId: rule?.ownerId ?? null, categoryDefaultOwnerId: category.defaultOwnerId });
      const last = await tx.report.findFirst({ orderBy: { number: 'desc' }, select: { number: true } });
      const attachments = [
        ...(draft.voice ? [{ kind: 'voice', fileId: draft.voice.fileId, fileUniqueId: draft.voice.fileUniqueId ?? null, durationSec: draft.voice.duration, createdAt: now }] : []),
        ...draft.photos.map((p) => ({ kind: 'photo', fileId: p.fileId, fileUniqueId: p.fileUniqueId ?? null, createdAt: now })),
      ];
      const row = await tx.report.create({
        data: {
          number: (last?.number ?? 0) + 1,
          categoryId,
          placeId,
          description: draft.description,
          latitude: draft.location?.latitude ?? null,
          longitude: draft.location?.longitude ?? null,
          reporterId: reporter.id,
          anonymous: draft.anonymous,
          householdLabel: draft.onBehalf ? (draft.householdLabel ?? null) : null,
          householdPhone: draft.onBehalf ? (draft.householdPhone ?? null) : null,
          status: ownerId === null ? 'new' : 'assigned',
          ownerId,
          dueAt: dueFrom(now, category.slaHours),
          draftToken: draft.token,
          createdAt: now,
          assignedAt: ownerId === null ? null : now,
          updatedAt: now,
          attachments: { create: attachments },
          events: {
            create: [
              { kind: 'created', actorId: reporter.id, toStatus: 'new', at: now },
              ...(ownerId === null ? [] : [{ kind: 'assigned', actorId: null, fromStatus: 'new', toStatus: 'assigned', note: null, at: now }]),
            ],
          },
        },
        include: REPORT_INCLUDE,
      });
      const report = toReport(row);
      await owe(tx, await this.ownerOrQueueNotice(tx, report, { owner: 'notify:new_assigned', queue: 'notify:queue_new' }, now), now);
      return { report, created: true };
    });
    if (result.created) this.deps.onOwed();
    return result;
  }

  /** An open report of the same category in the same village from the last 14 days, if any, not the reporter's own. */
  async findSimilar(reporter: User, categoryId: number, placeId: number | null | undefined): Promise<Report | null> {
    if (placeId === null || placeId === undefined) return null;
    const since = new Date(this.deps.clock.now().getTime() - SIMILAR_WINDOW_DAYS * DAY_MS);
    const row = await this.deps.db.report.findFirst({
      where: {
        categoryId,
        placeId,
        status: { in: ['new', 'assigned', 'acknowledged', 'in_progress', 'needs_info', 'reopened'] },
        createdAt: { gte: since },
        reporterId: { not: reporter.id },
        followers: { none: { userId: reporter.id } },
      },
      orderBy: { createdAt: 'desc' },
      include: REPORT_INCLUDE,
    });
    return row ? toReport(row) : null;
  }

  /** "This is my problem too": the reporter follows the report, and it counts one more household. */
  async join(user: User, number: number): Promise<Report> {
    const { db, clock } = this.deps;
    const now = clock.now();
    const report = await db.$transaction(async (tx) => {
      await lockReport(tx, number);
      const current = await this.load(tx, { number });
      if (!current) throw new Refused('report_not_found');
      if (!isOpen(current.status)) throw new Refused('not_allowed_now');
      const already = await tx.reportFollower.findUnique({ where: { reportId_userId: { reportId: current.id, userId: user.id } } });
      if (already || current.reporterId === user.id) return current;
      await tx.reportFollower.create({ data: { reportId: current.id, userId: user.id, createdAt: now } });
      await tx.reportEvent.create({ data: { reportId: current.id, kind: 'joined', actorId: user.id, at: now } });
      const row = await tx.report.update({ where: { id: current.id }, data: { affectedHouseholds: { increment: 1 }, updatedAt: now }, include: REPORT_INCLUDE });
      return toReport(row);
    });
    return report;
  }

  /** What /my lists: the user's own and joined reports, newest first (one query on the hot path). */
  async summaries(user: User, limit = 20): Promise<ReportSummary[]> {
    return (await this.deps.hot.reportSummaries(user.id, limit)).map((r) => ({
      number: r.number,
      status: isStatus(r.status) ? r.status : 'new',
      dueAt: new Date(r.dueAt),
      category: { code: r.code, names: { ug: r.nameUg, zh: r.nameZh, en: r.nameEn } },
    }));
  }

  /** Open reports owned by a cadre, the oldest due first. */
  async tasks(owner: User, limit = 30): Promise<Report[]> {
    const rows = await this.deps.db.report.findMany({
      where: { ownerId: owner.id, status: { in: ['assigned', 'acknowledged', 'in_progress', 'needs_info', 'reopened'] } },
      orderBy: { dueAt: 'asc' },
      take: limit,
      include: REPORT_INCLUDE,
    });
    return rows.map(toReport);
  }

  /** Reports nobody owns yet: the leaders' queue, oldest first. */
  async queue(limit = 30): Promise<Report[]> {
    const rows = await this.deps.db.report.findMany({ where: { status: 'new', ownerId: null }, orderBy: { number: 'asc' }, take: limit, include: REPORT_INCLUDE });
    return rows.map(toReport);
  }

  /** Whether a user may see a report: its reporter, a follower, its owner, leaders and admins. */
  async maySee(user: User, report: Report): Promise<boolean> {
    if (report.reporterId === user.id || report.ownerId === user.id || seesEverything(user.role)) return true;
    const follower = await this.deps.db.reportFollower.findUnique({ where: { reportId_userId: { reportId: report.id, userId: user.id } } });
    return follower !== null;
  }

  /** A report with its history, for someone allowed to see it. */
  async view(user: User, number: number): Promise<ReportView> {
    const report = await this.byNumber(number);
    if (!report) throw new Refused('report_not_found');
    if (!(await this.maySee(user, report))) throw new Refused('not_yours');
    const eventRows = await this.deps.db.reportEvent.findMany({ where: { reportId: report.id }, orderBy: [{ at: 'asc' }, { id: 'asc' }] });
    const events = eventRows.map(toEvent);
    const ids = [...new Set([report.reporterId, report.ownerId, ...events.map((e) => e.actorId)].filter((id): id is number => id !== null))];
    const users = (await this.deps.db.user.findMany({ where: { id: { in: ids } } })).map(toUser);
    const byId = new Map(users.map((u) => [u.id, u]));
    const names = new Map(users.map((u) => [u.id, u.displayName]));
    if (report.anonymous) names.delete(report.reporterId);
    return { report, events, reporter: byId.get(report.reporterId) ?? null, owner: report.ownerId !== null ? (byId.get(report.ownerId) ?? null) : null, names };
  }

  /**
   * Moves a report through its life cycle. The decision is the domain's; here it is applied
   * with its event and the messages it owes, in one transaction, or not at all.
   */
  async act(actorUser: User, number: number, action: Action, extras: ActExtras = {}): Promise<Report> {
    const actor: Actor = { kind: 'user', userId: actorUser.id, role: actorUser.role };
    return this.apply(actor, number, action, extras);
  }

  /** The same, for the scheduler and automatic routing. */
  async actAsSystem(number: number, action: Action): Promise<Report> {
    return this.apply({ kind: 'system' }, number, action, {});
  }

  private async apply(actor: Actor, number: number, action: Action, extras: ActExtras): Promise<Report> {
    const { db, clock } = this.deps;
    const now = clock.now();
    const report = await db.$transaction(async (tx) => {
      await lockReport(tx, number);
      const current = await this.load(tx, { number });
      if (!current) throw new Refused('report_not_found');
      const decision = decideTransition(current, action, actor);
      if (decision.kind === 'refused') throw new Refused(decision.reason);
      // nobody would receive the question: the reporter asked to be forgotten
      if (action.kind === 'ask' && isErasedPerson(await tx.user.findUniqueOrThrow({ where: { id: current.reporterId } }))) throw new Refused('reporter_left');
      const actorId = actor.kind === 'user' ? actor.userId : null;
      const data: Record<string, unknown> = { status: decision.to, updatedAt: now };
      switch (action.kind) {
        case 'assign': {
          const owner = await tx.user.findUnique({ where: { id: action.ownerId } });
          if (!owner || owner.role === 'resident') throw new Refused('owner_not_found');
          data.ownerId = owner.id;
          data.assignedAt = now;
          data.reminderCount = 0;
          break;
        }
        case 'unassign':
          data.ownerId = null;
          data.assignedAt = null;
          break;
        case 'acknowledge':
          data.acknowledgedAt = now;
          break;
        case 'start':
          if (!current.acknowledgedAt) data.acknowledgedAt = now;
          break;
        case 'resolve':
          data.resolvedAt = now;
          data.resolutionNote = action.note;
          data.followupSentAt = null;
          if (!current.acknowledgedAt) data.acknowledgedAt = now;
          break;
        case 'satisfied':
          data.satisfaction = 'satisfied';
          data.closedAt = now;
          break;
        case 'no_answer':
          data.satisfaction = 'no_answer';
          data.closedAt = now;
          break;
        case 'not_satisfied': {
          data.satisfaction = 'not_satisfied';
          data.resolvedAt = null;
          data.dueAt = dueFrom(now, current.category.slaHours);
          data.reminderCount = 0;
          data.escalationLevel = 0;
          break;
        }
        case 'duplicate': {
          const original = await tx.report.findUnique({ where: { number: action.ofNumber } });
          if (!original || original.number === current.number) throw new Refused('report_not_found');
          data.duplicateOfId = original.id;
          data.closedAt = now;
          break;
        }
        case 'reject':
        case 'not_responsible':
          data.closedAt = now;
          break;
        default:
          break;
      }
      if (action.kind === 'resolve' && extras.photoFileId) await tx.attachment.create({ data: { reportId: current.id, kind: 'resolution_photo', fileId: extras.photoFileId, createdAt: now } });
      if (action.kind === 'resolve' && extras.voiceFileId) await tx.attachment.create({ data: { reportId: current.id, kind: 'resolution_voice', fileId: extras.voiceFileId, durationSec: extras.voiceDuration ?? null, createdAt: now } });
      const row = await tx.report.update({ where: { id: current.id }, data, include: REPORT_INCLUDE });
      const eventKind = action.kind === 'assign' ? (current.ownerId === null ? 'assigned' : 'handed_over') : action.kind === 'ask' ? 'question' : action.kind === 'answer' ? 'answer' : 'transition';
      await tx.reportEvent.create({
        data: { reportId: current.id, kind: eventKind, actorId, fromStatus: decision.from, toStatus: decision.to, note: decision.note, at: now },
      });
      const updated = toReport(row);
      await owe(tx, withRecordings(await this.noticesFor(tx, current.status, updated, action, actorId, now), updated, extras, now), now);
      return updated;
    });
    this.deps.onOwed();
    return report;
  }

  /** Messages a transition owes: the reporter hears about progress, the owner about answers. */
  private async noticesFor(tx: Tx, from: Status, report: Report, action: Action, actorId: number | null, now: Date): Promise<OwedMessage[]> {
    const { notices } = this.deps;
    // nobody is told about their own action (a cadre who filed for a household and works on it)
    const reporterSide = (await this.reporterSide(tx, report)).filter((r) => r.user?.id !== actorId || action.kind === 'resolve');
    const owner = report.ownerId !== null ? await tx.user.findUnique({ where: { id: report.ownerId } }) : null;
    const ownerRecipient = owner ? notices.recipientOf(toUser(owner)) : null;
    const toReporters = (key: string, note?: string) => reporterSide.map((r) => notices.update(r, key, report, now, note !== undefined ? { note } : {}));
    switch (action.kind) {
      case 'assign':
        return this.ownerOrQueueNotice(tx, report, { owner: from === 'new' ? 'notify:new_assigned' : 'notify:handed_over', queue: 'notify:queue_new' }, now);
      case 'unassign':
        return this.ownerOrQueueNotice(tx, report, { owner: 'notify:back_to_queue', queue: 'notify:back_to_queue' }, now);
      case 'acknowledge':
        return toReporters('notify:acknowledged');
      case 'start':
        return toReporters('notify:started');
      case 'ask': {
        const reporter = reporterSide[0];
        if (!reporter) return [];
        await this.promptReporterAnswer(tx, report, reporter, now);
        return [
          notices.update(reporter, 'notify:question', report, now, { note: action.question }, (r) => ({
            inline_keyboard: [[{ text: r.t('buttons:answer'), callback_data: reportButtonData(report.number, 'answer') }]],
          })),
        ];
      }
      case 'answer': {
        if (!ownerRecipient) return [];
        return [notices.update(ownerRecipient, 'notify:answer', report, now, { note: action.answer }, (r) => openKeyboard(report, r))];
      }
      case 'resolve': {
        const out: OwedMessage[] = [];
        reporterSide.forEach((r, i) => {
          const isReporter = i === 0;
          out.push(
            notices.update(r, report.householdLabel && isReporter ? 'notify:resolved_household' : 'notify:resolved', report, now, { note: action.note }, isReporter
              ? (rd) => ({
                  inline_keyboard: [[
                    { text: rd.t('buttons:satisfied'), callback_data: reportButtonData(report.number, 'yes') },
                    { text: rd.t('buttons:not_satisfied'), callback_data: reportButtonData(report.number, 'no') },
                  ]],
                })
              : undefined),
          );
        });
        return out;
      }
      case 'satisfied':
        return ownerRecipient ? [notices.update(ownerRecipient, 'notify:reporter_satisfied', report, now)] : [];
      case 'not_satisfied':
        return ownerRecipient
          ? [notices.update(ownerRecipient, 'notify:reporter_not_satisfied', report, now, { note: action.reason }, (r) => openKeyboard(report, r))]
          : this.ownerOrQueueNotice(tx, report, { owner: 'notify:reopened_unowned', queue: 'notify:reopened_unowned' }, now);
      case 'no_answer':
        return [];
      case 'reject':
        return toReporters('notify:rejected', action.reason);
      case 'not_responsible':
        return toReporters('notify:not_responsible', action.reason);
      case 'duplicate':
        return reporterSide.map((r) => {
          const rd = notices.reader(r.locale);
          return notices.message(r, { text: rd.t('notify:duplicate', { ref: `#${report.number}`, of: `#${action.ofNumber}`, note: action.reason }) }, now);
        });
    }
  }

  /** The reporter first (or the cadre who filed for a household), then those who joined. */
  private async reporterSide(tx: Tx, report: Report): Promise<Recipient[]> {
    const found = await tx.user.findUnique({ where: { id: report.reporterId } });
    // an erased reporter is nobody to tell (src/domain/privacy.ts)
    const reporter = found && !isErasedPerson(found) ? found : null;
    const followers = await tx.reportFollower.findMany({ where: { reportId: report.id }, include: { user: true }, orderBy: { createdAt: 'asc' } });
    return [...(reporter ? [toUser(reporter)] : []), ...followers.map((f) => toUser(f.user))].map((u) => this.deps.notices.recipientOf(u));
  }

  /** The reporter's next message answers the owner's question (a pending prompt, kept across restarts). */
  private async promptReporterAnswer(tx: Tx, report: Report, reporter: Recipient, now: Date): Promise<void> {
    if (!reporter.user) return;
    const data = JSON.stringify({ kind: 'answer', number: report.number });
    const expiresAt = new Date(now.getTime() + 7 * DAY_MS);
    await tx.draft.upsert({
      where: { userId_flow: { userId: reporter.user.id, flow: 'prompt' } },
      create: { userId: reporter.user.id, flow: 'prompt', data, updatedAt: now, expiresAt },
      update: { data, updatedAt: now, expiresAt },
    });
  }

  /**
   * The owner's card for a report, headed by `headlines.owner`; without an owner, the leaders'
   * queue (their group, or each leader), headed by `headlines.queue`.
   */
  async ownerOrQueueNotice(tx: Tx, report: Report, headlines: { owner: string; queue: string }, now: Date): Promise<OwedMessage[]> {
    const { notices, settings } = this.deps;
    const reporterRow = await tx.user.findUnique({ where: { id: report.reporterId } });
    const reporter = reporterRow ? toUser(reporterRow) : null;
    if (report.ownerId !== null) {
      const ownerRow = await tx.user.findUnique({ where: { id: report.ownerId } });
      if (!ownerRow) return [];
      const owner = toUser(ownerRow);
      return notices.reportForStaff(notices.recipientOf(owner), headlines.owner, report, { reporter, owner }, now);
    }
    const group = await settings.leadersGroup(tx);
    const key = headlines.queue;
    if (group) return notices.reportForStaff({ chatId: group.chatId, locale: group.locale }, key, report, { reporter, owner: null }, now);
    const leaders = await tx.user.findMany({ where: { role: { in: ['leader', 'admin'] } } });
    return leaders.flatMap((l) => notices.reportForStaff(notices.recipientOf(toUser(l)), key, report, { reporter, owner: null }, now));
  }
}

/**
 * A note given as a voice message (a question, an answer, a reason, a resolution) or a photo of
 * the result: sent to each chat that gets the text, right after it.
 */
function withRecordings(messages: OwedMessage[], report: Report, extras: ActExtras, now: Date): OwedMessage[] {
  if (!extras.voiceFileId && !extras.photoFileId) return messages;
  const caption = `#${report.number}`;
  return messages.flatMap((m) =>
    m.method !== 'sendMessage'
      ? [m]
      : [
          m,
          ...(extras.photoFileId ? [{ chatId: m.chatId, method: 'sendPhoto' as const, params: { photo: extras.photoFileId, caption }, notBefore: now }] : []),
          ...(extras.voiceFileId ? [{ chatId: m.chatId, method: 'sendVoice' as const, params: { voice: extras.voiceFileId, caption }, notBefore: now }] : []),
        ],
  );
}

/** A button that opens the report with the buttons its reader may press now. */
function openKeyboard(report: Report, r: Reader): InlineKeyboard {
  return { inline_keyboard: [[{ text: r.t('buttons:open'), callback_data: reportButtonData(report.number, 'open') }]] };
}
