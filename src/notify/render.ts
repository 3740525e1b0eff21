import type { ActionKind, Status } from '../domain/lifecycle.ts';
import type { Report, ReportEvent, User } from '../domain/types.ts';
import { html, escapeHtml, isolate, truncate } from '../i18n/text.ts';
import { isRtl, type Locale, type T } from '../i18n/index.ts';
import { categoryName, formatDateTime, placeName, reportRef } from '../i18n/format.ts';
import { daysOverdue, isOverdue } from '../domain/time.ts';
import { isOpen } from '../domain/lifecycle.ts';
import { ERASED_NOTE } from '../domain/privacy.ts';

/** How a message is rendered for one reader. */
export interface Reader {
  locale: Locale;
  t: T;
  timeZone: string;
}

export interface InlineButton {
  text: string;
  callback_data: string;
}
export type InlineKeyboard = { inline_keyboard: InlineButton[][] };

/** callback_data for an action on a report: ids only, never trusted (re-checked on press). */
export function reportButtonData(number: number, op: string): string {
  return `r:${number}:${op}`;
}

/** User text inside a message: escaped, cut to a length, isolated in right-to-left messages. */
export function userText(text: string, reader: Reader, max = 600): string {
  const escaped = escapeHtml(truncate(text, max));
  return isRtl(reader.locale) ? isolate(escaped) : escaped;
}

export function statusLabel(status: Status, reader: Reader): string {
  return reader.t(`statuses:${status}`);
}

/** Who filed a report, as staff may see it: never a username or a phone of the reporter. */
export function reporterLabel(report: Report, reporter: User | null, reader: Reader): string {
  if (report.householdLabel) {
    const phone = report.householdPhone ? ` ${report.householdPhone}` : '';
    return reader.t('report:household_label', { label: `${report.householdLabel}${phone}` });
  }
  if (report.anonymous || !reporter) return reader.t('report:anonymous');
  return reader.t('report:reporter_name', { name: reporter.displayName });
}

/**
 * The card of a report: number, status, category, village, due date, description.
 * `who` adds the reporter line (for staff) and the owner line.
 */
export function reportCard(report: Report, reader: Reader, now: Date, who?: { reporter: string; owner: string | null }): string {
  const { t } = reader;
  const lines = [
    t('report:card_title', { ref: reportRef(report.number), status: statusLabel(report.status, reader) }),
    t('report:card_category', { category: categoryName(report.category, reader.locale, t) }),
  ];
  if (report.place) lines.push(t('report:card_place', { place: placeName(report.place, reader.locale) }));
  if (report.location) lines.push(t('report:card_location'));
  if (report.description.trim() !== '') lines.push(t('report:card_description', { description: html(userText(report.description, reader)) }));
  const photos = report.attachments.filter((a) => a.kind === 'photo').length;
  const voices = report.attachments.filter((a) => a.kind === 'voice').length;
  if (voices > 0) lines.push(t('report:card_voice'));
  if (photos > 0) lines.push(t('report:card_photos', { count: photos }));
  if (report.affectedHouseholds > 1) lines.push(t('report:card_households', { count: report.affectedHouseholds }));
  if (who) {
    lines.push(t('report:card_reporter', { reporter: html(who.reporter) }));
    lines.push(who.owner ? t('report:card_owner', { owner: who.owner }) : t('report:card_no_owner'));
  }
  if (isOpen(report.status)) {
    const due = formatDateTime(report.dueAt, reader.timeZone);
    lines.push(
      isOverdue(report.dueAt, now)
        ? t('report:card_overdue', { due, count: Math.max(1, daysOverdue(report.dueAt, now)) })
        : t('report:card_due', { due }),
    );
  }
  if (report.resolutionNote && (report.status === 'resolved' || report.status === 'closed')) {
    lines.push(t('report:card_resolution', { note: html(userText(report.resolutionNote, reader)) }));
  }
  return lines.join('\n');
}

/** The history of a report, one line per event, oldest first. */
export function historyLines(events: readonly ReportEvent[], reader: Reader, actorName: (id: number | null) => string): string {
  const { t } = reader;
  return events
    .map((e) => {
      const when = formatDateTime(e.at, reader.timeZone);
      const what =
        e.kind === 'transition' && e.toStatus
          ? t('history:to_status', { status: statusLabel(e.toStatus, reader) })
          : t(`history:${e.kind}`);
      const note = e.note === ERASED_NOTE ? t('history:note', { note: t('history:erased') }) : e.note ? t('history:note', { note: html(userText(e.note, reader, 200)) }) : '';
      return t('history:line', { when, what: html(what), who: actorName(e.actorId), note: html(note) });
    })
    .join('\n');
}

/** Order and labels of the owner's buttons. */
const OWNER_ACTIONS: ReadonlyArray<[ActionKind, string]> = [
  ['acknowledge', 'ack'],
  ['start', 'start'],
  ['ask', 'ask'],
  ['resolve', 'resolve'],
  ['assign', 'handover'],
  ['reject', 'reject'],
];

/**
 * Buttons for the actions the reader may take now, two per row. Giving a report an owner is
 * "assign" while it has none (the leaders' queue) and "hand over" once it has one.
 */
export function actionKeyboard(report: Pick<Report, 'number' | 'ownerId'>, actions: readonly ActionKind[], reader: Reader): InlineKeyboard | undefined {
  const buttons = OWNER_ACTIONS.filter(([kind]) => actions.includes(kind)).map(([kind, op]) => {
    const shown = kind === 'assign' && report.ownerId === null ? 'assign' : op;
    return { text: reader.t(`buttons:${shown}`), callback_data: reportButtonData(report.number, shown) };
  });
  if (buttons.length === 0) return undefined;
  const rows: InlineButton[][] = [];
  for (let i = 0; i < buttons.length; i += 2) rows.push(buttons.slice(i, i + 2));
  return { inline_keyboard: rows };
}
