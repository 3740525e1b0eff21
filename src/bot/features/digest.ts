import type { Telegraf } from 'telegraf';
import type { BotContext } from '../context.ts';
import { answer, dropButtons, inline, say } from '../reply.ts';
import { seesEverything } from '../../domain/lifecycle.ts';
import type { PeriodKind } from '../../domain/rates.ts';
import { keepShowing } from './chatAction.ts';

const PERIODS: readonly PeriodKind[] = ['today', 'week', 'month'];

/** Leaders and admins only; in groups, only in the leaders' group (checked by the group gate). */
async function mayReadDigests(ctx: BotContext): Promise<boolean> {
  if (seesEverything(ctx.vd.user.role)) return true;
  if (ctx.callbackQuery) await answer(ctx, ctx.vd.t('errors:not_permitted'), true);
  else if (ctx.chat?.type === 'private') await say(ctx, ctx.vd.t('errors:not_permitted'));
  return false;
}

/** /digest: today, this week or this month, with the three rates, rankings and a chart. */
export function digestFeature(bot: Telegraf<BotContext>): void {
  bot.command('digest', async (ctx) => {
    if (!(await mayReadDigests(ctx))) return;
    const { t } = ctx.vd;
    await say(ctx, t('digest:choose_period'), inline([PERIODS.map((p) => ({ text: t(`digest:period_${p}`), callback_data: `dg:${p}` }))]));
  });
  bot.action(/^dg:(today|week|month)$/, async (ctx) => {
    if (!(await mayReadDigests(ctx))) return;
    const { services, locale } = ctx.vd;
    await answer(ctx);
    await dropButtons(ctx);
    await keepShowing(ctx, 'upload_photo', async () => {
      const figures = await services.digests.figures(ctx.match[1] as PeriodKind);
      const view = await services.digests.render(figures, { locale });
      await ctx.replyWithPhoto({ source: view.chart, filename: 'digest.png' }, { caption: view.caption, parse_mode: 'HTML' });
      for (const [i, part] of view.parts.entries()) await say(ctx, part, i === view.parts.length - 1 ? view.keyboard : undefined);
    });
  });
}
