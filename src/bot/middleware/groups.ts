import type { Telegraf } from 'telegraf';
import type { BotContext } from '../context.ts';
import { say } from '../reply.ts';
import { resolveLocale } from '../../domain/locale.ts';

/**
 * Groups other than the leaders' group. The bot says once that it works only in private chats
 * and the leaders' group, and leaves, as soon as someone who is not an administrator adds it
 * or uses it there (a command for it, or one of its buttons). An administrator adding it is
 * taken as the first step of binding a new leaders' group: the bot stays, says how to bind it
 * (/bindgroup), and waits; the first use by anyone else before that makes it leave.
 * Chatter in the group is never delivered this far (createBot ignores it), so it never counts.
 * Guarded by tests/e2e/groups.test.ts.
 */
export function registerGroupGuard(bot: Telegraf<BotContext>): void {
  bot.use(async (ctx, next) => {
    const chat = ctx.chat;
    if (!chat || (chat.type !== 'group' && chat.type !== 'supergroup')) return next();
    const { services, user } = ctx.vd;
    const group = await services.settings.leadersGroup();
    if (group?.chatId === chat.id) return next();
    // in the language of whoever added or used it (the group has none of its own)
    const t = services.texts.forLocale(resolveLocale(user.locale, ctx.from?.language_code, ctx.vd.locale));
    const membership = ctx.myChatMember;
    if (membership) {
      const status = membership.new_chat_member.status;
      // removed or left: settings are tidied by the group feature
      if (status !== 'member' && status !== 'administrator') return next();
      if (user.role === 'admin') {
        await say(ctx, t('guard:bind_hint')).catch(() => undefined);
        return;
      }
    } else {
      const text = ctx.message && 'text' in ctx.message ? ctx.message.text : '';
      const addressee = /^\/\w+@(\w+)/.exec(text)?.[1];
      // a command for another bot in the same group is none of ours
      if (addressee && addressee.toLowerCase() !== ctx.botInfo.username.toLowerCase()) return;
      if (user.role === 'admin') return next();
      if (ctx.callbackQuery) await ctx.answerCbQuery().catch(() => undefined);
    }
    // best effort: a group where the bot may not write still gets left
    await say(ctx, t('guard:groups_only')).catch(() => undefined);
    await ctx.leaveChat();
  });
}
