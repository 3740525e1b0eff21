import type { Telegraf } from 'telegraf';
import type { BotContext } from '../context.ts';
import { answer, dropButtons, inline, say } from '../reply.ts';
import { seesEverything } from '../../domain/lifecycle.ts';
import type { ExportFormat, ExportPeriod, ExportStatus } from '../../services/export.ts';
import { keepShowing } from './chatAction.ts';

const PERIODS: readonly ExportPeriod[] = ['all', 'month', 'd30', 'd90'];
const STATUSES: readonly ExportStatus[] = ['all', 'open', 'finished'];
const FORMATS: readonly ExportFormat[] = ['xlsx', 'csv'];

/** /export: the ledger as .xlsx (or .csv), filtered by period and status with buttons. */
export function exportFeature(bot: Telegraf<BotContext>): void {
  const allowed = async (ctx: BotContext) => {
    if (seesEverything(ctx.vd.user.role)) return true;
    if (ctx.callbackQuery) await answer(ctx, ctx.vd.t('errors:not_permitted'), true);
    else if (ctx.chat?.type === 'private') await say(ctx, ctx.vd.t('errors:not_permitted'));
    return false;
  };
  bot.command('export', async (ctx) => {
    if (!(await allowed(ctx))) return;
    const { t } = ctx.vd;
    await say(ctx, t('export:choose_period'), inline([PERIODS.slice(0, 2).map((p) => ({ text: t(`export:period_${p}`), callback_data: `ex:${p}` })), PERIODS.slice(2).map((p) => ({ text: t(`export:period_${p}`), callback_data: `ex:${p}` }))]));
  });
  bot.action(/^ex:(all|month|d30|d90)(?::(all|open|finished))?(?::(xlsx|csv))?$/, async (ctx) => {
    if (!(await allowed(ctx))) return;
    const { t, services, locale } = ctx.vd;
    const [, period, status, format] = ctx.match;
    await answer(ctx);
    await dropButtons(ctx);
    if (!status) {
      await say(ctx, t('export:choose_status'), inline([STATUSES.map((s) => ({ text: t(`export:status_${s}`), callback_data: `ex:${period}:${s}` }))]));
      return;
    }
    if (!format) {
      await say(ctx, t('export:choose_format'), inline([FORMATS.map((f) => ({ text: f === 'xlsx' ? t('export:format_xlsx') : t('export:format_csv'), callback_data: `ex:${period}:${status}:${f}` }))]));
      return;
    }
    await keepShowing(ctx, 'upload_document', async () => {
      const result = await services.exports.write({
        period: period as ExportPeriod,
        status: status as ExportStatus,
        format: format as ExportFormat,
        locale,
        now: services.clock.now(),
      });
      try {
        await ctx.replyWithDocument({ source: result.file, filename: result.filename }, { caption: t('export:done', { count: result.rows }), parse_mode: 'HTML' });
      } finally {
        result.cleanup();
      }
    });
  });
}
