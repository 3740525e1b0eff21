import type { Clock } from '../../src/domain/time.ts';

/**
 * A clock the test sets by hand: no test depends on today's date. A `flowing` clock also moves
 * with real time from where it was set (end-to-end tests: rate limits and retry backoff need
 * time to pass); `set` and `advance` jump it.
 */
export class TestClock implements Clock {
  private base: number;
  private setAt = Date.now();
  constructor(
    start: string | Date,
    private readonly options: { flowing?: boolean } = {},
  ) {
    this.base = new Date(start).getTime();
  }
  now(): Date {
    return new Date(this.base + (this.options.flowing ? Date.now() - this.setAt : 0));
  }
  set(at: string | Date): void {
    this.base = new Date(at).getTime();
    this.setAt = Date.now();
  }
  advance(ms: number): void {
    this.base += ms;
  }
}
