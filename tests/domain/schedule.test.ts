import { describe, expect, it } from 'vitest';
import { escalationLevel, followupDue, isQuiet, nextSendTime } from '../../src/domain/schedule.ts';
import { DAY_MS } from '../../src/domain/time.ts';

const TZ = 'Asia/Urumqi'; // UTC+6
const quiet = { start: '21:00', end: '09:00' };
const local = (iso: string) => new Date(`${iso}+06:00`);

describe('quiet hours', () => {
  it('should be quiet from 21:00 to 09:00 local time, across midnight', () => {
    expect(isQuiet(local('2026-11-02T20:59'), TZ, quiet)).toBe(false);
    expect(isQuiet(local('2026-11-02T21:00'), TZ, quiet)).toBe(true);
    expect(isQuiet(local('2026-11-03T03:00'), TZ, quiet)).toBe(true);
    expect(isQuiet(local('2026-11-03T09:00'), TZ, quiet)).toBe(false);
  });
  it('should hold an evening message until the next morning and a night one until the same morning', () => {
    expect(nextSendTime(local('2026-11-02T22:30'), TZ, quiet)).toEqual(local('2026-11-03T09:00'));
    expect(nextSendTime(local('2026-11-03T02:00'), TZ, quiet)).toEqual(local('2026-11-03T09:00'));
    expect(nextSendTime(local('2026-11-03T10:00'), TZ, quiet)).toEqual(local('2026-11-03T10:00'));
  });
  it('should handle quiet hours within one day and none at all', () => {
    expect(isQuiet(local('2026-11-02T13:30'), TZ, { start: '13:00', end: '15:00' })).toBe(true);
    expect(nextSendTime(local('2026-11-02T13:30'), TZ, { start: '13:00', end: '15:00' })).toEqual(local('2026-11-02T15:00'));
    expect(isQuiet(local('2026-11-02T13:30'), TZ, { start: '00:00', end: '00:00' })).toBe(false);
  });
});

describe('escalationLevel', () => {
  const due = local('2026-11-02T10:00');
  const at = (days: number, hours = 1) => new Date(due.getTime() + days * DAY_MS + hours * 3_600_000);
  it('should not escalate a report overdue by N days or less', () => {
    expect(escalationLevel(due, at(0), 0, 3)).toBe(0);
    expect(escalationLevel(due, at(3), 2, 3)).toBe(0);
  });
  it('should escalate to level 1 after more than N days, level 2 after more than 2N', () => {
    expect(escalationLevel(due, at(4), 0, 3)).toBe(1);
    expect(escalationLevel(due, at(6), 0, 3)).toBe(1);
    expect(escalationLevel(due, at(7), 0, 3)).toBe(2);
  });
  it('should escalate after three reminders even before N days', () => {
    expect(escalationLevel(due, at(1), 3, 3)).toBe(1);
    expect(escalationLevel(due, new Date(due.getTime() - 1000), 3, 3)).toBe(0);
  });
});

describe('followupDue', () => {
  const resolved = local('2026-11-02T10:00');
  it('should remind once after 3 days and close after 7', () => {
    expect(followupDue(resolved, null, new Date(resolved.getTime() + 2 * DAY_MS))).toBe('none');
    expect(followupDue(resolved, null, new Date(resolved.getTime() + 3 * DAY_MS))).toBe('remind');
    expect(followupDue(resolved, new Date(), new Date(resolved.getTime() + 4 * DAY_MS))).toBe('none');
    expect(followupDue(resolved, new Date(), new Date(resolved.getTime() + 7 * DAY_MS))).toBe('close');
  });
});
