/**
 * Scheduler rules as pure functions of time and data: quiet hours, escalation levels and the
 * satisfaction follow-up. Guarded by tests/domain/schedule.test.ts.
 */
import { DAY_MS, daysOverdue, zonedParts, zonedTime } from './time.ts';

export interface QuietHours {
  /** "21:00" */
  start: string;
  /** "09:00" */
  end: string;
}

const minutes = (hhmm: string) => {
  const [h, m] = hhmm.split(':').map(Number);
  return (h ?? 0) * 60 + (m ?? 0);
};

/** True when the local time of `at` falls in the quiet hours (which may span midnight). */
export function isQuiet(at: Date, timeZone: string, quiet: QuietHours): boolean {
  const p = zonedParts(at, timeZone);
  const now = p.hour * 60 + p.minute;
  const start = minutes(quiet.start);
  const end = minutes(quiet.end);
  if (start === end) return false;
  return start < end ? now >= start && now < end : now >= start || now < end;
}

/** When a scheduled message may go out: now, or the end of the quiet hours it falls in. */
export function nextSendTime(at: Date, timeZone: string, quiet: QuietHours): Date {
  if (!isQuiet(at, timeZone, quiet)) return at;
  const p = zonedParts(at, timeZone);
  const end = minutes(quiet.end);
  const today = zonedTime(p.year, p.month, p.day, Math.floor(end / 60), end % 60, timeZone);
  if (today.getTime() > at.getTime()) return today;
  // past midnight's counterpart: the end is tomorrow morning
  const tomorrow = zonedParts(new Date(at.getTime() + DAY_MS), timeZone);
  return zonedTime(tomorrow.year, tomorrow.month, tomorrow.day, Math.floor(end / 60), end % 60, timeZone);
}

/** Reminders after which a report is escalated even if it is not yet N days overdue. */
export const ESCALATE_AFTER_REMINDERS = 3;

/**
 * The escalation level a report has earned: level 1 once it is overdue by more than N days or
 * has been reminded 3 times; level k once it is overdue by more than k·N days.
 */
export function escalationLevel(dueAt: Date, now: Date, reminders: number, afterDays: number): number {
  const late = daysOverdue(dueAt, now);
  const byDays = late > afterDays ? Math.floor((late - 1) / afterDays) : 0;
  const byReminders = reminders >= ESCALATE_AFTER_REMINDERS && late > 0 ? 1 : 0;
  return Math.max(byDays, byReminders);
}

export const FOLLOWUP_AFTER_DAYS = 3;
export const NO_ANSWER_AFTER_DAYS = 7;

/** What a resolved report whose reporter has not answered needs now. */
export function followupDue(resolvedAt: Date, followupSentAt: Date | null, now: Date): 'none' | 'remind' | 'close' {
  const waited = now.getTime() - resolvedAt.getTime();
  if (waited >= NO_ANSWER_AFTER_DAYS * DAY_MS) return 'close';
  if (waited >= FOLLOWUP_AFTER_DAYS * DAY_MS && followupSentAt === null) return 'remind';
  return 'none';
}
