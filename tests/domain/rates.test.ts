import { describe, expect, it } from 'vitest';
import { median, periodBounds, rate, resolutionRate, responseRate, satisfactionRate, type LedgerEntry } from '../../src/domain/rates.ts';

const H = 3_600_000;
const at = (iso: string) => new Date(iso);
const week = { start: at('2026-11-02T00:00:00+06:00'), end: at('2026-11-09T00:00:00+06:00') };
const entry = (e: Partial<LedgerEntry> & Pick<LedgerEntry, 'createdAt'>): LedgerEntry => ({
  acknowledgedAt: null,
  resolvedAt: null,
  dueAt: new Date(e.createdAt.getTime() + 48 * H),
  status: 'assigned',
  ...e,
});

describe('rate', () => {
  it('should say "no data" rather than divide by zero', () => {
    expect(rate(0, 0)).toEqual({ numerator: 0, denominator: 0, value: null });
    expect(rate(1, 4).value).toBe(0.25);
  });
});

describe('median', () => {
  it('should take the middle value, or the mean of the two middle ones', () => {
    expect(median([])).toBeNull();
    expect(median([5, 1, 3])).toBe(3);
    expect(median([4, 1, 3, 2])).toBe(2.5);
  });
});

describe('responseRate', () => {
  const now = at('2026-11-08T12:00:00+06:00');
  it('should count reports filed in the period acknowledged within 24 hours', () => {
    const c = at('2026-11-03T10:00:00+06:00');
    const r = responseRate(
      [
        entry({ createdAt: c, acknowledgedAt: new Date(c.getTime() + 2 * H) }),
        entry({ createdAt: c, acknowledgedAt: new Date(c.getTime() + 24 * H) }),
        entry({ createdAt: c, acknowledgedAt: new Date(c.getTime() + 25 * H) }),
        entry({ createdAt: c }),
        entry({ createdAt: at('2026-11-01T10:00:00+06:00'), acknowledgedAt: at('2026-11-01T11:00:00+06:00') }),
      ],
      week,
      now,
    );
    expect(r).toEqual({ numerator: 2, denominator: 4, value: 0.5 });
  });
  it('should leave out a report still within its 24 hours', () => {
    const r = responseRate([entry({ createdAt: new Date(now.getTime() - 2 * H) })], week, now);
    expect(r.value).toBeNull();
  });
  it('should give no data for an empty period', () => {
    expect(responseRate([], week, now).value).toBeNull();
  });
});

describe('resolutionRate', () => {
  const now = at('2026-11-06T12:00:00+06:00');
  it('should count reports due in the period so far that were resolved by their due time', () => {
    const due = at('2026-11-04T10:00:00+06:00');
    const base = { createdAt: at('2026-11-02T10:00:00+06:00'), dueAt: due };
    const r = resolutionRate(
      [
        entry({ ...base, resolvedAt: at('2026-11-04T09:00:00+06:00'), status: 'closed' }),
        entry({ ...base, resolvedAt: at('2026-11-04T11:00:00+06:00'), status: 'resolved' }),
        entry({ ...base, status: 'in_progress' }),
        entry({ ...base, status: 'rejected' }),
        entry({ createdAt: base.createdAt, dueAt: at('2026-11-07T10:00:00+06:00') }), // due later than now
      ],
      week,
      now,
    );
    expect(r).toEqual({ numerator: 1, denominator: 3, value: 1 / 3 });
  });
});

describe('satisfactionRate', () => {
  it('should count satisfied among answers, with no-answer apart', () => {
    const t = at('2026-11-04T10:00:00+06:00');
    const s = satisfactionRate(
      [
        { at: t, answer: 'satisfied' },
        { at: t, answer: 'satisfied' },
        { at: t, answer: 'not_satisfied' },
        { at: t, answer: 'no_answer' },
        { at: at('2026-10-01T00:00:00Z'), answer: 'not_satisfied' },
      ],
      week,
    );
    expect(s).toEqual({ rate: { numerator: 2, denominator: 3, value: 2 / 3 }, noAnswer: 1 });
    expect(satisfactionRate([{ at: t, answer: 'no_answer' }], week)).toEqual({ rate: { numerator: 0, denominator: 0, value: null }, noAnswer: 1 });
  });
});

describe('periodBounds', () => {
  it('should start the week on Monday in local time', () => {
    const b = periodBounds('week', at('2026-11-05T03:00:00+06:00'), 'Asia/Urumqi');
    expect(b.current).toEqual(week);
    expect(b.previous).toEqual({ start: at('2026-10-26T00:00:00+06:00'), end: week.start });
  });
  it('should give today and yesterday', () => {
    const b = periodBounds('today', at('2026-11-05T23:30:00+06:00'), 'Asia/Urumqi');
    expect(b.current).toEqual({ start: at('2026-11-05T00:00:00+06:00'), end: at('2026-11-06T00:00:00+06:00') });
    expect(b.previous.start).toEqual(at('2026-11-04T00:00:00+06:00'));
  });
  it('should give the calendar month and the one before, across a year', () => {
    const b = periodBounds('month', at('2026-01-15T12:00:00+06:00'), 'Asia/Urumqi');
    expect(b.current).toEqual({ start: at('2026-01-01T00:00:00+06:00'), end: at('2026-02-01T00:00:00+06:00') });
    expect(b.previous).toEqual({ start: at('2025-12-01T00:00:00+06:00'), end: at('2026-01-01T00:00:00+06:00') });
  });
});
