import type { Telegraf } from 'telegraf';
import type { BotContext } from '../context.ts';
import { say } from '../reply.ts';

/** /help explains the commands this user may use, in their language. */
export function registerHelp(bot: Telegraf<BotContext>): void {
  bot.help(async (ctx) => {
    const { t, user } = ctx.vd;
    const parts = [t('help:resident')];
    if (user.role !== 'resident') parts.push(t('help:cadre'));
    if (user.role === 'leader' || user.role === 'admin') parts.push(t('help:leader'));
    if (user.role === 'admin') parts.push(t('help:admin'));
    await say(ctx, parts.join('\n\n'));
  });
}
