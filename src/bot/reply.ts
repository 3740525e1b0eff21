import type { InlineKeyboardMarkup, ReplyKeyboardMarkup, ReplyKeyboardRemove } from 'telegraf/types';
import { splitMessage } from '../i18n/text.ts';
import type { BotContext } from './context.ts';
import type { InlineButton } from '../notify/render.ts';

type Markup = InlineKeyboardMarkup | ReplyKeyboardMarkup | ReplyKeyboardRemove;

/** Sends HTML text to the current chat, split on line boundaries when it is too long; the keyboard goes on the last part. */
export async function say(ctx: BotContext, text: string, markup?: Markup): Promise<number | undefined> {
  const parts = splitMessage(text);
  let lastId: number | undefined;
  for (const [i, part] of parts.entries()) {
    const isLast = i === parts.length - 1;
    const sent = await ctx.reply(part, {
      parse_mode: 'HTML',
      link_preview_options: { is_disabled: true },
      ...(isLast && markup ? { reply_markup: markup } : {}),
    });
    lastId = sent.message_id;
  }
  return lastId;
}

/** Inline keyboard from rows of buttons. */
export function inline(rows: InlineButton[][]): InlineKeyboardMarkup {
  return { inline_keyboard: rows.filter((r) => r.length > 0) };
}

/** Lays buttons out `perRow` to a row. */
export function grid(buttons: InlineButton[], perRow = 2): InlineButton[][] {
  const rows: InlineButton[][] = [];
  for (let i = 0; i < buttons.length; i += perRow) rows.push(buttons.slice(i, i + perRow));
  return rows;
}

/** Answers a button press (once); a failure to answer is not worth failing the update for. */
export async function answer(ctx: BotContext, text?: string, alert = false): Promise<void> {
  if (!ctx.callbackQuery) return;
  await ctx.answerCbQuery(text, { show_alert: alert }).catch(() => undefined);
}

/** Removes the buttons from the message a button was pressed on, so old buttons are not pressed again. */
export async function dropButtons(ctx: BotContext): Promise<void> {
  const message = ctx.callbackQuery?.message;
  if (!message || !('reply_markup' in message) || !message.reply_markup) return;
  await ctx.editMessageReplyMarkup(undefined).catch(() => undefined);
}
