import type { Db, Tx } from '../db/client.ts';
import { REPORT_INCLUDE, toReport, toUser } from '../db/mappers.ts';
import { OPEN_STATUSES, isOpen, isStatus } from '../domain/lifecycle.ts';
import { decideForget, ERASED_DISPLAY_NAME, ERASED_NOTE, ERASED_TELEGRAM_ID, isErasedPerson, mayEraseHousehold } from '../domain/privacy.ts';
import type { Clock } from '../domain/time.ts';
import type { Report, User } from '../domain/types.ts';
import type { Locale, Texts } from '../i18n/index.ts';
import { categoryName, formatDateTime, placeName, reportRef } from '../i18n/format.ts';
import { escapeHtml, plainText } from '../i18n/text.ts';
import { owe } from '../notify/outbox.ts';
import { Refused } from './errors.ts';
import type { ReportService } from './reports.ts';

export interface PrivacyDeps {
  db: Db;
  clock: Clock;
  texts: Texts;
  timeZone: string;
  reports: ReportService;
  /** called after a transaction that owes messages has committed */
  onOwed: () => void;
}

/** What /forget will erase (shown before the confirmation) and did erase. */
export interface ForgetCounts {
  /** reports they filed: kept, anonymous */
  reports: number;
  /** of those, still open: their owners are told the reporter left */
  open: number;
  /** their texts kept with reports (descriptions, answers, reasons) */
  texts: number;
  /** photos and voice messages they sent with reports */
  media: number;
  /** drafts and questions waiting for their answer */
  drafts: number;
  /** messages the bot still owed them */
  pending: number;
}

/** The kinds of events a reporter (or a cadre speaking for a household) writes on their report. */
const REPORTER_EVENT_KINDS = ['created', 'answer', 'joined'] as const;
const REPORTER_MEDIA = ['photo', 'voice'];

/**
 * The rights of a person over what the ledger keeps about them: to know it (/privacy), to get a
 * copy (/mydata) and to be erased (/forget), and a household's erasure by the cadre who filed
 * for it. Erasing keeps every report, anonymous, so that the ledger's figures do not move.
 */
export class PrivacyService {
  constructor(private readonly deps: PrivacyDeps) {}

  /** The row every erased link points to, created the first time it is needed. */
  static async erasedPerson(tx: Tx, now: Date): Promise<number> {
    const row = await tx.user.upsert({
      where: { telegramId: BigInt(ERASED_TELEGRAM_ID) },
      create: { telegramId: BigInt(ERASED_TELEGRAM_ID), displayName: ERASED_DISPLAY_NAME, role: 'resident', unreachableAt: now, createdAt: now, updatedAt: now },
      update: {},
    });
    return row.id;
  }

  /** What erasing this person would do, or the refusal they would get. */
  async preview(user: User): Promise<ForgetCounts> {
    return this.deps.db.$transaction(async (tx) => {
      await this.check(tx, user);
      return this.count(tx, user);
    });
  }

  private async check(tx: Tx, user: User): Promise<void> {
    const [openOwned, admins] = await Promise.all([
      tx.report.count({ where: { ownerId: user.id, status: { in: [...OPEN_STATUSES] } } }),
      tx.user.count({ where: { role: 'admin' } }),
    ]);
    const decision = decideForget(user, { openOwned, admins });
    if (decision.kind === 'refused') throw new Refused(decision.reason);
  }

  private async count(tx: Tx, user: User): Promise<ForgetCounts> {
    const mine = { reporterId: user.id };
    const [reports, open, described, notes, media, drafts, pending] = await Promise.all([
      tx.report.count({ where: mine }),
      tx.report.count({ where: { ...mine, status: { in: [...OPEN_STATUSES] } } }),
      tx.report.count({ where: { ...mine, description: { not: '' } } }),
      tx.reportEvent.count({ where: { actorId: user.id, note: { not: null }, report: mine } }),
      tx.attachment.count({ where: { kind: { in: REPORTER_MEDIA }, report: mine } }),
      tx.draft.count({ where: { userId: user.id } }),
      tx.outboxMessage.count({ where: { chatId: BigInt(user.telegramId), status: 'pending' } }),
    ]);
    return { reports, open, texts: described + notes, media, drafts, pending };
  }

  /**
   * Erases a person: their name and Telegram link, drafts, the messages owed to them, and the
   * texts, photos and voice messages they sent. Their reports stay, anonymous, with category,
   * village, status, owner, dates and the staff's notes; the owners of the open ones are told.
   * Whoever writes from the same Telegram account afterwards is a new resident.
   */
  async forget(user: User): Promise<ForgetCounts> {
    const { db, clock } = this.deps;
    const now = clock.now();
    const counts = await db.$transaction(async (tx) => {
      const row = await tx.user.findUnique({ where: { id: user.id } });
      if (!row || isErasedPerson(row)) throw new Refused('user_not_found');
      const person = toUser(row);
      await this.check(tx, person);
      const counts = await this.count(tx, person);
      const erasedId = await PrivacyService.erasedPerson(tx, now);
      const reports = await tx.report.findMany({ where: { reporterId: person.id }, include: REPORT_INCLUDE });
      await dropRelayed(tx, await sentBy(tx, person.id, reports.map((r) => r.id)));
      for (const r of reports) await this.eraseReporter(tx, toReport(r), person.id, erasedId, 'all', now);
      // what they did elsewhere (joined someone's report; as staff, their work) stays, by nobody
      await tx.reportEvent.updateMany({ where: { actorId: person.id }, data: { actorId: erasedId } });
      await tx.report.updateMany({ where: { ownerId: person.id }, data: { ownerId: erasedId } });
      await tx.ownerRule.deleteMany({ where: { ownerId: person.id } });
      await tx.category.updateMany({ where: { defaultOwnerId: person.id }, data: { defaultOwnerId: null } });
      await tx.invite.deleteMany({ where: { OR: [{ createdById: person.id }, { usedById: person.id }] } });
      await tx.outboxMessage.deleteMany({ where: { chatId: BigInt(person.telegramId) } });
      // drafts, villages and followed reports go with the row
      await tx.user.delete({ where: { id: person.id } });
      return counts;
    });
    if (counts.open > 0) this.deps.onOwed();
    return counts;
  }

  /** Whether a report's reporter was erased: nobody is left to ask or tell. */
  async reporterLeft(number: number): Promise<boolean> {
    const row = await this.deps.db.report.findUnique({ where: { number }, select: { reporter: { select: { telegramId: true } } } });
    return row !== null && isErasedPerson(row.reporter);
  }

  /** The household behind a report, for the confirmation, if this person may erase it. */
  async householdPreview(actor: User, number: number): Promise<{ label: string }> {
    const row = await this.deps.db.report.findUnique({ where: { number }, select: { reporterId: true, householdLabel: true } });
    if (!row) throw new Refused('report_not_found');
    if (!mayEraseHousehold(actor, row) || row.householdLabel === null) throw new Refused('not_permitted');
    return { label: row.householdLabel };
  }

  /**
   * Erases the household behind a report filed on its behalf: by the cadre who filed it or an
   * administrator; the same effect as /forget for that report.
   */
  async forgetHousehold(actor: User, number: number): Promise<Report> {
    const { db, clock } = this.deps;
    const now = clock.now();
    const result = await db.$transaction(async (tx) => {
      const row = await tx.report.findUnique({ where: { number }, include: REPORT_INCLUDE });
      if (!row) throw new Refused('report_not_found');
      const report = toReport(row);
      if (!mayEraseHousehold(actor, report)) throw new Refused('not_permitted');
      const erasedId = await PrivacyService.erasedPerson(tx, now);
      await dropRelayed(tx, await sentBy(tx, report.reporterId, [report.id], 'household'));
      await this.eraseReporter(tx, report, report.reporterId, erasedId, 'household', now);
      const updated = await tx.report.findUniqueOrThrow({ where: { id: report.id }, include: REPORT_INCLUDE });
      return toReport(updated);
    });
    if (isOpen(result.status)) this.deps.onOwed();
    return result;
  }

  /**
   * One report loses its reporter: it points to the erased person, becomes anonymous, and
   * what the reporter wrote or sent with it is erased; an open one is no longer followed up
   * with them and its owner (or the leaders' queue) is told. `household`: the reporter row is
   * the cadre who filed it, whose own work on the report stays theirs.
   */
  private async eraseReporter(tx: Tx, report: Report, reporterId: number, erasedId: number, scope: 'all' | 'household', now: Date): Promise<void> {
    const theirs = { reportId: report.id, actorId: reporterId, ...(scope === 'household' ? { kind: { in: [...REPORTER_EVENT_KINDS] } } : {}) };
    await tx.reportEvent.updateMany({ where: { ...theirs, note: { not: null } }, data: { note: ERASED_NOTE } });
    await tx.reportEvent.updateMany({ where: theirs, data: { actorId: erasedId } });
    await tx.attachment.deleteMany({ where: { reportId: report.id, kind: { in: REPORTER_MEDIA } } });
    await tx.report.update({
      where: { id: report.id },
      data: {
        reporterId: erasedId,
        anonymous: true,
        description: '',
        latitude: null,
        longitude: null,
        householdLabel: null,
        householdPhone: null,
        // a resolved report no longer asks anyone whether they are satisfied; it closes as "no answer"
        ...(report.status === 'resolved' ? { followupSentAt: now } : {}),
        updatedAt: now,
      },
    });
    await tx.reportEvent.create({ data: { reportId: report.id, kind: 'reporter_left', at: now } });
    // a question waiting for their answer is dropped with them (household: the cadre's prompt for this report)
    if (scope === 'household') {
      const prompt = await tx.draft.findUnique({ where: { userId_flow: { userId: reporterId, flow: 'prompt' } } });
      if (prompt && prompt.data.includes(`"number":${report.number}`)) await tx.draft.delete({ where: { userId_flow: { userId: reporterId, flow: 'prompt' } } });
    }
    if (isOpen(report.status)) {
      const after = toReport(await tx.report.findUniqueOrThrow({ where: { id: report.id }, include: REPORT_INCLUDE }));
      await owe(tx, await this.deps.reports.ownerOrQueueNotice(tx, after, { owner: 'privacy:owner_reporter_left', queue: 'privacy:queue_reporter_left' }, now), now);
    }
  }

  /** Everything the ledger holds about a person, in their language, as a JSON file. */
  async myData(user: User, locale: Locale): Promise<{ filename: string; bytes: Buffer; reports: number }> {
    const { db, texts, timeZone, clock } = this.deps;
    const t = texts.forLocale(locale);
    const plain = (key: string, vars?: Record<string, string | number>) => plainText(t(key, vars));
    const when = (at: Date | null) => (at ? formatDateTime(at, timeZone) : null);
    const row = await db.user.findUniqueOrThrow({ where: { id: user.id } });
    const reports = await db.report.findMany({
      where: { OR: [{ reporterId: user.id }, { followers: { some: { userId: user.id } } }] },
      include: { ...REPORT_INCLUDE, events: { orderBy: [{ at: 'asc' }, { id: 'asc' }] } },
      orderBy: { number: 'asc' },
    });
    const owned = await db.report.findMany({ where: { ownerId: user.id }, select: { number: true }, orderBy: { number: 'asc' } });
    const drafts = await db.draft.findMany({ where: { userId: user.id } });
    const pending = await db.outboxMessage.count({ where: { chatId: BigInt(user.telegramId), status: 'pending' } });
    const answered = await db.reportEvent.findMany({ where: { actorId: user.id, note: { not: null } }, include: { report: { select: { number: true } } }, orderBy: { at: 'asc' } });
    const who = (actorId: number | null, reporterId: number) =>
      actorId === null ? plain('history:system') : actorId === user.id ? plain('privacy:file_you') : actorId === reporterId ? plain('history:reporter') : plain('history:staff');
    const status = (s: string) => (isStatus(s) ? plain(`statuses:${s}`) : s);
    const media = (kind: string, seconds: number | null) =>
      kind === 'voice' || kind === 'resolution_voice' ? plain('privacy:file_voice', { seconds: seconds ?? 0 }) : plain('privacy:file_photo');
    const k = (key: string) => plain(`privacy:file_key_${key}`);
    const file = {
      [k('title')]: plain('privacy:file_title'),
      [k('made_at')]: when(clock.now()),
      [k('profile')]: {
        [k('name')]: row.displayName,
        [k('telegram_id')]: String(row.telegramId),
        [k('language')]: row.locale ? plain(`privacy:language_${row.locale}`) : null,
        [k('role')]: plain(`roles:${row.role}`),
        [k('first_contact')]: when(row.createdAt),
        [k('unreachable')]: when(row.unreachableAt),
      },
      [k('reports')]: reports.map((r) => {
        const report = toReport(r);
        const own = r.reporterId === user.id;
        return {
          [k('number')]: reportRef(r.number),
          [k('relation')]: plain(own ? (r.householdLabel ? 'privacy:file_filed_for_household' : 'privacy:file_filed') : 'privacy:file_joined'),
          [k('category')]: plainText(categoryName(report.category, locale, t)),
          [k('village')]: report.place ? placeName(report.place, locale) : null,
          [k('status')]: status(r.status),
          [k('created')]: when(r.createdAt),
          [k('due')]: when(r.dueAt),
          [k('closed')]: when(r.closedAt),
          ...(own
            ? {
                [k('description')]: r.description,
                [k('anonymous')]: plain(r.anonymous ? 'privacy:file_yes' : 'privacy:file_no'),
                [k('location')]: report.location ? `${report.location.latitude}, ${report.location.longitude}` : null,
                [k('household')]: r.householdLabel ? [r.householdLabel, r.householdPhone].filter(Boolean).join(' ') : null,
                [k('satisfaction')]: r.satisfaction ? plain(`privacy:file_satisfaction_${r.satisfaction}`) : null,
                [k('resolution')]: r.resolutionNote,
                [k('attachments')]: r.attachments.map((a) => media(a.kind, a.durationSec)),
                [k('history')]: r.events.map((e) => ({
                  [k('when')]: when(e.at),
                  [k('what')]: e.kind === 'transition' && e.toStatus ? status(e.toStatus) : historyKind(plain, e.kind),
                  [k('who')]: who(e.actorId, r.reporterId),
                  ...(e.note ? { [k('note')]: e.note === ERASED_NOTE ? plain('privacy:erased_text') : e.note } : {}),
                })),
              }
            : {}),
        };
      }),
      [k('messages')]: answered.map((e) => ({
        [k('when')]: when(e.at),
        [k('number')]: reportRef(e.report.number),
        [k('what')]: historyKind(plain, e.kind),
        [k('note')]: e.note === ERASED_NOTE ? plain('privacy:erased_text') : e.note,
      })),
      ...(owned.length > 0 ? { [k('owned')]: owned.map((r) => reportRef(r.number)) } : {}),
      [k('drafts')]: drafts.map((d) => ({ [k('when')]: when(d.updatedAt), [k('expires')]: when(d.expiresAt), [k('content')]: draftContent(d.data) })),
      [k('pending')]: pending,
    };
    const day = formatDateTime(clock.now(), timeZone).slice(0, 10);
    return { filename: `mydata-${day}.json`, bytes: Buffer.from(`${JSON.stringify(file, null, 2)}\n`, 'utf8'), reports: reports.length };
  }
}

/** What a reporter sent with their reports: the texts (description, answers, reasons) and the file ids of their photos and voice messages. */
async function sentBy(tx: Tx, reporterId: number, reportIds: number[], scope: 'all' | 'household' = 'all'): Promise<{ texts: string[]; fileIds: string[] }> {
  const [reports, events, files] = await Promise.all([
    tx.report.findMany({ where: { id: { in: reportIds } }, select: { description: true } }),
    tx.reportEvent.findMany({ where: { reportId: { in: reportIds }, actorId: reporterId, note: { not: null }, ...(scope === 'household' ? { kind: { in: [...REPORTER_EVENT_KINDS] } } : {}) }, select: { note: true } }),
    tx.attachment.findMany({ where: { reportId: { in: reportIds }, kind: { in: REPORTER_MEDIA } }, select: { fileId: true } }),
  ]);
  return { texts: [...reports.map((r) => r.description), ...events.map((e) => e.note ?? '')], fileIds: files.map((f) => f.fileId) };
}

/** Shortest text looked for in owed messages: shorter ones ("ok", "yes") would match other people's. */
const RELAYED_MIN_CHARS = 12;

/**
 * Messages still owed to staff that carry what the person sent (a report card with their
 * description, their relayed answer, their voice message or photos) are not delivered any more:
 * the owner gets the report again, anonymous, with the notice that the reporter left. A text is
 * found by its beginning as the outbox stores it (HTML-escaped, JSON-encoded).
 */
async function dropRelayed(tx: Tx, sent: { texts: string[]; fileIds: string[] }): Promise<void> {
  const needles = [
    ...sent.fileIds,
    ...sent.texts
      .map((text) => Array.from(text.trim()).slice(0, 40).join(''))
      .filter((text) => Array.from(text).length >= RELAYED_MIN_CHARS)
      .map((text) => JSON.stringify(escapeHtml(text)).slice(1, -1)),
  ];
  for (const needle of new Set(needles)) await tx.outboxMessage.deleteMany({ where: { status: 'pending', payload: { contains: needle } } });
}

function historyKind(plain: (key: string) => string, kind: string): string {
  try {
    return plain(`history:${kind}`);
  } catch {
    return kind;
  }
}

/** A draft's collected content, without file ids: files are named by what they are. */
function draftContent(data: string): unknown {
  try {
    return JSON.parse(data, (key, value: unknown) => (key === 'fileId' || key === 'fileUniqueId' || key === 'token' ? undefined : value));
  } catch {
    return null;
  }
}
