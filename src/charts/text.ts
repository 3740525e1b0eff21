/** The one method of a 2D canvas context that text fitting needs (keeps this helper easy to test). */
export interface TextMeasurer {
  measureText(text: string): { width: number };
}

const ELLIPSIS = '…';
const graphemeSegmenter = new Intl.Segmenter(undefined, { granularity: 'grapheme' });

/**
 * Shortens `text` so that it fits in `maxWidth` with the context's current font, cutting at grapheme
 * boundaries (never inside a letter + combining mark) and appending an ellipsis. Cutting happens at the
 * logical end, so with `direction = 'rtl'` the ellipsis appears on the left, as Uyghur readers expect.
 */
export function truncateToWidth(ctx: TextMeasurer, text: string, maxWidth: number): string {
  if (ctx.measureText(text).width <= maxWidth) return text;
  const graphemes = Array.from(graphemeSegmenter.segment(text), (s) => s.segment);
  const candidate = (n: number): string => graphemes.slice(0, n).join('').trimEnd() + ELLIPSIS;
  // Largest n whose candidate fits (width grows monotonically enough with n for a binary search).
  let lo = 0;
  let hi = graphemes.length - 1;
  while (lo < hi) {
    const mid = Math.ceil((lo + hi) / 2);
    if (ctx.measureText(candidate(mid)).width <= maxWidth) lo = mid;
    else hi = mid - 1;
  }
  return lo === 0 ? (ctx.measureText(ELLIPSIS).width <= maxWidth ? ELLIPSIS : '') : candidate(lo);
}
