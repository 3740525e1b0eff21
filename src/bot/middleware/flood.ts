import type { Middleware } from 'telegraf';
import type { Logger } from '../../logger.ts';
import type { Clock } from '../../domain/time.ts';
import { resolveLocale } from '../../domain/locale.ts';
import type { Locale, Texts } from '../../i18n/index.ts';
import type { BotContext } from '../context.ts';
import type { KeyedQueue } from '../serialize.ts';

/** How many updates a minute one sender may send, and how long they are ignored past that. */
export interface FloodLimits {
  perMinute: number;
  staffPerMinute: number;
  pauseMs: number;
}

/** What the gate says about one update: handle it, tell the sender once that they are paused, or drop it. */
export type FloodVerdict = 'pass' | 'notice' | 'drop';

interface Sender {
  /** leaky-bucket level: updates counted, draining at the per-minute rate */
  level: number;
  at: number;
  pausedUntil: number;
}

/** Known senders kept for their role and language (bounded: the oldest are forgotten first). */
const KNOWN_MAX = 100_000;
/** Idle buckets are swept this often (counted in updates), so memory follows active senders only. */
const SWEEP_EVERY = 10_000;

/**
 * Per-sender flood control, in memory and in O(1) per update, so that it can stand in front of
 * everything that costs (the update claim, the sender lookup, the handlers). A leaky bucket per
 * Telegram user id: each update adds one, the level drains at the per-minute limit, so a burst of
 * up to the limit passes and a steady rate up to the limit never trips it. Past the limit the
 * sender is paused: the update that tripped it gets one notice, the rest are dropped unanswered
 * until the pause ends. Staff (known from earlier updates, see `remember`) get the higher limit.
 * Guarded end to end by tests/e2e/flood.test.ts.
 */
export class FloodGate {
  private readonly senders = new Map<number, Sender>();
  private readonly known = new Map<number, { staff: boolean; locale: Locale }>();
  private seen = 0;

  constructor(private readonly limits: FloodLimits) {}

  admit(senderId: number, nowMs: number): FloodVerdict {
    if ((this.seen += 1) % SWEEP_EVERY === 0) this.sweep(nowMs);
    const limit = this.known.get(senderId)?.staff ? this.limits.staffPerMinute : this.limits.perMinute;
    const s = this.senders.get(senderId) ?? { level: 0, at: nowMs, pausedUntil: 0 };
    this.senders.set(senderId, s);
    if (nowMs < s.pausedUntil) return 'drop';
    s.level = Math.max(0, s.level - ((nowMs - s.at) * limit) / 60_000) + 1;
    s.at = nowMs;
    if (s.level <= limit) return 'pass';
    // paused: the bucket starts empty again when the pause is over
    s.pausedUntil = nowMs + this.limits.pauseMs;
    s.level = 0;
    s.at = s.pausedUntil;
    return 'notice';
  }

  /** Records what the database said about a sender, for their limit and the language of the notice. */
  remember(senderId: number, staff: boolean, locale: Locale): void {
    this.known.delete(senderId);
    this.known.set(senderId, { staff, locale });
    if (this.known.size > KNOWN_MAX) this.known.delete(this.known.keys().next().value!);
  }

  localeOf(senderId: number): Locale | undefined {
    return this.known.get(senderId)?.locale;
  }

  get pauseMs(): number {
    return this.limits.pauseMs;
  }

  /** Senders currently tracked (for tests and the benchmark). */
  get tracked(): number {
    return this.senders.size;
  }

  private sweep(nowMs: number): void {
    const { perMinute, staffPerMinute } = this.limits;
    const slowest = Math.min(perMinute, staffPerMinute);
    for (const [id, s] of this.senders) {
      if (nowMs >= s.pausedUntil && s.level - ((nowMs - s.at) * slowest) / 60_000 <= 0) this.senders.delete(id);
    }
  }
}

/**
 * The flood gate as the first middleware: a paused sender's updates end here, before any
 * database work or queueing behind their own earlier updates.
 */
export function floodGuard(deps: { gate: FloodGate; clock: Clock; texts: Texts; defaultLocale: Locale; logger: Logger; perUser: KeyedQueue }): Middleware<BotContext> {
  return async (ctx, next) => {
    const from = ctx.from;
    if (!from || from.is_bot) return next();
    const verdict = deps.gate.admit(from.id, deps.clock.now().getTime());
    if (verdict === 'pass') return next();
    if (verdict === 'drop') return;
    deps.logger.warn({ updateId: ctx.update.update_id, pauseSeconds: Math.round(deps.gate.pauseMs / 1000) }, 'sender paused for flooding');
    // said in private only: a notice in a group would add to the noise the pause is against
    if (ctx.chat?.type !== 'private') return;
    const locale = deps.gate.localeOf(from.id) ?? resolveLocale(null, from.language_code, deps.defaultLocale);
    const t = deps.texts.forLocale(locale);
    const minutes = Math.max(1, Math.ceil(deps.gate.pauseMs / 60_000));
    // in line behind the answers to their earlier updates, so the notice is the last thing they see
    await deps.perUser.run(String(from.id), () => ctx.reply(t('guard:flood_paused', { count: minutes }), { parse_mode: 'HTML' })).catch((error: unknown) => {
      deps.logger.warn({ err: error, updateId: ctx.update.update_id }, 'could not tell a flooding sender about the pause');
    });
  };
}
