/** Unicode FIRST STRONG ISOLATE and POP DIRECTIONAL ISOLATE. */
export const FSI = '\u2068';
export const PDI = '\u2069';
/** Unicode LEFT-TO-RIGHT ISOLATE: for pieces that always read left to right (a rate, a fraction). */
export const LRI = '\u2066';
/** Unicode RIGHT-TO-LEFT MARK: a strong right-to-left character that shows nothing. */
export const RLM = '\u200F';
/** Every directional mark or isolate the product inserts (and nothing a user needs to see). */
const BIDI_CONTROLS = /[\u200E\u200F\u2066-\u2069]/g;

/** True when the text holds a right-to-left letter (Arabic script, as Uyghur is written; Hebrew). */
export function hasRtlLetters(text: string): boolean {
  return /[\p{Script=Arabic}\p{Script=Hebrew}]/u.test(text);
}

/** Escapes text for Telegram's HTML parse mode (only & < > need it). */
export function escapeHtml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/**
 * Wraps a piece of text in directional isolates so that Latin text, numbers with symbols
 * ("#12") or user-supplied text keep a right-to-left Uyghur message right to left.
 */
export function isolate(text: string): string {
  // a line break ends every isolate (it ends the bidi paragraph): isolate each line on its own
  return text
    .split('\n')
    .map((line) => `${FSI}${line}${PDI}`)
    .join('\n');
}

/** Wraps a piece that must read left to right whatever surrounds it ("%50 (2/4)") in LRI … PDI. */
export function isolateLtr(text: string): string {
  return `${LRI}${text}${PDI}`;
}

/**
 * A slash command, with the Latin words and numbers typed after it ("/status 12", "/sla roads 120",
 * "/invite cadre|leader|admin"), isolated so that right-to-left text around it cannot move its
 * slash to the other end ("report/"). Not inside markup ("</b>") or links ("t.me/bot").
 */
const COMMAND = /(?<![\p{L}\p{N}<\/:.])\/[a-z][a-z_]*(?:[ ]+[A-Za-z0-9_|]+)*(?![\p{L}\p{N}_])/gu;

/** Isolates every slash command in a text (see COMMAND); used on right-to-left templates. */
export function isolateCommands(text: string): string {
  return text.replace(COMMAND, (command) => isolateLtr(command));
}

/** Removes the right-to-left marks `rtlLines` puts at line starts, so that a rendered piece can be nested again. */
export function withoutRlm(text: string): string {
  return text.replace(/^\u200F+/gm, '');
}

/**
 * Starts every line with a right-to-left mark. Telegram (like the Unicode bidi algorithm) takes a
 * paragraph's direction from its first strong character, so a Uyghur line that begins with "#12",
 * a number or a Latin name would otherwise be laid out left to right, its figures under the wrong
 * headings. Guarded by tests/i18n/bidi.test.ts.
 */
export function rtlLines(text: string): string {
  return text
    .split('\n')
    .map((line) => RLM + withoutRlm(line))
    .join('\n');
}

/** A piece of already-rendered HTML, inserted into a translation as is (not escaped again). */
export class Html {
  constructor(readonly html: string) {}
  toString(): string {
    return this.html;
  }
}

/** Marks trusted, already-escaped HTML for interpolation. */
export function html(text: string): Html {
  return new Html(text);
}

/** Cuts text to at most `max` characters (by code point), ending with an ellipsis when cut. */
export function truncate(text: string, max: number): string {
  const chars = Array.from(text);
  return chars.length <= max ? text : `${chars.slice(0, Math.max(0, max - 1)).join('')}…`;
}

/** Splits a long message on line boundaries into parts of at most `limit` characters. */
export function splitMessage(text: string, limit = 4096): string[] {
  if (text.length <= limit) return [text];
  const parts: string[] = [];
  let current = '';
  for (const line of text.split('\n')) {
    const pieces = line.length > limit ? (line.match(new RegExp(`[\\s\\S]{1,${limit}}`, 'g')) ?? []) : [line];
    for (const piece of pieces) {
      const candidate = current === '' ? piece : `${current}\n${piece}`;
      if (candidate.length > limit) {
        if (current !== '') parts.push(current);
        current = piece;
      } else current = candidate;
    }
  }
  if (current.trim() !== '') parts.push(current);
  return parts;
}

/** HTML message text back to plain text (for drawing, spreadsheets): markup, entities and direction marks removed. */
export function plainText(htmlText: string): string {
  return htmlText
    .replace(/<[^>]+>/g, '')
    .replace(BIDI_CONTROLS, '')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&');
}
