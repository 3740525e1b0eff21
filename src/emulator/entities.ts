/**
 * Telegram text formatting for the Bot API stand-in: parsers for parse_mode
 * HTML, MarkdownV2 and (legacy) Markdown that turn formatted text into the
 * plain text + entities Telegram stores, refusing what Telegram refuses with
 * Telegram's own wording (modelled on tdlib's MessageEntity.cpp).
 */

/** A message entity as Telegram returns it (offsets/lengths in UTF-16 code units). */
export interface Entity {
  type: string;
  offset: number;
  length: number;
  url?: string;
  language?: string;
  custom_emoji_id?: string;
}

/** Parsed text: what a Telegram client shows, plus the formatting entities. */
export interface FormattedText {
  text: string;
  entities: Entity[];
}

/** Thrown by the parsers; `message` is tdlib's text (the Bot API prefixes "can't parse entities: "). */
export class EntityParseError extends Error {
  override readonly name = 'EntityParseError';
}

export interface ParseOptions {
  /**
   * Refuse a '&' that does not start &lt; &gt; &amp; &quot; or a numeric reference.
   * Telegram itself keeps such an '&' as literal text; the strict mode is a
   * stand-in extra that catches bots which forget to escape user input.
   */
  strictAmpersand?: boolean;
}

/** UTF-8 byte length of `s` (tdlib reports byte offsets in its errors). */
export function byteLength(s: string): number {
  return Buffer.byteLength(s, 'utf8');
}

/** Number of Unicode code points (Telegram's "characters" for the 4096/1024 limits). */
export function codePointLength(s: string): number {
  let n = 0;
  for (const _ of s) n++;
  return n;
}

const SPACE = /\s/;

function isSpace(ch: string | undefined): boolean {
  return ch !== undefined && SPACE.test(ch);
}

function isAlpha(ch: string | undefined): boolean {
  return ch !== undefined && /[A-Za-z]/.test(ch);
}

/** Decodes an HTML character reference at `pos` ('&'); returns null when it is not one. */
function decodeHtmlEntity(text: string, pos: number): { char: string; end: number } | null {
  if (text[pos] !== '&') return null;
  let end = pos + 1;
  let code = 0;
  if (text[pos + 1] === '#') {
    end++;
    let digits = 0;
    if (text[pos + 2] === 'x' || text[pos + 2] === 'X') {
      end++;
      while (end < text.length && /[0-9a-fA-F]/.test(text[end] ?? '')) {
        code = code * 16 + parseInt(text[end] ?? '0', 16);
        end++;
        digits++;
        if (code >= 0x10ffff) return null;
      }
    } else {
      while (end < text.length && /[0-9]/.test(text[end] ?? '')) {
        code = code * 10 + Number(text[end]);
        end++;
        digits++;
        if (code >= 0x10ffff) return null;
      }
    }
    if (digits === 0 || code === 0 || (code >= 0xd800 && code <= 0xdfff)) return null;
  } else {
    while (isAlpha(text[end])) end++;
    const name = text.slice(pos + 1, end);
    const known: Record<string, number> = { lt: 60, gt: 62, amp: 38, quot: 34 };
    const value = known[name];
    if (value === undefined) return null;
    code = value;
  }
  if (text[end] === ';') end++;
  return { char: String.fromCodePoint(code), end };
}

const HTML_TAGS = new Set([
  'a', 'b', 'strong', 'i', 'em', 's', 'strike', 'del', 'u', 'ins',
  'tg-spoiler', 'tg-emoji', 'span', 'pre', 'code', 'blockquote',
]);

interface OpenTag {
  tag: string;
  argument: string;
  expandable: boolean;
  offset: number;
  bytePos: number;
}

/** Parses Telegram's HTML subset. Throws EntityParseError with tdlib's wording. */
export function parseHtml(text: string, options: ParseOptions = {}): FormattedText {
  let result = '';
  const entities: Entity[] = [];
  const open: OpenTag[] = [];
  const n = text.length;
  const bytePos = (i: number): number => byteLength(text.slice(0, i));
  let i = 0;
  while (i < n) {
    const c = text[i] ?? '';
    if (c === '&') {
      const decoded = decodeHtmlEntity(text, i);
      if (decoded !== null) {
        result += decoded.char;
        i = decoded.end;
        continue;
      }
      if (options.strictAmpersand === true) {
        throw new EntityParseError(
          `Character '&' at byte offset ${bytePos(i)} does not start a character reference; escape it as "&amp;" ` +
            `(stand-in strict mode: Telegram itself would show it literally)`,
        );
      }
      result += c;
      i++;
      continue;
    }
    if (c !== '<') {
      result += c;
      i++;
      continue;
    }
    const beginPos = i;
    i++;
    if (text[i] !== '/') {
      const tagBegin = i;
      while (i < n && !isSpace(text[i]) && text[i] !== '>') i++;
      if (i >= n) throw new EntityParseError(`Unclosed start tag at byte offset ${bytePos(beginPos)}`);
      const tag = text.slice(tagBegin, i).toLowerCase();
      if (!HTML_TAGS.has(tag)) {
        throw new EntityParseError(`Unsupported start tag "${tag}" at byte offset ${bytePos(beginPos)}`);
      }
      let argument = '';
      let expandable = false;
      let hasEmojiId = false;
      while (text[i] !== '>') {
        while (i < n && isSpace(text[i])) i++;
        if (text[i] === '>') break;
        const attrBegin = i;
        while (i < n && !isSpace(text[i]) && text[i] !== '=' && text[i] !== '>') i++;
        const attrName = text.slice(attrBegin, i);
        if (attrName === '') {
          throw new EntityParseError(`Empty attribute name in the tag "${tag}" at byte offset ${bytePos(beginPos)}`);
        }
        while (i < n && isSpace(text[i])) i++;
        if (i >= n) throw new EntityParseError(`Unclosed start tag at byte offset ${bytePos(beginPos)}`);
        if (text[i] !== '=') {
          if (tag === 'blockquote' && attrName.toLowerCase() === 'expandable') expandable = true;
          continue;
        }
        i++;
        while (i < n && isSpace(text[i])) i++;
        if (i >= n) throw new EntityParseError(`Unclosed start tag at byte offset ${bytePos(beginPos)}`);
        let value = '';
        const q = text[i];
        if (q !== '"' && q !== "'") {
          const tokenBegin = i;
          while (i < n && /[A-Za-z0-9.\-]/.test(text[i] ?? '')) i++;
          value = text.slice(tokenBegin, i).toLowerCase();
          if (!isSpace(text[i]) && text[i] !== '>') {
            throw new EntityParseError(`Unexpected end of name token at byte offset ${bytePos(tokenBegin)}`);
          }
        } else {
          i++;
          while (i < n && text[i] !== q) {
            const decoded = text[i] === '&' ? decodeHtmlEntity(text, i) : null;
            if (decoded !== null) {
              value += decoded.char;
              i = decoded.end;
            } else {
              value += text[i];
              i++;
            }
          }
          if (text[i] === q) i++;
        }
        if (i >= n) throw new EntityParseError(`Unclosed start tag at byte offset ${bytePos(beginPos)}`);
        const name = attrName.toLowerCase();
        if (tag === 'a' && name === 'href') argument = value;
        else if (tag === 'code' && name === 'class' && value.startsWith('language-')) argument = value.slice(9);
        else if (tag === 'span' && name === 'class' && value.startsWith('tg-')) argument = value.slice(3);
        else if (tag === 'tg-emoji' && name === 'emoji-id') {
          argument = value;
          hasEmojiId = true;
        }
      }
      if (tag === 'span' && argument !== 'spoiler') {
        throw new EntityParseError(`Tag "span" must have class "tg-spoiler" at byte offset ${bytePos(beginPos)}`);
      }
      if (tag === 'tg-emoji' && (!hasEmojiId || !/^\d+$/.test(argument))) {
        throw new EntityParseError(`Custom emoji identifier must be specified in tag "tg-emoji" at byte offset ${bytePos(beginPos)}`);
      }
      open.push({ tag, argument, expandable, offset: result.length, bytePos: bytePos(beginPos) });
      i++; // skip '>'
    } else {
      if (open.length === 0) throw new EntityParseError(`Unexpected end tag at byte offset ${bytePos(beginPos)}`);
      i++; // skip '/'
      const nameBegin = i;
      while (i < n && !isSpace(text[i]) && text[i] !== '>') i++;
      const endTag = text.slice(nameBegin, i).toLowerCase();
      while (i < n && isSpace(text[i])) i++;
      if (text[i] !== '>') throw new EntityParseError(`Unclosed end tag at byte offset ${bytePos(beginPos)}`);
      i++;
      const top = open.pop();
      if (top === undefined) throw new EntityParseError(`Unexpected end tag at byte offset ${bytePos(beginPos)}`);
      if (endTag !== '' && endTag !== top.tag) {
        throw new EntityParseError(
          `Unmatched end tag at byte offset ${bytePos(beginPos)}, expected "</${top.tag}>", found "</${endTag}>"`,
        );
      }
      const length = result.length - top.offset;
      if (length > 0) {
        const entity = htmlEntity(top, length, result.slice(top.offset));
        if (entity !== null) {
          // <pre><code class="language-x">…</code></pre> becomes one pre entity with a language.
          const last = entities[entities.length - 1];
          if (
            entity.type === 'pre' && last !== undefined && last.type === 'code' &&
            last.offset === entity.offset && last.length === entity.length
          ) {
            entities.pop();
            if (last.language !== undefined) entity.language = last.language;
          }
          entities.push(entity);
        }
      }
    }
  }
  const unclosed = open[open.length - 1];
  if (unclosed !== undefined) {
    throw new EntityParseError(`Can't find end tag corresponding to start tag "${unclosed.tag}"`);
  }
  for (const e of entities) if (e.type === 'code' && e.language !== undefined) delete e.language;
  return { text: result, entities: sortEntities(entities) };
}

function htmlEntity(tag: OpenTag, length: number, inner: string): Entity | null {
  const base = { offset: tag.offset, length };
  switch (tag.tag) {
    case 'b':
    case 'strong':
      return { type: 'bold', ...base };
    case 'i':
    case 'em':
      return { type: 'italic', ...base };
    case 'u':
    case 'ins':
      return { type: 'underline', ...base };
    case 's':
    case 'strike':
    case 'del':
      return { type: 'strikethrough', ...base };
    case 'span':
    case 'tg-spoiler':
      return { type: 'spoiler', ...base };
    case 'code':
      return tag.argument !== '' ? { type: 'code', ...base, language: tag.argument } : { type: 'code', ...base };
    case 'pre':
      return { type: 'pre', ...base };
    case 'blockquote':
      return { type: tag.expandable ? 'expandable_blockquote' : 'blockquote', ...base };
    case 'tg-emoji':
      return { type: 'custom_emoji', ...base, custom_emoji_id: tag.argument };
    case 'a': {
      const url = tag.argument !== '' ? tag.argument : inner;
      if (!/^[a-z][a-z0-9+.\-]*:/i.test(url) && !/^[\w-]+(\.[\w-]+)+/.test(url)) return null; // invalid URL: tdlib drops the entity
      return { type: 'text_link', ...base, url };
    }
    default:
      return null;
  }
}

function sortEntities(entities: Entity[]): Entity[] {
  return entities.sort((a, b) => a.offset - b.offset || b.length - a.length);
}

const MDV2_RESERVED = '_*[]()~`>#+-=|{}.!';

const MDV2_TYPE_NAMES: Record<string, string> = {
  bold: 'Bold', italic: 'Italic', underline: 'Underline', strikethrough: 'Strikethrough', spoiler: 'Spoiler',
  text_link: 'TextUrl', code: 'Code', pre: 'Pre', custom_emoji: 'CustomEmoji',
};

interface OpenMd {
  type: string;
  offset: number;
  bytePos: number;
  language?: string;
}

/** Parses MarkdownV2 (reserved characters must be escaped). Throws EntityParseError. */
export function parseMarkdownV2(text: string): FormattedText {
  let result = '';
  const entities: Entity[] = [];
  const open: OpenMd[] = [];
  const n = text.length;
  const bytePos = (i: number): number => byteLength(text.slice(0, i));
  let quote: { offset: number; expandable: boolean } | null = null;
  const closeQuote = (end: number): void => {
    if (quote === null) return;
    let e = end;
    while (e > quote.offset && result[e - 1] === '\n') e--;
    if (e > quote.offset) {
      entities.push({ type: quote.expandable ? 'expandable_blockquote' : 'blockquote', offset: quote.offset, length: e - quote.offset });
    }
    quote = null;
  };
  let i = 0;
  while (i < n) {
    const c = text[i] ?? '';
    const top = open[open.length - 1];
    const atLineStart = i === 0 || text[i - 1] === '\n';
    if (atLineStart && (top === undefined || (top.type !== 'pre' && top.type !== 'code'))) {
      if (c === '>' || (c === '*' && text.startsWith('**>', i))) {
        const expandable = c === '*';
        if (quote === null) quote = { offset: result.length, expandable };
        i += expandable ? 3 : 1;
        continue;
      }
      if (quote !== null) closeQuote(result.length);
    }
    if (c === '\\' && i + 1 < n) {
      const next = text.codePointAt(i + 1) ?? 0;
      if (next > 0 && next <= 126) {
        result += text[i + 1];
        i += 2;
        continue;
      }
    }
    if (top !== undefined && (top.type === 'code' || top.type === 'pre')) {
      const closes = top.type === 'code' ? c === '`' : text.startsWith('```', i);
      if (!closes) {
        result += c;
        i++;
        continue;
      }
    }
    if (quote !== null && quote.expandable && c === '|' && text[i + 1] === '|' && (i + 2 >= n || text[i + 2] === '\n')) {
      i += 2;
      continue;
    }
    if (!MDV2_RESERVED.includes(c)) {
      result += c;
      i++;
      continue;
    }
    let isEnd = false;
    if (top !== undefined) {
      switch (top.type) {
        case 'bold': isEnd = c === '*'; break;
        case 'italic': isEnd = c === '_'; break;
        case 'underline': isEnd = c === '_' && text[i + 1] === '_'; break;
        case 'strikethrough': isEnd = c === '~'; break;
        case 'spoiler': isEnd = c === '|' && text[i + 1] === '|'; break;
        case 'text_link':
        case 'custom_emoji': isEnd = c === ']'; break;
        case 'code': isEnd = c === '`'; break;
        case 'pre': isEnd = text.startsWith('```', i); break;
        default: break;
      }
    }
    const begin = i;
    if (!isEnd) {
      let type: string;
      let language: string | undefined;
      switch (c) {
        case '_':
          if (text[i + 1] === '_') { type = 'underline'; i++; } else type = 'italic';
          break;
        case '*': type = 'bold'; break;
        case '~': type = 'strikethrough'; break;
        case '|':
          if (text[i + 1] === '|') { type = 'spoiler'; i++; } else throw reserved(c);
          break;
        case '[': type = 'text_link'; break;
        case '`':
          if (text.startsWith('```', i)) {
            type = 'pre';
            i += 3;
            const langBegin = i;
            while (i < n && !isSpace(text[i]) && text[i] !== '`') i++;
            if (i > langBegin && text[i] === '\n') language = text.slice(langBegin, i);
            else if (text[i] !== '\n') i = langBegin;
            if (text[i] === '\n') i++;
            open.push(language !== undefined
              ? { type, offset: result.length, bytePos: bytePos(begin), language }
              : { type, offset: result.length, bytePos: bytePos(begin) });
            continue;
          }
          type = 'code';
          break;
        case '!':
          if (text[i + 1] === '[') { type = 'custom_emoji'; i++; } else throw reserved(c);
          break;
        default:
          throw reserved(c);
      }
      open.push({ type, offset: result.length, bytePos: bytePos(begin) });
      i++;
      continue;
    }
    const entity = open.pop();
    if (entity === undefined) throw reserved(c);
    let length = result.length - entity.offset;
    let url = '';
    switch (entity.type) {
      case 'underline':
      case 'spoiler':
        i += 2;
        break;
      case 'pre':
        i += 3;
        break;
      case 'text_link':
      case 'custom_emoji': {
        i++;
        if (text[i] === '(') {
          i++;
          while (i < n && text[i] !== ')') {
            if (text[i] === '\\' && i + 1 < n) {
              url += text[i + 1];
              i += 2;
            } else {
              url += text[i];
              i++;
            }
          }
          if (text[i] !== ')') {
            throw new EntityParseError(`Can't find end of a URL at byte offset ${bytePos(begin)}`);
          }
          i++;
        } else {
          url = result.slice(entity.offset);
        }
        break;
      }
      default:
        i++;
        break;
    }
    if (length > 0) {
      if (entity.type === 'text_link') {
        entities.push({ type: 'text_link', offset: entity.offset, length, url });
      } else if (entity.type === 'custom_emoji') {
        const m = /^tg:\/\/emoji\?id=(\d+)$/.exec(url);
        if (m === null || m[1] === undefined) {
          throw new EntityParseError(`Custom emoji URL must have an emoji identifier`);
        }
        entities.push({ type: 'custom_emoji', offset: entity.offset, length, custom_emoji_id: m[1] });
      } else if (entity.type === 'pre') {
        if (length > 0 && result.endsWith('\n') && result.length - 1 > entity.offset) length--;
        entities.push(entity.language !== undefined
          ? { type: 'pre', offset: entity.offset, length, language: entity.language }
          : { type: 'pre', offset: entity.offset, length });
      } else {
        entities.push({ type: entity.type, offset: entity.offset, length });
      }
    }
  }
  const unclosed = open[open.length - 1];
  if (unclosed !== undefined) {
    throw new EntityParseError(
      `Can't find end of ${MDV2_TYPE_NAMES[unclosed.type] ?? unclosed.type} entity at byte offset ${unclosed.bytePos}`,
    );
  }
  closeQuote(result.length);
  return { text: result, entities: sortEntities(entities) };
}

function reserved(c: string): EntityParseError {
  return new EntityParseError(`Character '${c}' is reserved and must be escaped with the preceding '\\'`);
}

/** Parses legacy Markdown (*bold*, _italic_, `code`, ```pre```, [text](url)). Throws EntityParseError. */
export function parseMarkdown(text: string): FormattedText {
  let result = '';
  const entities: Entity[] = [];
  const n = text.length;
  let i = 0;
  while (i < n) {
    const c = text[i] ?? '';
    if (c === '\\' && '_*`['.includes(text[i + 1] ?? 'x')) {
      result += text[i + 1];
      i += 2;
      continue;
    }
    if (!'_*`['.includes(c)) {
      result += c;
      i++;
      continue;
    }
    const begin = i;
    const isPre = text.startsWith('```', i);
    const end = c === '[' ? ']' : isPre ? '```' : c;
    i += isPre ? 3 : 1;
    let language: string | undefined;
    if (isPre) {
      const langBegin = i;
      while (i < n && !isSpace(text[i]) && text[i] !== '`') i++;
      if (i > langBegin && text[i] === '\n') {
        language = text.slice(langBegin, i);
        i++;
      } else i = langBegin;
    }
    const offset = result.length;
    while (i < n && !text.startsWith(end, i)) {
      result += text[i];
      i++;
    }
    if (i >= n) {
      throw new EntityParseError(`Can't find end of the entity starting at byte offset ${byteLength(text.slice(0, begin))}`);
    }
    i += end.length;
    const length = result.length - offset;
    if (c === '[') {
      let url = '';
      if (text[i] === '(') {
        i++;
        while (i < n && text[i] !== ')') {
          url += text[i];
          i++;
        }
        if (i < n) i++;
      }
      if (length > 0 && url !== '') entities.push({ type: 'text_link', offset, length, url });
      continue;
    }
    if (length === 0) continue;
    if (isPre) {
      entities.push(language !== undefined ? { type: 'pre', offset, length, language } : { type: 'pre', offset, length });
    } else {
      entities.push({ type: c === '*' ? 'bold' : c === '_' ? 'italic' : 'code', offset, length });
    }
  }
  return { text: result, entities: sortEntities(entities) };
}

/** Characters tdlib strips at both ends of a message text or caption. */
function isTrimmable(ch: string): boolean {
  const code = ch.codePointAt(0) ?? 0;
  return code <= 32 || SPACE.test(ch) || code === 0x200b || code === 0x200c || code === 0x200d || code === 0x2060;
}

/** Removes leading/trailing whitespace like Telegram does, keeping entities consistent. */
export function trimFormatted(ft: FormattedText): FormattedText {
  let start = 0;
  let end = ft.text.length;
  while (start < end && isTrimmable(ft.text[start] ?? '')) start++;
  while (end > start && isTrimmable(ft.text[end - 1] ?? '')) end--;
  const text = ft.text.slice(start, end);
  const entities: Entity[] = [];
  for (const e of ft.entities) {
    const s = Math.max(e.offset, start);
    const t = Math.min(e.offset + e.length, end);
    if (t > s) entities.push({ ...e, offset: s - start, length: t - s });
  }
  return { text, entities };
}

/** Entities Telegram derives automatically in messages that users type: bot commands, @mentions, URLs, hashtags. */
export function detectUserEntities(text: string): Entity[] {
  const out: Entity[] = [];
  const patterns: Array<[RegExp, string]> = [
    [/(^|[\s(])(\/[A-Za-z0-9_]{1,64}(?:@[A-Za-z0-9_]{3,32})?)(?=$|[\s.,!?;:)])/g, 'bot_command'],
    [/(^|[^\w@])(@[A-Za-z][A-Za-z0-9_]{4,31})(?=$|\W)/g, 'mention'],
    [/(^|[^\w#])(#[^\s#.,!?;:()]+)/g, 'hashtag'],
    [/(^|[\s(])((?:https?:\/\/)[^\s]+)/g, 'url'],
  ];
  for (const [re, type] of patterns) {
    for (const m of text.matchAll(re)) {
      const lead = m[1] ?? '';
      const body = m[2] ?? '';
      out.push({ type, offset: (m.index ?? 0) + lead.length, length: body.length });
    }
  }
  return sortEntities(out);
}
