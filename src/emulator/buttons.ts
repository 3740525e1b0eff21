/** Helpers to read inline keyboards of messages recorded by the Bot API stand-in. */

/** One inline keyboard button, flattened. */
export interface FlatButton {
  text: string;
  callback_data?: string;
  url?: string;
  /** Row and column of the button in the keyboard (0-based). */
  row: number;
  column: number;
}

/** Anything carrying a reply_markup: a BotMessage of the stand-in or a raw Telegram message. */
export interface HasReplyMarkup {
  reply_markup?: unknown;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Flat list of the inline keyboard buttons of `message` (empty when it has none). */
export function buttons(message: HasReplyMarkup): FlatButton[] {
  const markup = message.reply_markup;
  if (!isRecord(markup) || !Array.isArray(markup['inline_keyboard'])) return [];
  const out: FlatButton[] = [];
  markup['inline_keyboard'].forEach((row: unknown, r: number) => {
    if (!Array.isArray(row)) return;
    row.forEach((b: unknown, c: number) => {
      if (!isRecord(b) || typeof b['text'] !== 'string') return;
      const flat: FlatButton = { text: b['text'], row: r, column: c };
      if (typeof b['callback_data'] === 'string') flat.callback_data = b['callback_data'];
      if (typeof b['url'] === 'string') flat.url = b['url'];
      out.push(flat);
    });
  });
  return out;
}

/** Button texts of a reply keyboard (`keyboard`) of `message`, flattened. */
export function replyKeyboardButtons(message: HasReplyMarkup): string[] {
  const markup = message.reply_markup;
  if (!isRecord(markup) || !Array.isArray(markup['keyboard'])) return [];
  const out: string[] = [];
  for (const row of markup['keyboard']) {
    if (!Array.isArray(row)) continue;
    for (const b of row) {
      if (typeof b === 'string') out.push(b);
      else if (isRecord(b) && typeof b['text'] === 'string') out.push(b['text']);
    }
  }
  return out;
}

/** Invisible direction marks and isolates: a person reading a button does not see them. */
const DIRECTION_MARKS = /[\u200e\u200f\u061c\u202a-\u202e\u2066-\u2069]/g;

/** A label as a person reads it: without invisible direction marks. */
export function visibleText(text: string): string {
  return text.replace(DIRECTION_MARKS, '');
}

/**
 * The first inline button whose text reads as `textOrRegex` (string; invisible direction marks
 * are ignored on both sides, as a person reading it would) or matches it (RegExp).
 * Throws an Error listing the available buttons when there is none.
 */
export function findButton(message: HasReplyMarkup, textOrRegex: string | RegExp): FlatButton {
  const all = buttons(message);
  const wanted = typeof textOrRegex === 'string' ? visibleText(textOrRegex) : undefined;
  const found = all.find((b) => (wanted !== undefined ? visibleText(b.text) === wanted : (textOrRegex as RegExp).test(b.text)));
  if (found === undefined) {
    const list = all.length === 0 ? '(no inline keyboard)' : all.map((b) => JSON.stringify(b.text)).join(', ');
    throw new Error(`No inline button matching ${String(textOrRegex)}; buttons: ${list}`);
  }
  return found;
}
