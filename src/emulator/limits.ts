/** Flood control, failure injection randomness and rate statistics for the Bot API stand-in. */

/** Telegram-like flood limits; every field has a default, see {@link DEFAULT_FLOOD_LIMITS}. */
export interface FloodLimits {
  /** Messages a private chat accepts at once before the sustained rate applies. */
  privateBurst: number;
  /** Sustained messages per second into one private chat. */
  privatePerSecond: number;
  /** Messages per minute into one group (also the burst size). */
  groupPerMinute: number;
  /** Messages per second over all chats (also the burst size). */
  globalPerSecond: number;
}

export const DEFAULT_FLOOD_LIMITS: FloodLimits = {
  privateBurst: 3,
  privatePerSecond: 1,
  groupPerMinute: 20,
  globalPerSecond: 30,
};

/** Token bucket: `capacity` tokens, refilled continuously at `perSecond`. */
export class TokenBucket {
  private tokens: number;
  private last: number;

  constructor(
    readonly capacity: number,
    readonly perSecond: number,
    now: number,
  ) {
    this.tokens = capacity;
    this.last = now;
  }

  private refill(now: number): void {
    if (now > this.last) {
      this.tokens = Math.min(this.capacity, this.tokens + ((now - this.last) / 1000) * this.perSecond);
      this.last = now;
    }
  }

  /** 0 when a token is available now, else whole seconds (≥ 1) until one is. Does not take it. */
  retryAfter(now: number): number {
    this.refill(now);
    if (this.tokens >= 1) return 0;
    return Math.max(1, Math.ceil((1 - this.tokens) / this.perSecond));
  }

  take(now: number): void {
    this.refill(now);
    this.tokens -= 1;
  }
}

/** Small seedable PRNG (mulberry32) so failure injection is reproducible. */
export class Prng {
  private state: number;

  constructor(seed: number) {
    this.state = seed >>> 0;
  }

  /** Uniform in [0, 1). */
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
}

/** Largest number of timestamps (ms, any order) that fall inside any window of `windowMs`. */
export function maxInWindow(timestamps: readonly number[], windowMs: number): number {
  const t = [...timestamps].sort((a, b) => a - b);
  let best = 0;
  let lo = 0;
  for (let hi = 0; hi < t.length; hi++) {
    while ((t[hi] ?? 0) - (t[lo] ?? 0) >= windowMs) lo++;
    best = Math.max(best, hi - lo + 1);
  }
  return best;
}
