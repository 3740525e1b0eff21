import type { Telegraf } from 'telegraf';
import type { BotContext } from '../context.ts';
import { say } from '../reply.ts';
import { seesEverything } from '../../domain/lifecycle.ts';
import { setGroupMenu } from '../commands.ts';

/** The leaders' group: /bindgroup, and what happens when the bot is removed from it. */
export function registerGroup(bot: Telegraf<BotContext>): void {
  bot.command('bindgroup', async (ctx) => {
    const { t, services, user, locale } = ctx.vd;
    if (ctx.chat.type === 'private') {
      await say(ctx, t('group:bind_in_group'));
      return;
    }
    if (user.role !== 'admin') {
      await say(ctx, t('errors:not_permitted'));
      return;
    }
    const userLocale = user.locale ?? locale;
    await services.settings.bindLeadersGroup(ctx.chat.id, userLocale);
    await setGroupMenu(ctx.telegram, services.texts, ctx.chat.id, userLocale).catch(() => undefined);
    await say(ctx, services.texts.forLocale(userLocale)('group:bound'));
  });

  bot.on('my_chat_member', async (ctx) => {
    const update = ctx.myChatMember;
    const status = update.new_chat_member.status;
    if (status !== 'left' && status !== 'kicked') return;
    await ctx.vd.services.settings.leadersGroupLost(update.chat.id);
  });

  // In groups, only leaders and admins are answered, and only in the leaders' group.
  bot.use(async (ctx, next) => {
    if (!ctx.chat || ctx.chat.type === 'private') return next();
    const group = await ctx.vd.services.settings.leadersGroup();
    const isLeadersGroup = group?.chatId === ctx.chat.id;
    const message = ctx.message;
    const addressed = !!message && 'text' in message && message.text.startsWith('/');
    if (!isLeadersGroup) {
      if (addressed && message && 'text' in message && message.text.includes(`@${ctx.botInfo.username}`)) await say(ctx, ctx.vd.t('group:not_bound'));
      return;
    }
    if (!seesEverything(ctx.vd.user.role)) {
      if (addressed) await say(ctx, ctx.vd.t('errors:not_permitted'));
      else if (ctx.callbackQuery) await ctx.answerCbQuery(ctx.vd.t('errors:not_permitted'), { show_alert: true }).catch(() => undefined);
      return;
    }
    return next();
  });
}
