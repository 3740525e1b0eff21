const HOUR_MS = 3_600_000;
/** Hour boundaries whose offset we remember; rows come roughly in date order, so a small cache suffices. */
const MAX_CACHED_BOUNDARIES = 512;

const pad2 = (n: number): string => String(n).padStart(2, '0');

/**
 * Converts instants to the local wall-clock time of one IANA time zone, using Intl only, so it is
 * right for DST-free zones such as Asia/Urumqi and for DST zones alike (the UTC offset is looked
 * up for each instant). Build one per export and reuse it: Intl.DateTimeFormat is the costly part,
 * so offsets are looked up at whole-hour boundaries and reused for every instant inside an hour
 * whose two ends agree (no zone changes its offset twice within an hour). Throws RangeError for
 * an unknown zone.
 */
export class ZonedClock {
  readonly #format: Intl.DateTimeFormat;
  readonly #boundaryOffsets = new Map<number, number>();

  constructor(readonly timeZone: string) {
    this.#format = new Intl.DateTimeFormat('en-US', {
      timeZone,
      calendar: 'gregory',
      numberingSystem: 'latn',
      hourCycle: 'h23',
      era: 'short',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
  }

  /** Offset (ms) of the zone at instant `ms`, straight from Intl; whole seconds. */
  #lookUpOffset(ms: number): number {
    let year = 0;
    let bc = false;
    const f = { month: 1, day: 1, hour: 0, minute: 0, second: 0 };
    for (const part of this.#format.formatToParts(ms)) {
      switch (part.type) {
        case 'year':
          year = Number(part.value);
          break;
        case 'era':
          bc = part.value.startsWith('B');
          break;
        case 'month':
        case 'day':
        case 'hour':
        case 'minute':
        case 'second':
          f[part.type] = Number(part.value);
          break;
        default:
          break;
      }
    }
    const wall = new Date(0);
    wall.setUTCFullYear(bc ? 1 - year : year, f.month - 1, f.day); // setUTCFullYear: no 19xx remap of years < 100
    wall.setUTCHours(f.hour % 24, f.minute, f.second, 0);
    return wall.getTime() - Math.floor(ms / 1000) * 1000;
  }

  #boundaryOffset(ms: number): number {
    let offset = this.#boundaryOffsets.get(ms);
    if (offset === undefined) {
      if (this.#boundaryOffsets.size >= MAX_CACHED_BOUNDARIES) this.#boundaryOffsets.clear();
      offset = this.#lookUpOffset(ms);
      this.#boundaryOffsets.set(ms, offset);
    }
    return offset;
  }

  /** The zone's offset from UTC in milliseconds at instant `date` (e.g. +6 h for Asia/Urumqi). */
  offsetMs(date: Date): number {
    const ms = date.getTime();
    const start = Math.floor(ms / HOUR_MS) * HOUR_MS;
    const before = this.#boundaryOffset(start);
    return before === this.#boundaryOffset(start + HOUR_MS) ? before : this.#lookUpOffset(ms);
  }

  /** The zone's offset from UTC in minutes at instant `date` (e.g. +360 for Asia/Urumqi). */
  offsetMinutes(date: Date): number {
    return Math.round(this.offsetMs(date) / 60_000);
  }

  /**
   * The local wall-clock time of `date` expressed as a Date whose UTC fields are the local fields
   * (`date` shifted by the zone's offset at that instant), to the whole second. This is what a
   * spreadsheet date cell must hold to display local time.
   */
  wallClockAsUtc(date: Date): Date {
    return new Date(Math.floor(date.getTime() / 1000) * 1000 + this.offsetMs(date));
  }

  /** "YYYY-MM-DD HH:mm" in this zone (seconds are truncated, not rounded). */
  format(date: Date): string {
    const w = this.wallClockAsUtc(date);
    return `${String(w.getUTCFullYear()).padStart(4, '0')}-${pad2(w.getUTCMonth() + 1)}-${pad2(w.getUTCDate())} ${pad2(w.getUTCHours())}:${pad2(w.getUTCMinutes())}`;
  }
}
