import type { Telegraf } from 'telegraf';
import type { BotContext } from '../context.ts';
import { inline, say } from '../reply.ts';
import { Refused } from '../../services/errors.ts';
import { setPersonalMenu } from '../commands.ts';

/** The welcome buttons: the three things a villager does most. */
export function welcomeKeyboard(ctx: BotContext) {
  const { t } = ctx.vd;
  return inline([
    [{ text: t('buttons:new_report'), callback_data: 'menu:report' }],
    [
      { text: t('buttons:my_reports'), callback_data: 'menu:my' },
      { text: t('buttons:language'), callback_data: 'menu:lang' },
    ],
  ]);
}

/** Sets the command menu of this private chat for the user's role and language (best effort). */
export async function refreshMenu(ctx: BotContext): Promise<void> {
  const { user, locale, services } = ctx.vd;
  await setPersonalMenu(ctx.telegram, services.texts, user.telegramId, user.role, locale).catch(() => undefined);
}

/** /start greets in the user's language; /start <code> redeems a staff invitation. */
export function registerStart(bot: Telegraf<BotContext>): void {
  bot.start(async (ctx) => {
    if (ctx.chat.type !== 'private') return;
    const { user, t, services } = ctx.vd;
    const payload = ctx.payload.trim();
    if (payload.startsWith('inv_')) {
      try {
        const updated = await services.invites.redeem(user, payload);
        ctx.vd.user = updated;
        await refreshMenu(ctx);
        await say(ctx, t('staff:invite_accepted', { role: t(`roles:${updated.role}`) }));
        await say(ctx, t(`help:${updated.role}`));
        return;
      } catch (error) {
        if (error instanceof Refused) {
          await say(ctx, t(`errors:${error.code}`));
          return;
        }
        throw error;
      }
    }
    if (user.role !== 'resident') await refreshMenu(ctx);
    await say(ctx, t('start:welcome', { name: user.displayName }), welcomeKeyboard(ctx));
  });
}
