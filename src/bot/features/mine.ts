import type { Telegraf } from 'telegraf';
import type { BotContext } from '../context.ts';
import { answer, inline, say } from '../reply.ts';
import { categoryName, formatDateTime, reportRef } from '../../i18n/format.ts';
import { historyLines, reportCard, reporterLabel, statusLabel } from '../../notify/render.ts';
import { availableActions } from '../../domain/lifecycle.ts';
import { actionKeyboard, reportButtonData } from '../../notify/render.ts';
import { Refused } from '../../services/errors.ts';

/** Shows one report with its history, and the buttons the viewer may press. */
export async function showReport(ctx: BotContext, number: number): Promise<void> {
  const { services, user, t, reader } = ctx.vd;
  const view = await services.reports.view(user, number);
  const { report } = view;
  const isStaffView = report.reporterId !== user.id && user.role !== 'resident';
  const who = isStaffView ? { reporter: reporterLabel(report, view.reporter, reader), owner: view.owner?.displayName ?? null } : undefined;
  const history = historyLines(view.events, reader, (id) =>
    id === null ? t('history:system') : id === report.reporterId ? t('history:reporter') : (view.names.get(id) ?? t('history:staff')),
  );
  // staff should know when the bot cannot reach the reporter (they blocked it)
  const unreachable = isStaffView && view.reporter?.unreachableAt && !report.anonymous ? `\n${t('report:reporter_unreachable')}` : '';
  const text = `${reportCard(report, reader, services.clock.now(), who)}${unreachable}\n\n${t('history:title')}\n${history}`;
  const actions = availableActions(report, { kind: 'user', userId: user.id, role: user.role });
  await say(ctx, text, actionKeyboard(report, actions, reader));
}

/** /my lists the user's own reports; /status N shows one with its history. */
export function registerMine(bot: Telegraf<BotContext>): void {
  const listMine = async (ctx: BotContext) => {
    const { services, user, t, locale, reader } = ctx.vd;
    const reports = await services.reports.summaries(user);
    if (reports.length === 0) {
      await say(ctx, t('my:empty'));
      return;
    }
    const lines = reports.map((r) =>
      t('my:line', {
        ref: reportRef(r.number),
        category: categoryName(r.category, locale, t),
        status: statusLabel(r.status, reader),
        due: formatDateTime(r.dueAt, services.timeZone),
      }),
    );
    const buttons = reports.slice(0, 10).map((r) => ({ text: reportRef(r.number), callback_data: reportButtonData(r.number, 'open') }));
    const rows = [];
    for (let i = 0; i < buttons.length; i += 5) rows.push(buttons.slice(i, i + 5));
    await say(ctx, `${t('my:title')}\n${lines.join('\n')}\n\n${t('my:hint')}`, inline(rows));
  };
  bot.command('my', async (ctx) => {
    if (ctx.chat.type !== 'private') return;
    await listMine(ctx);
  });
  bot.action('menu:my', async (ctx) => {
    await answer(ctx);
    await listMine(ctx);
  });
  bot.command('status', async (ctx) => {
    const arg = ctx.payload.trim().replace(/^#/, '');
    if (!/^\d{1,9}$/.test(arg)) {
      await say(ctx, ctx.vd.t('my:status_usage'));
      return;
    }
    await showReport(ctx, Number(arg));
  });
  bot.action(/^r:(\d+):open$/, async (ctx) => {
    await answer(ctx);
    try {
      await showReport(ctx, Number(ctx.match[1]));
    } catch (error) {
      if (error instanceof Refused) await say(ctx, ctx.vd.t(`errors:${error.code}`));
      else throw error;
    }
  });
}
