import type { Telegraf } from 'telegraf';
import type { BotContext } from '../context.ts';
import { answer, dropButtons, inline, say } from '../reply.ts';
import { isLocale, LOCALES } from '../../i18n/index.ts';
import { seesEverything } from '../../domain/lifecycle.ts';
import { setGroupMenu } from '../commands.ts';
import { refreshMenu } from './start.ts';

const NATIVE_NAMES: Record<(typeof LOCALES)[number], string> = { ug: 'ئۇيغۇرچە', zh: '中文', en: 'English' };

async function offerLanguages(ctx: BotContext): Promise<void> {
  await say(ctx, ctx.vd.t('lang:choose'), inline([LOCALES.map((l) => ({ text: NATIVE_NAMES[l], callback_data: `lang:${l}` }))]));
}

/** /lang switches the language at any time, with buttons; in the leaders' group an admin sets the group's. */
export function registerLanguage(bot: Telegraf<BotContext>): void {
  bot.command('lang', async (ctx) => {
    if (ctx.chat.type !== 'private') {
      const group = await ctx.vd.services.settings.leadersGroup();
      if (!group || group.chatId !== ctx.chat.id) return;
      if (!seesEverything(ctx.vd.user.role)) {
        await say(ctx, ctx.vd.t('errors:not_permitted'));
        return;
      }
    }
    await offerLanguages(ctx);
  });
  bot.action('menu:lang', async (ctx) => {
    await answer(ctx);
    await offerLanguages(ctx);
  });
  bot.action(/^lang:(\w+)$/, async (ctx) => {
    const locale = ctx.match[1];
    const { services, user } = ctx.vd;
    if (!isLocale(locale)) return answer(ctx, ctx.vd.t('errors:stale_button'));
    if (ctx.chat && ctx.chat.type !== 'private') {
      const group = await services.settings.leadersGroup();
      if (!group || group.chatId !== ctx.chat.id || user.role !== 'admin') return answer(ctx, ctx.vd.t('errors:not_permitted'), true);
      await services.settings.setLeadersGroupLocale(locale);
      await setGroupMenu(ctx.telegram, services.texts, ctx.chat.id, locale).catch(() => undefined);
    } else {
      await services.users.setLocale(user.id, locale);
      user.locale = locale;
    }
    const t = services.texts.forLocale(locale);
    ctx.vd = { ...ctx.vd, locale, t, reader: { ...ctx.vd.reader, locale, t } };
    if (ctx.chat?.type === 'private' && user.role !== 'resident') await refreshMenu(ctx);
    await answer(ctx, t('lang:changed'));
    await dropButtons(ctx);
    await say(ctx, t('lang:changed'));
  });
}
