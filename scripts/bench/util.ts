import { Prng } from '../../src/emulator/limits.ts';
/** Small helpers shared by the benchmark phases: statistics, timing, memory sampling, gc. */
import v8 from 'node:v8';
import { runInNewContext } from 'node:vm';

export const MB = 1024 * 1024;

export function mb(bytes: number): number {
  return Math.round((bytes / MB) * 10) / 10;
}

export function round(n: number, digits = 1): number {
  const f = 10 ** digits;
  return Math.round(n * f) / f;
}

export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

/** Nearest-rank percentile (p in 0..100). */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const s = [...values].sort((a, b) => a - b);
  const rank = Math.min(s.length, Math.max(1, Math.ceil((p / 100) * s.length)));
  return s[rank - 1]!;
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Milliseconds taken by `fn` (high resolution). */
export async function timed<T>(fn: () => Promise<T> | T): Promise<{ ms: number; value: T }> {
  const t0 = performance.now();
  const value = await fn();
  return { ms: performance.now() - t0, value };
}

let gcFn: (() => void) | undefined;
/**
 * A full garbage collection. `npm run bench` runs under tsx without --expose-gc, so the flag
 * is switched on at run time and gc() is taken from a fresh context (a documented V8 trick).
 */
export function gc(): void {
  if (gcFn === undefined) {
    const g = (globalThis as { gc?: () => void }).gc;
    if (typeof g === 'function') gcFn = g;
    else {
      v8.setFlagsFromString('--expose-gc');
      gcFn = runInNewContext('gc') as () => void;
    }
  }
  gcFn();
  gcFn();
}

/** Samples RSS and V8 heap every `everyMs` while running; `stop()` returns baselines and peaks. */
export function rssSampler(everyMs = 10): {
  stop(): { baselineMB: number; peakMB: number; peakDeltaMB: number; heapBaselineMB: number; heapPeakMB: number; samples: number };
} {
  const start = process.memoryUsage();
  let peak = start.rss;
  let heapPeak = start.heapUsed;
  let samples = 0;
  const sample = (): void => {
    samples++;
    const m = process.memoryUsage();
    if (m.rss > peak) peak = m.rss;
    if (m.heapUsed > heapPeak) heapPeak = m.heapUsed;
  };
  const timer = setInterval(sample, everyMs);
  return {
    stop() {
      clearInterval(timer);
      sample();
      return { baselineMB: mb(start.rss), peakMB: mb(peak), peakDeltaMB: mb(peak - start.rss), heapBaselineMB: mb(start.heapUsed), heapPeakMB: mb(heapPeak), samples };
    },
  };
}

/** The stand-in's seeded PRNG, with helpers, so seeded databases are the same on every machine. */
export class Rng extends Prng {
  int(lo: number, hiInclusive: number): number {
    return lo + Math.floor(this.next() * (hiInclusive - lo + 1));
  }
  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.next() * items.length)]!;
  }
}

/** A silent logger with pino's shape (the dispatcher and the app accept it). */
export { pino } from 'pino';
