import { describe, expect, it } from 'vitest';
import { daysOverdue, dueFrom, isOverdue, startOfLocalDay, zonedParts, zonedTime } from '../../src/domain/time.ts';
import { resolveLocale } from '../../src/domain/locale.ts';

const FILED = new Date('2026-11-02T04:00:00Z'); // 10:00 in Urumqi (UTC+6)

describe('due dates', () => {
  it('should add the SLA in hours to the filing time', () => {
    expect(dueFrom(FILED, 48).toISOString()).toBe('2026-11-04T04:00:00.000Z');
  });
  it('should count whole days overdue, and none before the due time', () => {
    const due = dueFrom(FILED, 48);
    expect(isOverdue(due, new Date('2026-11-04T03:59:59Z'))).toBe(false);
    expect(daysOverdue(due, new Date('2026-11-04T03:59:59Z'))).toBe(0);
    expect(isOverdue(due, new Date('2026-11-04T04:00:01Z'))).toBe(true);
    expect(daysOverdue(due, new Date('2026-11-05T04:00:00Z'))).toBe(1);
    expect(daysOverdue(due, new Date('2026-11-07T05:00:00Z'))).toBe(3);
  });
});

describe('time zones', () => {
  it('should read the wall clock in Urumqi', () => {
    expect(zonedParts(FILED, 'Asia/Urumqi')).toMatchObject({ year: 2026, month: 11, day: 2, hour: 10, minute: 0, weekday: 1 });
  });
  it('should find the instant of a local wall-clock time, across a DST change', () => {
    expect(zonedTime(2026, 11, 2, 10, 0, 'Asia/Urumqi').toISOString()).toBe('2026-11-02T04:00:00.000Z');
    expect(zonedTime(2026, 3, 29, 12, 0, 'Europe/Berlin').toISOString()).toBe('2026-03-29T10:00:00.000Z');
    expect(zonedTime(2026, 3, 28, 12, 0, 'Europe/Berlin').toISOString()).toBe('2026-03-28T11:00:00.000Z');
  });
  it('should give local midnight', () => {
    expect(startOfLocalDay(new Date('2026-11-02T20:00:00Z'), 'Asia/Urumqi').toISOString()).toBe('2026-11-02T18:00:00.000Z');
  });
});

describe('resolveLocale', () => {
  it('should prefer the chosen language', () => {
    expect(resolveLocale('zh', 'ug', 'ug')).toBe('zh');
  });
  it('should guess Uyghur and Chinese from the Telegram language', () => {
    expect(resolveLocale(null, 'ug', 'zh')).toBe('ug');
    expect(resolveLocale(null, 'ug-CN', 'zh')).toBe('ug');
    expect(resolveLocale(null, 'zh-hans', 'ug')).toBe('zh');
    expect(resolveLocale(undefined, 'ZH', 'ug')).toBe('zh');
  });
  it('should fall back to the default for other languages, English included', () => {
    expect(resolveLocale(null, 'en', 'ug')).toBe('ug');
    expect(resolveLocale(null, undefined, 'zh')).toBe('zh');
    expect(resolveLocale('fr', 'ru', 'ug')).toBe('ug');
  });
});
