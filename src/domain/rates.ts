/**
 * How leaders' figures are defined, as pure functions over plain records. The digest computes
 * the same figures with aggregate queries in the database; tests/services/digest.test.ts
 * checks the two agree on a seeded ledger, and tests/domain/rates.test.ts pins the definitions.
 */
import { HOUR_MS, startOfLocalDay, zonedParts, zonedTime } from './time.ts';
import type { Status } from './lifecycle.ts';

/** [start, end) */
export interface Period {
  start: Date;
  end: Date;
}
export type PeriodKind = 'today' | 'week' | 'month';

/** A share, with what it was computed from; `value` is null when there is nothing to divide ("no data"). */
export interface Rate {
  numerator: number;
  denominator: number;
  value: number | null;
}

export function rate(numerator: number, denominator: number): Rate {
  return { numerator, denominator, value: denominator === 0 ? null : numerator / denominator };
}

/** The middle value (mean of the two middle ones for an even count); null for none. */
export function median(values: readonly number[]): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** A report responded to within this time counts for the response rate. */
export const RESPONSE_WINDOW_MS = 24 * HOUR_MS;
/** Statuses that end a report without resolving it: left out of the resolution rate. */
export const NOT_TO_RESOLVE: readonly Status[] = ['rejected', 'not_responsible', 'duplicate'];

export interface LedgerEntry {
  createdAt: Date;
  acknowledgedAt: Date | null;
  resolvedAt: Date | null;
  dueAt: Date;
  status: Status;
}

const inPeriod = (at: Date | null, p: Period) => at !== null && at.getTime() >= p.start.getTime() && at.getTime() < p.end.getTime();

/**
 * Response rate: of the reports filed in the period, the share acknowledged within 24 hours.
 * A report filed less than 24 hours ago and not yet acknowledged still has time: it is not
 * counted either way until its window closes.
 */
export function responseRate(entries: readonly LedgerEntry[], period: Period, now: Date): Rate {
  let n = 0;
  let d = 0;
  for (const e of entries) {
    if (!inPeriod(e.createdAt, period)) continue;
    const onTime = e.acknowledgedAt !== null && e.acknowledgedAt.getTime() - e.createdAt.getTime() <= RESPONSE_WINDOW_MS;
    const windowOpen = e.acknowledgedAt === null && now.getTime() - e.createdAt.getTime() < RESPONSE_WINDOW_MS;
    if (windowOpen) continue;
    d += 1;
    if (onTime) n += 1;
  }
  return rate(n, d);
}

/**
 * Resolution rate: of the reports due in the period (up to now), the share resolved by their
 * due time. Rejected, not-our-responsibility and duplicate reports are left out.
 */
export function resolutionRate(entries: readonly LedgerEntry[], period: Period, now: Date): Rate {
  const until: Period = { start: period.start, end: new Date(Math.min(period.end.getTime(), now.getTime())) };
  let n = 0;
  let d = 0;
  for (const e of entries) {
    if (!inPeriod(e.dueAt, until) || NOT_TO_RESOLVE.includes(e.status)) continue;
    d += 1;
    if (e.resolvedAt !== null && e.resolvedAt.getTime() <= e.dueAt.getTime()) n += 1;
  }
  return rate(n, d);
}

export type Answer = 'satisfied' | 'not_satisfied' | 'no_answer';

/** Satisfaction rate: satisfied among the answers given in the period; "no answer" is counted apart. */
export function satisfactionRate(answers: ReadonlyArray<{ at: Date; answer: Answer }>, period: Period): { rate: Rate; noAnswer: number } {
  const inside = answers.filter((a) => inPeriod(a.at, period));
  const satisfied = inside.filter((a) => a.answer === 'satisfied').length;
  const notSatisfied = inside.filter((a) => a.answer === 'not_satisfied').length;
  return { rate: rate(satisfied, satisfied + notSatisfied), noAnswer: inside.filter((a) => a.answer === 'no_answer').length };
}

/** Today, this week (from Monday) or this month, in local time, and the period before it. */
export function periodBounds(kind: PeriodKind, now: Date, timeZone: string): { current: Period; previous: Period } {
  const today = startOfLocalDay(now, timeZone);
  const p = zonedParts(today, timeZone);
  const local = (y: number, m: number, d: number) => zonedTime(y, m, d, 0, 0, timeZone);
  const shift = (days: number) => {
    const t = new Date(Date.UTC(p.year, p.month - 1, p.day + days));
    return local(t.getUTCFullYear(), t.getUTCMonth() + 1, t.getUTCDate());
  };
  switch (kind) {
    case 'today':
      return { current: { start: today, end: shift(1) }, previous: { start: shift(-1), end: today } };
    case 'week': {
      const sinceMonday = (p.weekday + 6) % 7;
      const start = shift(-sinceMonday);
      const prev = shift(-sinceMonday - 7);
      return { current: { start, end: shift(7 - sinceMonday) }, previous: { start: prev, end: start } };
    }
    case 'month': {
      const start = local(p.year, p.month, 1);
      const next = p.month === 12 ? local(p.year + 1, 1, 1) : local(p.year, p.month + 1, 1);
      const prev = p.month === 1 ? local(p.year - 1, 12, 1) : local(p.year, p.month - 1, 1);
      return { current: { start, end: next }, previous: { start: prev, end: start } };
    }
  }
}
