import type { Middleware } from 'telegraf';
import type { Logger } from '../../logger.ts';
import type { Clock } from '../../domain/time.ts';
import { resolveLocale } from '../../domain/locale.ts';
import type { Locale, Texts } from '../../i18n/index.ts';
import { isStorageUnavailable, storageReason } from '../../db/storage.ts';
import type { BotContext } from '../context.ts';

/**
 * Whether the ledger could be written lately. The first failure of an outage is logged as one
 * clear line, the rest are only counted; the first update that succeeds afterwards logs that it
 * is over. Guarded by tests/e2e/storage.test.ts (a real full file system).
 */
export class StorageHealth {
  private downSince: number | null = null;
  private failures = 0;

  constructor(private readonly deps: { logger: Logger; clock: Clock }) {}

  get isDown(): boolean {
    return this.downSince !== null;
  }

  failed(error: unknown, updateId: number): void {
    this.failures += 1;
    if (this.downSince !== null) return;
    this.downSince = this.deps.clock.now().getTime();
    this.deps.logger.error(
      { updateId, reason: storageReason(error) },
      'the ledger cannot be written (disk full or read-only?): users are told to try again later; free space or fix permissions, no restart needed',
    );
  }

  succeeded(): void {
    if (this.downSince === null) return;
    const seconds = Math.round((this.deps.clock.now().getTime() - this.downSince) / 1000);
    this.deps.logger.warn({ failedUpdates: this.failures, seconds }, 'the ledger can be written again');
    this.downSince = null;
    this.failures = 0;
  }
}

/**
 * Around everything that touches the database: an update that fails because the ledger cannot be
 * written gets "cannot save right now" in the sender's language instead of the generic failure.
 * Nothing was changed (each write is one statement or one transaction), so the draft the person
 * had is still there when they try again.
 */
export function storageGuard(deps: { health: StorageHealth; texts: Texts; defaultLocale: Locale; localeOf: (senderId: number) => Locale | undefined; logger: Logger }): Middleware<BotContext> {
  return async (ctx, next) => {
    try {
      await next();
    } catch (error) {
      if (!isStorageUnavailable(error)) throw error;
      deps.health.failed(error, ctx.update.update_id);
      const from = ctx.from;
      // ctx.vd is missing when the very first write (claiming the update) failed
      const vd = ctx.vd as BotContext['vd'] | undefined;
      const locale = vd?.locale ?? (from ? (deps.localeOf(from.id) ?? resolveLocale(null, from.language_code, deps.defaultLocale)) : deps.defaultLocale);
      const text = deps.texts.forLocale(locale)('guard:cannot_save');
      try {
        if (ctx.callbackQuery) await ctx.answerCbQuery(text, { show_alert: true });
        else if (ctx.chat?.type === 'private') await ctx.reply(text, { parse_mode: 'HTML' });
      } catch (second) {
        deps.logger.warn({ err: second, updateId: ctx.update.update_id }, 'could not tell the user that nothing can be saved');
      }
      return;
    }
    deps.health.succeeded();
  };
}
