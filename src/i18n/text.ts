/** Unicode FIRST STRONG ISOLATE and POP DIRECTIONAL ISOLATE. */
export const FSI = '\u2068';
export const PDI = '\u2069';

/** Escapes text for Telegram's HTML parse mode (only & < > need it). */
export function escapeHtml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/**
 * Wraps a piece of text in directional isolates so that Latin text, numbers with symbols
 * ("#12") or user-supplied text keep a right-to-left Uyghur message right to left.
 */
export function isolate(text: string): string {
  return `${FSI}${text}${PDI}`;
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

/** HTML message text back to plain text (for drawing): markup, entities and isolate marks removed. */
export function plainText(htmlText: string): string {
  return htmlText
    .replace(/<[^>]+>/g, '')
    .replace(/[\u2068\u2069]/g, '')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&');
}
