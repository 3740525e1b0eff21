import type { Telegraf } from 'telegraf';
import type { BotContext } from '../context.ts';
import { answer, say } from '../reply.ts';
import { welcomeKeyboard } from './start.ts';

/** What nothing else handled: unknown commands, stray messages, buttons of forgotten messages. */
export function registerFallback(bot: Telegraf<BotContext>): void {
  bot.on('callback_query', async (ctx) => {
    await answer(ctx, ctx.vd.t('errors:stale_button'));
  });
  bot.on('message', async (ctx) => {
    if (ctx.chat.type !== 'private') return;
    const { t } = ctx.vd;
    const message = ctx.message;
    if ('text' in message && message.text.startsWith('/')) {
      await say(ctx, t('errors:unknown_command'));
    } else {
      await say(ctx, t('start:what_next'), welcomeKeyboard(ctx));
    }
  });
}
