import type { Clock } from '../domain/time.ts';
import { classify, type DispatchLogger } from './dispatcher.ts';
import type { SendLimiter } from './limiter.ts';
import type { OutboxMethod } from './outbox.ts';

/** One Bot API call as telegraf makes it, unwrapped. */
export type RawCall = (method: string, payload: Record<string, unknown>, signal?: AbortSignal) => Promise<unknown>;

/**
 * Stores a send that cannot leave soon in the outbox, so that it arrives as soon as Telegram
 * allows. Resolves false when it could not be stored (the gate then waits instead).
 */
export type Handoff = (chatId: number, method: OutboxMethod, params: Record<string, unknown>) => Promise<boolean>;

/** Collaborators and tuning of {@link TelegramGate}. */
export interface GateOptions {
  /** the limiter the outbox dispatcher uses too: one budget per chat and for the bot */
  limiter: SendLimiter;
  clock: Clock;
  logger: DispatchLogger;
  handoff?: Handoff;
  /** a send that would have to wait longer than this (a 429, a group's budget) is handed to the outbox (ms) */
  handoffAfterMs?: number;
  /** 5xx and network failures are retried until this long after the first one (ms) */
  retryForMs?: number;
  /** an attempt with no answer by then is abandoned and counts as a network failure (ms; uploads get four times as long) */
  attemptTimeoutMs?: number;
  /** first retry delay, doubled per attempt, ±50% jitter (ms) */
  backoffBaseMs?: number;
  random?: () => number;
  /** how the gate waits; tests pass one that moves their clock */
  sleep?: (ms: number) => Promise<void>;
}

/** Counters for tests, the benchmark and health output. */
export interface GateStats {
  sent: number;
  /** attempts repeated after a 5xx or a network failure */
  retried: number;
  /** 429 answers */
  throttled: number;
  /** sends stored in the outbox because the wait was long */
  handedOff: number;
  /** sends given up after retrying until the deadline */
  undelivered: number;
}

/**
 * An answer that could not be delivered: Telegram kept failing (5xx, network) until the retry
 * deadline. What the person entered is saved; the error boundary tells them so later.
 */
export class AnswerUndelivered extends Error {
  override readonly name = 'AnswerUndelivered';
  readonly code = 'answer_undelivered';
  constructor(
    readonly method: string,
    override readonly cause: unknown,
  ) {
    super(`${method}: not delivered after retrying (${cause instanceof Error ? cause.message : String(cause)})`);
  }
}

/** An attempt that got no answer in time; retried like a network failure. */
class AttemptTimedOut extends Error {
  override readonly name = 'AttemptTimedOut';
  readonly code = 'ETIMEDOUT';
  constructor(method: string, ms: number) {
    super(`${method}: no answer from Telegram within ${ms} ms`);
  }
}

/** Methods that upload a file: their attempts may take longer. */
const UPLOADS: ReadonlySet<string> = new Set(['sendPhoto', 'sendDocument', 'sendVoice', 'sendAudio', 'sendVideo', 'sendAnimation', 'sendMediaGroup', 'editMessageMedia']);

/** Methods that put or change a message in a chat: Telegram's flood limits apply to them. */
const MESSAGE_METHODS: ReadonlySet<string> = new Set([
  'sendMessage', 'sendPhoto', 'sendDocument', 'sendVoice', 'sendAudio', 'sendVideo', 'sendAnimation', 'sendSticker',
  'sendMediaGroup', 'sendLocation', 'copyMessage', 'forwardMessage',
  'editMessageText', 'editMessageCaption', 'editMessageReplyMarkup', 'editMessageMedia',
]);

/** What the outbox can deliver later ('message is not modified' counts as delivered there). */
const HANDOFF_METHODS: ReadonlySet<string> = new Set<OutboxMethod>([
  'sendMessage', 'sendPhoto', 'sendVoice', 'sendLocation', 'sendMediaGroup', 'sendDocument',
  'editMessageText', 'editMessageCaption', 'editMessageReplyMarkup',
]);

/** A chat action lasts about 5 s in the client; show it again a little before. */
const ACTION_EVERY_MS = 4000;

/**
 * The one way the bot's direct answers reach Telegram (src/bot/sendPath.ts routes telegraf's
 * calls here; the outbox dispatcher shares the limiter).
 *
 * - A message waits for its chat's and the bot's budget in the shared {@link SendLimiter},
 *   ahead of outbox traffic, and one chat's answers leave in the order they were asked for.
 * - 429: the chat is held for retry_after and the message sent again, the chat action
 *   showing meanwhile; when the wait would be long, the message goes to the outbox instead.
 * - 5xx and network failures: retried with backoff and jitter until a deadline of a few
 *   seconds, then {@link AnswerUndelivered}. 400 and 403 are Telegram's final word: rethrown.
 *
 * A retried send may arrive twice: Telegram has no idempotency key, and a request whose
 * connection dropped after Telegram acted on it (or that timed out, attemptTimeoutMs) looks like
 * one that never arrived. Each such failure makes at most one copy, and the deadline bounds the
 * retries; edits and callback answers repeat harmlessly. tests/notify/telegramGate.test.ts
 * counts them.
 */
export class TelegramGate {
  private readonly limiter: SendLimiter;
  private readonly clock: Clock;
  private readonly logger: DispatchLogger;
  private readonly handoff: Handoff | undefined;
  private readonly handoffAfterMs: number;
  private readonly retryForMs: number;
  private readonly attemptTimeoutMs: number;
  private readonly backoffBaseMs: number;
  private readonly random: () => number;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly counters: GateStats = { sent: 0, retried: 0, throttled: 0, handedOff: 0, undelivered: 0 };
  /** chat -> the last send queued for it: the next one starts after it */
  private readonly chains = new Map<string, Promise<unknown>>();
  /** chat -> sends queued or in flight */
  private readonly queued = new Map<string, number>();
  /** chat -> until when its answers go to the outbox (one was handed over: later ones must not overtake it) */
  private readonly handedOffUntil = new Map<string, number>();
  /** senders waiting for the bot's budget, in order, and the timer that serves them */
  private readonly globalLine: Array<() => void> = [];
  private globalLineTimer: NodeJS.Timeout | NodeJS.Immediate | undefined;
  /** chat -> when its chat action was last shown */
  private readonly actionShown = new Map<string, number>();

  constructor(options: GateOptions) {
    this.limiter = options.limiter;
    this.clock = options.clock;
    this.logger = options.logger;
    this.handoff = options.handoff;
    this.handoffAfterMs = options.handoffAfterMs ?? 10_000;
    this.retryForMs = options.retryForMs ?? 6000;
    this.attemptTimeoutMs = options.attemptTimeoutMs ?? 15_000;
    this.backoffBaseMs = options.backoffBaseMs ?? 200;
    this.random = options.random ?? Math.random;
    this.sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
  }

  /** Counters since construction. */
  stats(): GateStats {
    return { ...this.counters };
  }

  /**
   * Makes one Bot API call through the gate; `raw` makes the HTTP call.
   * @example gate.call('sendMessage', { chat_id: 42, text: 'hi' }, (m, p) => telegram.callApi(m, p))
   */
  call(method: string, payload: Record<string, unknown>, raw: RawCall): Promise<unknown> {
    const chatId = MESSAGE_METHODS.has(method) ? numericChat(payload['chat_id']) : undefined;
    if (chatId === undefined) return this.retrying(method, () => this.attempt(method, payload, raw));
    if (this.mayHandOff(method) && this.expectLongWait(chatId)) {
      return this.handOff(chatId, method, payload).then((placeholder) => placeholder ?? this.enqueue(chatId, method, payload, raw));
    }
    return this.enqueue(chatId, method, payload, raw);
  }

  /**
   * True when an answer to this chat would wait too long: one was just handed to the outbox
   * (later ones must not overtake it), or the answers queued ahead of it, one budget interval
   * apart, would take longer than handoffAfterMs. Then it goes to the outbox at once instead of
   * holding its handler.
   */
  private expectLongWait(chatId: number): boolean {
    const key = String(chatId);
    const now = this.nowMs();
    if ((this.handedOffUntil.get(key) ?? 0) > now) return true;
    const ahead = this.queued.get(key) ?? 0;
    const wait = ahead * this.limiter.intervalMs(chatId);
    if (ahead === 0 || wait <= this.handoffAfterMs) return false;
    this.handedOffUntil.set(key, now + wait);
    return true;
  }

  /**
   * Queues a message behind the chat's earlier ones: one chat's answers leave in the order
   * they were asked for. While any is queued, outbox rows for the chat wait (they are later).
   */
  private enqueue(chatId: number, method: string, payload: Record<string, unknown>, raw: RawCall): Promise<unknown> {
    const key = String(chatId);
    this.queued.set(key, (this.queued.get(key) ?? 0) + 1);
    const release = this.limiter.hold(chatId, false);
    const previous = this.chains.get(key) ?? Promise.resolve();
    const mine = previous.then(() => this.send(chatId, method, payload, raw));
    const settled = mine.then(
      () => undefined,
      () => undefined,
    );
    this.chains.set(key, settled);
    void settled.then(() => {
      release();
      const left = (this.queued.get(key) ?? 1) - 1;
      if (left > 0) this.queued.set(key, left);
      else this.queued.delete(key);
      if (this.chains.get(key) === settled) this.chains.delete(key);
    });
    return mine;
  }

  /**
   * Runs `fn` (any Bot API call, e.g. at start-up) again after 5xx and network failures until
   * the deadline, and after a 429 once its retry_after is over. Other errors are rethrown.
   */
  async retrying<T>(what: string, fn: () => Promise<T>, retryForMs = this.retryForMs): Promise<T> {
    let firstFailure: number | undefined;
    for (let attempt = 1; ; attempt++) {
      try {
        const result = await fn();
        return result;
      } catch (err) {
        const failure = classify(err);
        const now = this.nowMs();
        if (failure.kind === 'flood' && failure.retryAfterSec * 1000 <= this.handoffAfterMs) {
          this.counters.throttled++;
          await this.sleep(failure.retryAfterSec * 1000);
          continue;
        }
        // answerCallbackQuery after an attempt that may have arrived: already answered
        if (what === 'answerCallbackQuery' && firstFailure !== undefined && failure.kind === 'rejected' && /query is too old/i.test(failure.description)) {
          return true as T;
        }
        if (!retryable(failure)) throw err;
        firstFailure ??= now;
        const delay = this.backoff(attempt);
        if (now + delay - firstFailure > retryForMs) {
          this.counters.undelivered++;
          this.logger.warn({ method: what, err }, 'Bot API call failed until the deadline');
          throw new AnswerUndelivered(what, err);
        }
        this.counters.retried++;
        await this.sleep(delay);
      }
    }
  }

  private async send(chatId: number, method: string, payload: Record<string, unknown>, raw: RawCall): Promise<unknown> {
    let mayHandOff = this.mayHandOff(method);
    return this.retrying(method, async () => {
      for (;;) {
        const turn = await this.waitTurn(chatId, method, mayHandOff, raw);
        if (turn === 'long') {
          const placeholder = await this.handOff(chatId, method, payload);
          if (placeholder !== undefined) return placeholder;
          mayHandOff = false;
          continue;
        }
        try {
          const result = await this.attempt(method, payload, raw);
          this.counters.sent++;
          return result;
        } catch (err) {
          const failure = classify(err);
          if (failure.kind !== 'flood') throw err;
          // not retrying() itself: the limiter holds the chat, so that its other answers wait too
          this.counters.throttled++;
          this.limiter.penalise(chatId, failure.retryAfterSec, this.nowMs());
          this.logger.warn({ chatId, method, retryAfter: failure.retryAfterSec }, 'direct answer throttled (429)');
        }
      }
    });
  }

  /**
   * One HTTP attempt, abandoned (aborted) when Telegram has not answered in time. Telegram may
   * still have acted on it: the retry can make a copy (see the class comment).
   */
  private async attempt(method: string, payload: Record<string, unknown>, raw: RawCall): Promise<unknown> {
    const ms = UPLOADS.has(method) ? this.attemptTimeoutMs * 4 : this.attemptTimeoutMs;
    const abort = new AbortController();
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        abort.abort();
        reject(new AttemptTimedOut(method, ms));
      }, ms);
    });
    try {
      return await Promise.race([raw(method, payload, abort.signal), timedOut]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Waits until the limiter lets a message into the chat; 'long' when that would take too long. */
  private async waitTurn(chatId: number, method: string, mayHandOff: boolean, raw: RawCall): Promise<'go' | 'long'> {
    let release: (() => void) | undefined;
    try {
      for (;;) {
        const now = this.nowMs();
        const wait = this.limiter.reserve(chatId, now, 'interactive');
        if (wait === 0) return 'go';
        if (mayHandOff && wait > this.handoffAfterMs) {
          this.handedOffUntil.set(String(chatId), now + wait);
          if (this.handedOffUntil.size > 1000) this.forgetHandOffs(now);
          return 'long';
        }
        if (wait >= 1000) this.showAction(chatId, method, raw);
        const globalWait = this.limiter.globalWait(now, 'interactive');
        if (globalWait > 0 && globalWait >= wait) {
          // the bot's whole budget is the limit: wait in line (polling here would be a herd)
          release ??= this.limiter.hold(chatId, true);
          await this.nextGlobalToken();
          continue;
        }
        // look again at least every second: the chat action needs showing again while we wait
        await this.sleep(Math.min(wait, 1000));
      }
    } finally {
      release?.();
    }
  }

  /** Resolves when the bot's budget has a token for the caller: waiters are served first come, first served. */
  private nextGlobalToken(): Promise<void> {
    return new Promise((resolve) => {
      this.globalLine.push(resolve);
      this.serveGlobalLine();
    });
  }

  private serveGlobalLine(): void {
    if (this.globalLineTimer !== undefined) return;
    const head = this.globalLine[0];
    if (head === undefined) return;
    const wait = this.limiter.globalWait(this.nowMs(), 'interactive');
    const next = () => {
      this.globalLineTimer = undefined;
      this.serveGlobalLine();
    };
    if (wait > 0) {
      this.globalLineTimer = setTimeout(next, wait);
      return;
    }
    this.globalLine.shift();
    head();
    // the woken sender takes its token in a microtask; the next one is looked at after that
    this.globalLineTimer = setImmediate(next);
  }

  private async handOff(chatId: number, method: string, payload: Record<string, unknown>): Promise<unknown> {
    const params = storable(payload);
    if (!this.handoff || !params) return undefined;
    try {
      if (!(await this.handoff(chatId, method as OutboxMethod, params))) return undefined;
    } catch (err) {
      this.logger.error({ chatId, method, err }, 'could not hand a direct answer to the outbox');
      return undefined;
    }
    this.counters.handedOff++;
    this.logger.info({ chatId, method }, 'direct answer handed to the outbox (long wait)');
    // What telegraf's caller gets: a message that has no id yet (message_id 0).
    if (method === 'sendMediaGroup') return [];
    return { message_id: 0, date: Math.floor(this.nowMs() / 1000), chat: { id: chatId, type: chatId > 0 ? 'private' : 'group' } };
  }

  private mayHandOff(method: string): boolean {
    return this.handoff !== undefined && HANDOFF_METHODS.has(method);
  }

  private forgetHandOffs(now: number): void {
    for (const [key, until] of this.handedOffUntil) if (until <= now) this.handedOffUntil.delete(key);
  }

  /** Keeps "typing…" (or "sending a photo…") showing while the person's answer waits. */
  private showAction(chatId: number, method: string, raw: RawCall): void {
    const key = String(chatId);
    const now = Date.now();
    if (now - (this.actionShown.get(key) ?? 0) < ACTION_EVERY_MS) return;
    this.actionShown.set(key, now);
    if (this.actionShown.size > 1000) this.actionShown.clear();
    const action = method === 'sendPhoto' ? 'upload_photo' : method === 'sendDocument' ? 'upload_document' : 'typing';
    void raw('sendChatAction', { chat_id: chatId, action }).catch(() => undefined);
  }

  /** Exponential backoff with ±50% jitter, so that retries from many chats spread out. */
  private backoff(attempt: number): number {
    const raw = this.backoffBaseMs * 2 ** Math.min(10, attempt - 1);
    return Math.max(1, Math.round(raw * (0.5 + this.random())));
  }

  private nowMs(): number {
    return this.clock.now().getTime();
  }
}

/** 5xx and network failures; not 400/403 (Telegram's final word) nor 401/404/409 (configuration). */
function retryable(failure: ReturnType<typeof classify>): boolean {
  if (failure.kind !== 'transient') return false;
  return typeof failure.code !== 'number' || failure.code >= 500;
}

function numericChat(value: unknown): number | undefined {
  const n = typeof value === 'number' ? value : typeof value === 'string' && /^-?\d+$/.test(value) ? Number(value) : NaN;
  return Number.isSafeInteger(n) ? n : undefined;
}

/**
 * The payload as the outbox stores it (JSON; an uploaded Buffer as { base64, filename }, the
 * form withFiles() reads back), or undefined when it holds something that cannot be stored
 * (a stream, a local path).
 */
export function storable(payload: Record<string, unknown>): Record<string, unknown> | undefined {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(payload)) {
    if (key === 'chat_id' || value === undefined) continue;
    if (value && typeof value === 'object' && 'source' in value) {
      const file = value as { source: unknown; filename?: unknown };
      if (!Buffer.isBuffer(file.source)) return undefined;
      out[key] = { base64: file.source.toString('base64'), filename: typeof file.filename === 'string' ? file.filename : 'file' };
    } else if (value instanceof Object && !Array.isArray(value) && Object.getPrototypeOf(value) !== Object.prototype) {
      return undefined;
    } else out[key] = value;
  }
  return out;
}
