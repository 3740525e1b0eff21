/**
 * Flood control for the outbox: token buckets that keep the bot under Telegram's limits
 * (about 30 messages per second overall, about one per second into a private chat after a
 * short burst, 20 per minute into a group). Pure bookkeeping: every method is told the time,
 * so tests drive it with invented timestamps and nothing here sleeps.
 */

/** Rates and bursts; every field has a default, see {@link DEFAULT_SEND_LIMITS}. */
export interface SendLimits {
  /** Messages per second over all chats. Below Telegram's ~30/s: interactive replies sent straight from handlers bypass the outbox and need the headroom. */
  globalPerSecond: number;
  /** Messages that may leave at once before the global rate applies. Small, so that no one-second window holds more than burst + rate. */
  globalBurst: number;
  /** Messages a private chat accepts at once before its sustained rate applies. */
  privateBurst: number;
  /** Sustained messages per second into one private chat. */
  privatePerSecond: number;
  /** Messages a group (chat id < 0) accepts at once. */
  groupBurst: number;
  /** Sustained messages per minute into one group. */
  groupPerMinute: number;
  /**
   * Once a chat has used up its burst, its next token is used this much later than the
   * arithmetic says: requests reach Telegram after varying network delays, and one that
   * arrives sooner than the previous one would otherwise look early to Telegram's bucket.
   * Keep it well under a token's refill time (1000 ms private, 3000 ms group).
   */
  chatSlackMs: number;
  /** Two 429s from different chats within this many ms are taken as a global flood, not one chat's. */
  globalFloodWindowMs: number;
}

export const DEFAULT_SEND_LIMITS: SendLimits = {
  globalPerSecond: 25,
  globalBurst: 3,
  privateBurst: 3,
  privatePerSecond: 1,
  groupBurst: 3,
  groupPerMinute: 20,
  chatSlackMs: 250,
  globalFloodWindowMs: 1000,
};

/**
 * Continuous-refill token bucket; `tokens` may be fractional. Once drained below one token,
 * the next whole token becomes usable only `slackMs` after it has refilled.
 */
class Bucket {
  private tokens: number;
  private last: number;
  private readyAt = 0;

  constructor(
    readonly capacity: number,
    readonly perMs: number,
    now: number,
    readonly slackMs = 0,
  ) {
    this.tokens = capacity;
    this.last = now;
  }

  private refill(now: number): void {
    if (now > this.last) {
      this.tokens = Math.min(this.capacity, this.tokens + (now - this.last) * this.perMs);
      this.last = now;
    }
  }

  /** ms until a whole token is available (0 = now). */
  waitMs(now: number): number {
    this.refill(now);
    const refillWait = this.tokens >= 1 ? 0 : Math.ceil((1 - this.tokens) / this.perMs);
    return Math.max(refillWait, this.readyAt - now);
  }

  take(now: number): void {
    this.refill(now);
    this.tokens -= 1;
    if (this.tokens < 1 && this.slackMs > 0) this.readyAt = now + Math.ceil((1 - this.tokens) / this.perMs) + this.slackMs;
  }

  /** True when the bucket is back to full: forgetting it changes nothing. */
  isFull(now: number): boolean {
    this.refill(now);
    return this.tokens >= this.capacity && now >= this.readyAt;
  }
}

interface ChatState {
  bucket: Bucket;
  /** no send into this chat before this time (after a 429) */
  blockedUntil: number;
}

/** Chats remembered before idle ones are forgotten (a full bucket holds no information). */
const PRUNE_AT = 5_000;

/**
 * Who is asking for a token. 'interactive' is a person's direct answer (telegramGate.ts);
 * 'bulk' is the outbox. Bulk yields to interactive: while a direct answer waits for a chat,
 * no outbox row goes to that chat, and while one waits for the global budget, no outbox row
 * goes at all.
 */
export type Lane = 'interactive' | 'bulk';

/** A step back in time larger than this (ms) is a clock set back, not requests arriving out of order. */
const CLOCK_SET_BACK_MS = 5 * 60_000;

/** How long a yielding bulk send is told to wait before it asks again (ms). */
const YIELD_MS = 20;

/**
 * Decides when the next message into a chat may leave. `reserve` both asks and takes: a 0
 * answer means the chat's and the global token were consumed and the caller must send now.
 */
export class SendLimiter {
  private readonly limits: SendLimits;
  private global: Bucket | undefined;
  private globalBlockedUntil = 0;
  private readonly chats = new Map<string, ChatState>();
  /** the last 429 seen: which chat, when (to tell a global flood from one chat's) */
  private lastFlood: { chat: string; at: number } | undefined;
  /** interactive sends waiting, per chat and for the global budget; see {@link Lane} */
  private readonly waitingForChat = new Map<string, number>();
  private waitingForGlobal = 0;
  private latest = 0;

  constructor(limits: Partial<SendLimits> = {}) {
    this.limits = { ...DEFAULT_SEND_LIMITS, ...limits };
  }

  /** ms before anything at all may be sent (global bucket or a global 429 block). */
  globalWait(nowMs: number, lane: Lane = 'bulk'): number {
    this.noticeTime(nowMs);
    const wait = Math.max(0, this.globalBlockedUntil - nowMs, this.globalBucket(nowMs).waitMs(nowMs));
    return lane === 'bulk' && this.waitingForGlobal > 0 ? Math.max(wait, YIELD_MS) : wait;
  }

  /**
   * ms to wait before a message may go to `chatId`; 0 means it may go now and the tokens
   * (the chat's and the global one) are taken. A positive answer takes nothing.
   */
  reserve(chatId: number, nowMs: number, lane: Lane = 'bulk'): number {
    this.noticeTime(nowMs);
    const chat = this.chat(chatId, nowMs);
    let wait = Math.max(this.globalWait(nowMs, lane), chat.blockedUntil - nowMs, chat.bucket.waitMs(nowMs));
    if (lane === 'bulk' && this.waitingForChat.has(String(chatId))) wait = Math.max(wait, YIELD_MS);
    if (wait > 0) return wait;
    chat.bucket.take(nowMs);
    this.globalBucket(nowMs).take(nowMs);
    return 0;
  }

  /**
   * Telegram answered 429 with retry_after: nothing more into that chat until then. Telegram
   * does not say whether the flood was the chat's or the bot's as a whole; `chatId` null, or
   * a second chat flooding within `globalFloodWindowMs` of another, blocks every chat.
   */
  penalise(chatId: number | null, retryAfterSec: number, nowMs: number): void {
    const until = nowMs + Math.max(0, retryAfterSec) * 1000;
    if (chatId === null) {
      this.globalBlockedUntil = Math.max(this.globalBlockedUntil, until);
      return;
    }
    const key = String(chatId);
    const chat = this.chat(chatId, nowMs);
    chat.blockedUntil = Math.max(chat.blockedUntil, until);
    const previous = this.lastFlood;
    if (previous && previous.chat !== key && nowMs - previous.at <= this.limits.globalFloodWindowMs) {
      this.globalBlockedUntil = Math.max(this.globalBlockedUntil, until);
    }
    this.lastFlood = { chat: key, at: nowMs };
  }

  /** The sustained spacing of messages into a chat once its burst is used (ms): 1 s private, 3 s group. */
  intervalMs(chatId: number): number {
    return chatId < 0 ? 60_000 / this.limits.groupPerMinute : 1000 / this.limits.privatePerSecond;
  }

  /**
   * An interactive send starts waiting for `chatId` (and, with `global`, for the bot's budget):
   * bulk sends yield until the returned function is called.
   */
  hold(chatId: number, global: boolean): () => void {
    const key = String(chatId);
    this.waitingForChat.set(key, (this.waitingForChat.get(key) ?? 0) + 1);
    if (global) this.waitingForGlobal++;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const n = (this.waitingForChat.get(key) ?? 1) - 1;
      if (n > 0) this.waitingForChat.set(key, n);
      else this.waitingForChat.delete(key);
      if (global) this.waitingForGlobal--;
    };
  }

  /**
   * A clock set back (a test, an operator fixing the time) would leave every bucket waiting
   * for a moment that is now far away: forget the state instead; a 429 would still be honoured.
   */
  private noticeTime(nowMs: number): void {
    if (nowMs < this.latest - CLOCK_SET_BACK_MS) {
      this.chats.clear();
      this.global = undefined;
      this.globalBlockedUntil = 0;
      this.lastFlood = undefined;
      this.latest = nowMs;
      return;
    }
    this.latest = Math.max(this.latest, nowMs);
  }

  private globalBucket(nowMs: number): Bucket {
    this.global ??= new Bucket(this.limits.globalBurst, this.limits.globalPerSecond / 1000, nowMs);
    return this.global;
  }

  private chat(chatId: number, nowMs: number): ChatState {
    const key = String(chatId);
    let state = this.chats.get(key);
    if (!state) {
      if (this.chats.size >= PRUNE_AT) this.prune(nowMs);
      const bucket =
        chatId < 0
          ? new Bucket(this.limits.groupBurst, this.limits.groupPerMinute / 60_000, nowMs, this.limits.chatSlackMs)
          : new Bucket(this.limits.privateBurst, this.limits.privatePerSecond / 1000, nowMs, this.limits.chatSlackMs);
      state = { bucket, blockedUntil: 0 };
      this.chats.set(key, state);
    }
    return state;
  }

  /** Forgets chats whose bucket is full and block is over: a new bucket would be identical. */
  private prune(nowMs: number): void {
    for (const [key, state] of this.chats) {
      if (state.blockedUntil <= nowMs && state.bucket.isFull(nowMs)) this.chats.delete(key);
    }
  }
}
