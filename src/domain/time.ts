/** A source of "now": the only door through which the current time enters the services. */
export interface Clock {
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };

export const HOUR_MS = 3_600_000;
export const DAY_MS = 24 * HOUR_MS;

/** The due time of a report: its SLA counted in calendar hours from when it was filed (or reopened). */
export function dueFrom(start: Date, slaHours: number): Date {
  return new Date(start.getTime() + slaHours * HOUR_MS);
}

/** Whole days a report is past its due time (0 when not overdue). */
export function daysOverdue(dueAt: Date, now: Date): number {
  const late = now.getTime() - dueAt.getTime();
  return late <= 0 ? 0 : Math.floor(late / DAY_MS);
}

/** True once the due time has passed. */
export function isOverdue(dueAt: Date, now: Date): boolean {
  return now.getTime() > dueAt.getTime();
}

/** Wall-clock parts of an instant in an IANA time zone. */
export function zonedParts(at: Date, timeZone: string): { year: number; month: number; day: number; hour: number; minute: number; weekday: number } {
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone,
    year: 'numeric',
    month: 'numeric',
    day: 'numeric',
    hour: 'numeric',
    minute: 'numeric',
    weekday: 'short',
    hourCycle: 'h23',
  }).formatToParts(at);
  const get = (type: string) => parts.find((p) => p.type === type)?.value ?? '0';
  const weekday = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'].indexOf(get('weekday'));
  return { year: +get('year'), month: +get('month'), day: +get('day'), hour: +get('hour'), minute: +get('minute'), weekday };
}

/** The offset of a time zone from UTC at an instant, in milliseconds (positive east of Greenwich). */
export function zoneOffsetMs(at: Date, timeZone: string): number {
  const p = zonedParts(at, timeZone);
  const asUtc = Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute);
  return asUtc - Math.floor(at.getTime() / 60_000) * 60_000;
}

/** The instant at which the local wall clock of `timeZone` shows the given date and time. */
export function zonedTime(year: number, month: number, day: number, hour: number, minute: number, timeZone: string): Date {
  const guess = Date.UTC(year, month - 1, day, hour, minute);
  const first = guess - zoneOffsetMs(new Date(guess), timeZone);
  // A second pass settles instants near an offset change.
  return new Date(guess - zoneOffsetMs(new Date(first), timeZone));
}

/** Local midnight at the start of the day containing `at`. */
export function startOfLocalDay(at: Date, timeZone: string): Date {
  const p = zonedParts(at, timeZone);
  return zonedTime(p.year, p.month, p.day, 0, 0, timeZone);
}
