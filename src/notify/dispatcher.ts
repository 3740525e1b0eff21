import { TelegramError } from 'telegraf';
import type { PrismaClient } from '../generated/prisma/client.ts';
import type { Clock } from '../domain/time.ts';
import type { OutboxPayload } from './outbox.ts';
import { SendLimiter } from './limiter.ts';

/** The one Bot API call the dispatcher needs; telegraf's `bot.telegram` satisfies it. */
export interface SendApi {
  callApi(method: string, params: Record<string, unknown>): Promise<unknown>;
}

/** What the dispatcher logs with (pino's Logger fits). */
export interface DispatchLogger {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
  debug(obj: object, msg?: string): void;
}

/** Collaborators and tuning of {@link OutboxDispatcher}. */
export interface DispatcherDeps {
  db: PrismaClient;
  api: SendApi;
  clock: Clock;
  logger: DispatchLogger;
  limiter?: SendLimiter;
  /** how often the running loop looks for due rows when nothing woke it (ms) */
  pollMs?: number;
  /** failed (5xx/network) attempts before a message is given up as dead */
  maxAttempts?: number;
  /** first retry delay; doubles per attempt (ms) */
  backoffBaseMs?: number;
  /** longest retry delay (ms) */
  backoffMaxMs?: number;
  /** sends in flight at once (each to a different chat) */
  concurrency?: number;
  /** due rows looked at per pass */
  batchSize?: number;
  /** a send that has not answered by then counts as a network failure (ms) */
  sendTimeoutMs?: number;
  /** the bot was removed from a group (403): e.g. forget it as the leaders' group */
  onGroupUnreachable?: (chatId: number) => void | Promise<void>;
  /** jitter source, injectable for tests */
  random?: () => number;
}

/** Counters for benchmarks and health output. */
export interface DispatchStats {
  sent: number;
  /** failed sends put back with a backoff */
  retried: number;
  dead: number;
  /** 429 answers */
  throttled: number;
}

/** What {@link OutboxDispatcher.drain} did: rows sent and given up during the call, rows still pending. */
export interface DrainResult {
  sent: number;
  dead: number;
  pending: number;
}

/** A chat's oldest pending row, as the head query returns it. */
interface HeadRow {
  id: number;
  chatId: bigint;
  payload: string;
  attempts: number;
}

/** How a failed send is handled. */
export type Failure =
  | { kind: 'flood'; code: number; retryAfterSec: number; description: string }
  | { kind: 'transient'; code: number | string; description: string }
  | { kind: 'unreachable'; code: number; description: string }
  | { kind: 'rejected'; code: number; description: string }
  | { kind: 'not_modified' };

/** Sent when a chat's earlier message found its recipient gone. */
const UNREACHABLE = 'recipient unreachable';

/**
 * Delivers the outbox: every message the bot owes, at most as fast as Telegram accepts.
 *
 * Delivery is at least once. A row becomes 'sent' only after Telegram answered ok, and the
 * HTTP call is never inside a database transaction; a crash (or a failed write) between the
 * answer and the update leaves the row pending, so it is sent again: a rare duplicate notice
 * is better than a lost one. Run one dispatcher per database (the bot's, or the jobs CLI's
 * drain while the bot is down): two would each send the same due rows.
 *
 * Order: each pass takes the oldest pending row of each chat (its head) and serves heads by
 * priority, then age, so interactive messages overtake bulk ones across chats, and one chat's
 * messages leave strictly in id order. A head that waits (rate limit, 429, retry backoff)
 * holds back the rest of its chat. A row merely scheduled for later (quiet hours: attempts 0,
 * notBefore in the future) does not hold back later rows that are due now.
 */
export class OutboxDispatcher {
  private readonly db: PrismaClient;
  private readonly api: SendApi;
  private readonly clock: Clock;
  private readonly logger: DispatchLogger;
  private readonly limiter: SendLimiter;
  private readonly pollMs: number;
  private readonly maxAttempts: number;
  private readonly backoffBaseMs: number;
  private readonly backoffMaxMs: number;
  private readonly concurrency: number;
  private readonly batchSize: number;
  private readonly sendTimeoutMs: number;
  private readonly onGroupUnreachable: ((chatId: number) => void | Promise<void>) | undefined;
  private readonly random: () => number;

  private readonly counters: DispatchStats = { sent: 0, retried: 0, dead: 0, throttled: 0 };
  /** chat id -> the delivery in flight to it */
  private readonly inFlight = new Map<string, Promise<void>>();
  /** chats whose delivery settled while the current pass was reading; see {@link pass} */
  private readonly settledDuringPass = new Set<string>();
  private loop: Promise<void> | undefined;
  private running = false;
  private draining = false;
  private wakeUp: (() => void) | undefined;
  /** a wake() that came while no one was asleep: the next sleep returns at once */
  private woken = false;

  constructor(deps: DispatcherDeps) {
    this.db = deps.db;
    this.api = deps.api;
    this.clock = deps.clock;
    this.logger = deps.logger;
    this.limiter = deps.limiter ?? new SendLimiter();
    this.pollMs = deps.pollMs ?? 500;
    this.maxAttempts = deps.maxAttempts ?? 12;
    this.backoffBaseMs = deps.backoffBaseMs ?? 1000;
    this.backoffMaxMs = deps.backoffMaxMs ?? 60_000;
    this.concurrency = deps.concurrency ?? 8;
    this.batchSize = deps.batchSize ?? 200;
    this.sendTimeoutMs = deps.sendTimeoutMs ?? 30_000;
    this.onGroupUnreachable = deps.onGroupUnreachable;
    this.random = deps.random ?? Math.random;
  }

  /** Starts the delivery loop in the background (idempotent). */
  start(): void {
    if (this.running) return;
    if (this.draining) throw new Error('OutboxDispatcher: start() while drain() runs');
    this.running = true;
    this.loop = this.runLoop();
  }

  /** Stops the loop after the sends in flight have been answered and recorded. */
  async stop(): Promise<void> {
    this.running = false;
    this.wake();
    await this.loop;
    this.loop = undefined;
    await this.settleAll();
  }

  /** Something was just written to the outbox: look now instead of at the next poll. */
  wake(): void {
    this.woken = true;
    const wake = this.wakeUp;
    this.wakeUp = undefined;
    wake?.();
  }

  /** Counters since construction. */
  stats(): DispatchStats {
    return { ...this.counters };
  }

  /**
   * Delivers everything due now, waiting out rate limits, 429s and the backoff of rows that
   * failed (they were due), until nothing due is left or `until` has passed. Rows scheduled
   * for later stay pending. For the jobs CLI and tests; not while the loop runs.
   */
  async drain(opts: { until?: Date } = {}): Promise<DrainResult> {
    if (this.running) throw new Error('OutboxDispatcher: drain() while the loop runs; stop() first');
    if (this.draining) throw new Error('OutboxDispatcher: drain() already running');
    this.draining = true;
    const before = this.stats();
    const deadline = opts.until?.getTime();
    try {
      for (;;) {
        const { dueHeads, waitMs } = await this.pass();
        const now = this.clock.now();
        if (deadline !== undefined && now.getTime() >= deadline) break;
        let sleepMs = waitMs;
        if (this.inFlight.size === 0 && dueHeads === 0) {
          // Nothing due: only rows in retry backoff (which were due) keep the drain going.
          const retryAt = await this.nextRetryAt();
          if (retryAt === undefined) break;
          sleepMs = Math.max(1, retryAt - now.getTime());
        }
        if (deadline !== undefined) sleepMs = Math.min(sleepMs, Math.max(1, deadline - now.getTime()));
        await this.sleep(sleepMs);
      }
    } finally {
      await this.settleAll(); // the sends in flight are answered and recorded, even on error
      this.draining = false;
    }
    const after = this.stats();
    const pending = await this.db.outboxMessage.count({ where: { status: 'pending' } });
    return { sent: after.sent - before.sent, dead: after.dead - before.dead, pending };
  }

  private async runLoop(): Promise<void> {
    while (this.running) {
      let waitMs = this.pollMs;
      try {
        waitMs = Math.min(this.pollMs, (await this.pass()).waitMs);
      } catch (err) {
        this.logger.error({ err }, 'outbox pass failed');
      }
      if (!this.running) break;
      await this.sleep(waitMs);
    }
  }

  /**
   * One look at the due heads: starts as many sends as the limiter and the concurrency allow.
   * Returns how many heads were due and how long until the limiter lets the next one go (or
   * pollMs). A send that finishes wakes the caller's sleep.
   */
  private async pass(): Promise<{ dueHeads: number; waitMs: number }> {
    if (this.inFlight.size >= this.concurrency) return { dueHeads: this.inFlight.size, waitMs: this.pollMs };
    this.settledDuringPass.clear();
    const heads = await this.dueHeads(this.clock.now());
    let waitMs = this.pollMs;
    for (const row of heads) {
      if (this.inFlight.size >= this.concurrency) break;
      const key = String(row.chatId);
      // In flight, or settled while the query ran (the row read may be stale): the settling
      // delivery wakes another pass, which reads it afresh.
      if (this.inFlight.has(key) || this.settledDuringPass.has(key)) continue;
      const nowMs = this.clock.now().getTime();
      const globalWait = this.limiter.globalWait(nowMs);
      if (globalWait > 0) {
        waitMs = Math.min(waitMs, globalWait);
        break; // later heads are lower priority: they wait too
      }
      const wait = this.limiter.reserve(Number(row.chatId), nowMs);
      if (wait > 0) {
        waitMs = Math.min(waitMs, wait);
        continue;
      }
      const delivery = this.deliver(row).finally(() => {
        this.inFlight.delete(key);
        this.settledDuringPass.add(key);
        this.wake();
      });
      this.inFlight.set(key, delivery);
    }
    return { dueHeads: heads.length, waitMs: Math.max(1, waitMs) };
  }

  /**
   * Each chat's oldest pending row that is due or in retry backoff (that row holds the chat
   * back), kept when it is itself due, most urgent first.
   */
  private async dueHeads(now: Date): Promise<HeadRow[]> {
    // a Date parameter: the same SQL on SQLite (unix ms) and PostgreSQL (timestamp)
    const t = now;
    const rows = await this.db.$queryRaw<Array<{ id: number | bigint; chatId: number | bigint; payload: string; attempts: number | bigint }>>`
      WITH heads AS (
        SELECT MIN("id") AS "id" FROM "OutboxMessage"
        WHERE "status" = 'pending' AND ("notBefore" <= ${t} OR "attempts" > 0)
        GROUP BY "chatId"
      )
      SELECT o."id", o."chatId", o."payload", o."attempts"
      FROM "OutboxMessage" o JOIN heads h ON h."id" = o."id"
      WHERE o."notBefore" <= ${t}
      ORDER BY o."priority" ASC, o."id" ASC
      LIMIT ${this.batchSize}`;
    return rows.map((r) => ({ id: Number(r.id), chatId: BigInt(r.chatId), payload: r.payload, attempts: Number(r.attempts) }));
  }

  /** The earliest notBefore of a pending row that already failed at least once. */
  private async nextRetryAt(): Promise<number | undefined> {
    const row = await this.db.outboxMessage.findFirst({
      where: { status: 'pending', attempts: { gt: 0 } },
      orderBy: { notBefore: 'asc' },
      select: { notBefore: true },
    });
    return row?.notBefore.getTime();
  }

  /** Sends one row and records the outcome. Never throws. */
  private async deliver(row: HeadRow): Promise<void> {
    const chatId = Number(row.chatId);
    let payload: OutboxPayload;
    try {
      payload = JSON.parse(row.payload) as OutboxPayload;
      if (typeof payload.method !== 'string' || typeof payload.params !== 'object' || payload.params === null) throw new Error('not {method, params}');
    } catch (err) {
      this.logger.error({ outboxId: row.id, chatId, err }, 'outbox payload unreadable: dead');
      await this.record(row, () => this.markDead(row, `bad payload: ${errorText(err)}`));
      return;
    }
    let failure: Failure | undefined;
    try {
      await this.callWithTimeout(payload.method, { chat_id: chatId, ...withFiles(payload.params) });
    } catch (err) {
      failure = classify(err);
    }
    await this.record(row, async () => {
      if (!failure || failure.kind === 'not_modified') return this.markSent(row);
      return this.handleFailure(row, chatId, payload.method, failure);
    });
  }

  /** Runs a bookkeeping write; a failure leaves the row pending (sent again later: at least once). */
  private async record(row: HeadRow, write: () => Promise<void>): Promise<void> {
    try {
      await write();
    } catch (err) {
      this.logger.error({ outboxId: row.id, chatId: Number(row.chatId), err }, 'outbox bookkeeping failed; the row stays pending');
    }
  }

  private async callWithTimeout(method: string, params: Record<string, unknown>): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new SendTimeoutError(this.sendTimeoutMs)), this.sendTimeoutMs);
    });
    try {
      await Promise.race([this.api.callApi(method, params), timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  private async markSent(row: HeadRow): Promise<void> {
    await this.db.outboxMessage.updateMany({
      where: { id: row.id, status: 'pending' },
      data: { status: 'sent', sentAt: this.clock.now(), attempts: { increment: 1 } },
    });
    this.counters.sent++;
  }

  private async markDead(row: HeadRow, lastError: string): Promise<void> {
    const n = await this.db.outboxMessage.updateMany({
      where: { id: row.id, status: 'pending' },
      data: { status: 'dead', lastError, attempts: { increment: 1 } },
    });
    this.counters.dead += n.count;
  }

  private async handleFailure(row: HeadRow, chatId: number, method: string, failure: Exclude<Failure, { kind: 'not_modified' }>): Promise<void> {
    const now = this.clock.now();
    const log = { outboxId: row.id, chatId, method, code: failure.code, description: failure.description };
    const lastError = `${failure.code}: ${failure.description}`.slice(0, 500);
    switch (failure.kind) {
      case 'flood': {
        // Not the message's fault: no attempt is counted and the row stays due; the limiter
        // holds the chat (in memory, so that a later row cannot overtake it) until retry_after.
        this.counters.throttled++;
        this.limiter.penalise(chatId, failure.retryAfterSec, now.getTime());
        this.logger.warn({ ...log, retryAfter: failure.retryAfterSec }, 'outbox send throttled (429)');
        await this.db.outboxMessage.updateMany({ where: { id: row.id, status: 'pending' }, data: { lastError } });
        return;
      }
      case 'transient': {
        const attempts = row.attempts + 1;
        if (attempts >= this.maxAttempts) {
          this.logger.error({ ...log, attempts }, 'outbox send failed too often: dead');
          await this.markDead(row, lastError);
          return;
        }
        const delay = this.backoff(attempts);
        this.logger.warn({ ...log, attempts, retryInMs: delay }, 'outbox send failed: will retry');
        await this.db.outboxMessage.updateMany({
          where: { id: row.id, status: 'pending' },
          data: { attempts, lastError, notBefore: new Date(now.getTime() + delay) },
        });
        this.counters.retried++;
        return;
      }
      case 'rejected': {
        this.logger.warn(log, 'outbox message refused by Telegram (400): dead');
        await this.markDead(row, lastError);
        return;
      }
      case 'unreachable': {
        // Blocked, kicked or deactivated: the chat's later messages cannot arrive either.
        this.logger.warn(log, 'outbox recipient unreachable (403): dead');
        const deadNow = await this.db.$transaction(async (tx) => {
          const own = await tx.outboxMessage.updateMany({
            where: { id: row.id, status: 'pending' },
            data: { status: 'dead', lastError, attempts: { increment: 1 } },
          });
          const later = await tx.outboxMessage.updateMany({
            where: { chatId: row.chatId, status: 'pending', id: { gt: row.id } },
            data: { status: 'dead', lastError: UNREACHABLE },
          });
          if (chatId > 0) await tx.user.updateMany({ where: { telegramId: row.chatId }, data: { unreachableAt: now } });
          return own.count + later.count;
        });
        this.counters.dead += deadNow;
        if (chatId < 0 && this.onGroupUnreachable) {
          try {
            await this.onGroupUnreachable(chatId);
          } catch (err) {
            this.logger.error({ chatId, err }, 'onGroupUnreachable failed');
          }
        }
        return;
      }
    }
  }

  /** Exponential backoff (base, 2×base, 4×base … capped) with ±20% jitter so retries spread out. */
  private backoff(attempts: number): number {
    const raw = Math.min(this.backoffMaxMs, this.backoffBaseMs * 2 ** Math.min(30, attempts - 1));
    return Math.max(1, Math.round(raw * (0.8 + 0.4 * this.random())));
  }

  private sleep(ms: number): Promise<void> {
    if (this.woken) {
      this.woken = false;
      return Promise.resolve();
    }
    return new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        this.wakeUp = undefined;
        resolve();
      }, ms);
      this.wakeUp = () => {
        clearTimeout(timer);
        resolve();
      };
    }).then(() => {
      this.woken = false;
    });
  }

  private async settleAll(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.all([...this.inFlight.values()]);
    this.woken = false;
  }
}

/** A send that got no answer in time; handled like a network failure. */
class SendTimeoutError extends Error {
  override readonly name = 'SendTimeoutError';
  readonly code = 'ETIMEDOUT';
  constructor(ms: number) {
    super(`no answer from Telegram within ${ms} ms`);
  }
}

/** Sorts a send failure into what to do about it (the outbox and telegramGate.ts alike). */
export function classify(err: unknown): Failure {
  if (err instanceof TelegramError) {
    const code = err.code;
    const description = err.description ?? err.message;
    if (code === 429) {
      const retryAfter = err.parameters?.retry_after;
      return { kind: 'flood', code, description, retryAfterSec: typeof retryAfter === 'number' && retryAfter > 0 ? retryAfter : 5 };
    }
    if (code === 403) return { kind: 'unreachable', code, description };
    if (code === 400) {
      if (/message is not modified/i.test(description)) return { kind: 'not_modified' };
      return { kind: 'rejected', code, description };
    }
    // 5xx, and 401/404/409 (token or configuration trouble, not this message's): retry.
    return { kind: 'transient', code, description };
  }
  const code = typeof err === 'object' && err !== null && 'code' in err && (typeof err.code === 'string' || typeof err.code === 'number') ? err.code : errorName(err);
  return { kind: 'transient', code, description: errorText(err) };
}

function errorName(err: unknown): string {
  return err instanceof Error ? err.name : 'Error';
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/**
 * Files cannot live in the JSON payload as bytes: an owed image (the weekly digest chart) is
 * stored as { base64, filename } and turned into an upload (telegraf's InputFile) here.
 */
export function withFiles(params: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(params)) {
    if (value && typeof value === 'object' && 'base64' in value && typeof (value as { base64: unknown }).base64 === 'string') {
      const file = value as { base64: string; filename?: string };
      out[key] = { source: Buffer.from(file.base64, 'base64'), filename: file.filename ?? 'file' };
    } else out[key] = value;
  }
  return out;
}
