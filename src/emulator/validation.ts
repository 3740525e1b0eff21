/**
 * Checks a method's parameters the way Telegram does (parse modes and entities, text and
 * caption lengths, reply markup, replies, edit targets, command scopes) and turns them into
 * the form the emulator stores. Every refusal is the 400 Telegram would answer.
 */
import { EntityParseError, byteLength, codePointLength, parseHtml, parseMarkdown, parseMarkdownV2, trimFormatted } from './entities.ts';
import type { Entity, FormattedText } from './entities.ts';
import { Params, badRequest, isRecord } from './request.ts';
import type { BotMessage } from './types.ts';
import { EmulatorState } from './state.ts';
import type { ChatState } from './state.ts';

const INLINE_ACTION_FIELDS = [
  'callback_data', 'url', 'web_app', 'login_url', 'switch_inline_query', 'switch_inline_query_current_chat',
  'switch_inline_query_chosen_chat', 'callback_game', 'pay', 'copy_text',
];

/** Stable JSON (sorted keys) for "is it the same" comparisons. */
export function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  if (isRecord(v)) {
    return `{${Object.keys(v)
      .filter((k) => v[k] !== undefined)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical(v[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(v) ?? 'null';
}

export function isInlineMarkup(m: Record<string, unknown> | undefined): boolean {
  return m !== undefined && Array.isArray(m['inline_keyboard']);
}

/** The inline keyboard as it counts for "not modified": none and an empty one are equal. */
export function inlineKey(m: Record<string, unknown> | undefined): string {
  if (m === undefined || !Array.isArray(m['inline_keyboard'])) return '';
  const rows = m['inline_keyboard'].filter((r: unknown) => Array.isArray(r) && r.length > 0);
  return rows.length === 0 ? '' : canonical(rows);
}

export function entityKey(entities: readonly Entity[]): string {
  return canonical(entities);
}

export function toEntities(v: unknown, what = 'MessageEntity'): Entity[] {
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v)) throw badRequest(`can't parse entities JSON object`);
  return v.map((e: unknown) => {
    if (!isRecord(e) || typeof e['type'] !== 'string' || typeof e['offset'] !== 'number' || typeof e['length'] !== 'number') {
      throw badRequest(`can't parse ${what}: Field "type", "offset" and "length" must be specified`);
    }
    const out: Entity = { type: e['type'], offset: e['offset'], length: e['length'] };
    if (typeof e['url'] === 'string') out.url = e['url'];
    if (typeof e['language'] === 'string') out.language = e['language'];
    if (typeof e['custom_emoji_id'] === 'string') out.custom_emoji_id = e['custom_emoji_id'];
    return out;
  });
}

/** EmulatorState plus Telegram's validation of parameters. */
export abstract class Validation extends EmulatorState {
  /** Text + parse_mode/entities → Telegram's stored form (parsed, trimmed). */
  protected format(raw: string, parseMode: string | undefined, entities: unknown): FormattedText {
    let ft: FormattedText;
    if (entities !== undefined && entities !== null) {
      ft = { text: raw, entities: toEntities(entities) };
    } else {
      const mode = (parseMode ?? '').toLowerCase();
      try {
        if (mode === '') ft = { text: raw, entities: [] };
        else if (mode === 'html') ft = parseHtml(raw, { strictAmpersand: this.config.strictHtmlAmpersand });
        else if (mode === 'markdownv2') ft = parseMarkdownV2(raw);
        else if (mode === 'markdown') ft = parseMarkdown(raw);
        else throw badRequest('unsupported parse_mode');
      } catch (e) {
        if (e instanceof EntityParseError) throw badRequest(`can't parse entities: ${e.message}`);
        throw e;
      }
    }
    return trimFormatted(ft);
  }

  protected messageText(p: Params): FormattedText {
    const ft = this.format(p.string('text') ?? '', p.string('parse_mode'), p.json('entities'));
    if (ft.text === '') throw badRequest('message text is empty');
    if (codePointLength(ft.text) > 4096) throw badRequest('message is too long');
    return ft;
  }

  protected caption(p: Params, field = 'caption', parseModeField = 'parse_mode', entitiesField = 'caption_entities'): FormattedText {
    const ft = this.format(p.string(field) ?? '', p.string(parseModeField), p.json(entitiesField));
    if (codePointLength(ft.text) > 1024) throw badRequest('message caption is too long');
    return ft;
  }

  /** Validates reply_markup like Telegram; returns it as given (parsed). */
  protected replyMarkup(p: Params, inlineOnly = false): Record<string, unknown> | undefined {
    if (!p.has('reply_markup')) return undefined;
    const raw = p.json('reply_markup', 'reply keyboard markup JSON object');
    if (!isRecord(raw)) throw badRequest("can't parse reply keyboard markup JSON object");
    if (raw['inline_keyboard'] !== undefined) {
      const kb = raw['inline_keyboard'];
      if (!Array.isArray(kb)) throw badRequest('field "inline_keyboard" of the InlineKeyboardMarkup must be an Array');
      let count = 0;
      for (const row of kb) {
        if (!Array.isArray(row)) throw badRequest('field "inline_keyboard" of the InlineKeyboardMarkup must be an Array of Arrays');
        for (const b of row) {
          count++;
          if (!isRecord(b)) throw badRequest("can't parse inline keyboard button: InlineKeyboardButton must be an Object");
          if (typeof b['text'] !== 'string') throw badRequest(`can't parse inline keyboard button: Field "text" must be of type String`);
          if (b['text'].trim() === '') throw badRequest('BUTTON_TEXT_INVALID');
          const actions = INLINE_ACTION_FIELDS.filter((f) => b[f] !== undefined);
          if (actions.length === 0) throw badRequest("can't parse inline keyboard button: Text buttons are unallowed in the inline keyboard");
          if (actions.length > 1) throw badRequest(`can't parse inline keyboard button: only one of ${actions.join(', ')} can be specified`);
          if (b['callback_data'] !== undefined) {
            const d = b['callback_data'];
            if (typeof d !== 'string' || d === '' || byteLength(d) > 64) throw badRequest('BUTTON_DATA_INVALID');
          }
          if (b['url'] !== undefined) {
            const u = b['url'];
            if (typeof u !== 'string' || !/^(https?|tg|ftp):\/\/\S+$/i.test(u)) throw badRequest('BUTTON_URL_INVALID');
          }
        }
      }
      if (count > 100) throw badRequest('reply markup is too long');
      return raw;
    }
    if (inlineOnly) throw badRequest('inline keyboard expected');
    if (raw['keyboard'] !== undefined) {
      const kb = raw['keyboard'];
      if (!Array.isArray(kb) || !kb.every((r: unknown) => Array.isArray(r))) {
        throw badRequest('field "keyboard" of the ReplyKeyboardMarkup must be an Array of Arrays');
      }
      for (const row of kb as unknown[][]) {
        for (const b of row) {
          const text = typeof b === 'string' ? b : isRecord(b) ? b['text'] : undefined;
          if (typeof text !== 'string' || text === '') throw badRequest("can't parse keyboard button: Text must be non-empty");
        }
      }
      return raw;
    }
    if (raw['remove_keyboard'] === true || raw['force_reply'] === true) return raw;
    throw badRequest("can't parse reply keyboard markup JSON object");
  }

  protected replyTo(chat: ChatState, p: Params): number | undefined {
    let id = p.number('reply_to_message_id');
    let allow = p.bool('allow_sending_without_reply');
    const rp = p.json('reply_parameters');
    if (isRecord(rp) && typeof rp['message_id'] === 'number') {
      id = rp['message_id'];
      allow = rp['allow_sending_without_reply'] === true;
    }
    if (id === undefined) return undefined;
    const exists =
      chat.botMessages.some((m) => m.message_id === id && !m.deleted) ||
      (chat.userMessages.has(id) && !chat.deletedUserMessages.has(id));
    if (exists) return id;
    if (allow) return undefined;
    throw badRequest('message to be replied not found');
  }

  protected editTarget(p: Params): { chat: ChatState; message: BotMessage } {
    if (p.has('inline_message_id')) throw badRequest('MESSAGE_ID_INVALID');
    const chat = this.sendTarget(p);
    const id = p.number('message_id');
    if (id === undefined) throw badRequest('message identifier is not specified');
    const message = chat.botMessages.find((m) => m.message_id === id && !m.deleted);
    if (message === undefined) {
      if (chat.userMessages.has(id) && !chat.deletedUserMessages.has(id)) throw badRequest("message can't be edited");
      throw badRequest('message to edit not found');
    }
    return { chat, message };
  }

  protected scopeKey(scope: Record<string, unknown>): Record<string, unknown> {
    const key: Record<string, unknown> = { type: scope['type'] ?? 'default' };
    if (scope['chat_id'] !== undefined) key['chat_id'] = Number(scope['chat_id']);
    if (scope['user_id'] !== undefined) key['user_id'] = Number(scope['user_id']);
    return key;
  }

  protected commandScope(p: Params): { scope: Record<string, unknown>; key: string } {
    const raw = p.json('scope', 'BotCommandScope');
    const scope = raw === undefined ? { type: 'default' } : raw;
    if (!isRecord(scope) || typeof scope['type'] !== 'string') throw badRequest("can't parse BotCommandScope");
    const types = ['default', 'all_private_chats', 'all_group_chats', 'all_chat_administrators', 'chat', 'chat_administrators', 'chat_member'];
    if (!types.includes(scope['type'])) throw badRequest('unsupported bot command scope type');
    if (scope['type'].startsWith('chat')) {
      this.chatFor(new Params(scope));
      if (scope['type'] === 'chat_member' && typeof scope['user_id'] !== 'number') throw badRequest('user not found');
    }
    const language = p.string('language_code') ?? '';
    if (language !== '' && !/^[a-z]{2}$/.test(language)) throw badRequest('invalid language code specified');
    return { scope, key: `${canonical(this.scopeKey(scope))}|${language}` };
  }
}
