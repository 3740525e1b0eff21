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

/**
 * The first inline button whose text equals `textOrRegex` (string) or matches it (RegExp).
 * Throws an Error listing the available buttons when there is none.
 */
export function findButton(message: HasReplyMarkup, textOrRegex: string | RegExp): FlatButton {
  const all = buttons(message);
  const found = all.find((b) => (typeof textOrRegex === 'string' ? b.text === textOrRegex : textOrRegex.test(b.text)));
  if (found === undefined) {
    const list = all.length === 0 ? '(no inline keyboard)' : all.map((b) => JSON.stringify(b.text)).join(', ');
    throw new Error(`No inline button matching ${String(textOrRegex)}; buttons: ${list}`);
  }
  return found;
}
