/**
 * The Bot API methods the emulator answers: sending, editing, copying and deleting messages,
 * callback answers, chat actions, chats and members, commands and menus, webhooks and files.
 */
import { codePointLength } from './entities.ts';
import type { FormattedText } from './entities.ts';
import { Params, badRequest, isRecord } from './request.ts';
import type { BotCommandEntry, BotMessage, BotMessageKind, CallbackAnswer, ChatActionRecord, MessageRevision, StoredFile } from './types.ts';
import { nowSec } from './state.ts';
import type { ChatState } from './state.ts';
import { entityKey, inlineKey, isInlineMarkup, toEntities } from './validation.ts';
import { FileStore } from './files.ts';
import type { WebhookState } from './updates.ts';

export interface QueryState {
  id: string;
  createdAt: number;
  answered: boolean;
  chatId: number;
  messageId: number;
  data: string;
  fromId: number;
}

/** What a new bot message starts with: the fields of BotMessage the sender sets. */
type MessageInit = Pick<BotMessage, 'kind' | 'text' | 'entities' | 'parse_mode' | 'reply_markup' | 'file' | 'location' | 'replyToMessageId' | 'mediaType' | 'mediaGroupId'> &
  Partial<Pick<BotMessage, 'content'>>;

/** Methods that send or edit messages: subject to flood limits and failure injection. */
export const SENDING_METHODS = new Set([
  'sendmessage', 'sendphoto', 'senddocument', 'sendvoice', 'sendmediagroup', 'sendlocation',
  'copymessage', 'forwardmessage', 'editmessagetext', 'editmessagecaption', 'editmessagereplymarkup',
]);

const CHAT_ACTIONS = new Set([
  'typing', 'upload_photo', 'record_video', 'upload_video', 'record_voice', 'upload_voice',
  'upload_document', 'choose_sticker', 'find_location', 'record_video_note', 'upload_video_note',
]);

const CAPTIONABLE: ReadonlySet<BotMessageKind> = new Set<BotMessageKind>([
  'photo', 'document', 'voice', 'media_group item', 'animation', 'video', 'audio',
]);

const NOT_MODIFIED =
  'message is not modified: specified new message content and reply markup are exactly the same as a current content and reply markup of the message';

/** FileStore plus every Bot API method, by name. */
export abstract class SendingMethods extends FileStore {
  /** answerCallbackQuery calls that were accepted, in order. */
  readonly callbackAnswers: CallbackAnswer[] = [];
  /** sendChatAction calls that were accepted, in order. */
  readonly chatActions: ChatActionRecord[] = [];
  protected readonly queries = new Map<string, QueryState>();
  protected queryCounter = 0;
  protected mediaGroupCounter = 0;
  protected readonly commandLists = new Map<string, BotCommandEntry>();
  protected readonly menuButtons = new Map<string, Record<string, unknown>>();

  /** Low-level: the Telegram message object for a bot message, or for a user message of `chatId`. */
  rawMessage(chatId: number, message: BotMessage | { message_id: number }): Record<string, unknown> {
    const chat = this.requireChat(chatId);
    const bot = chat.botMessages.find((m) => m.message_id === message.message_id);
    if (bot !== undefined) return this.apiMessage(bot, false);
    const user = chat.userMessages.get(message.message_id);
    if (user !== undefined) return user;
    throw new Error(`message ${message.message_id} not found in chat ${chatId}`);
  }

  protected addBotMessage(chat: ChatState, method: string, init: MessageInit): BotMessage {
    const m: BotMessage = {
      chatId: chat.id,
      message_id: chat.nextMessageId++,
      date: nowSec(),
      sentAt: Date.now(),
      method,
      kind: init.kind,
      text: init.text,
      entities: init.entities,
      content: init.content ?? {},
      edits: 0,
      history: [],
      deleted: false,
    };
    if (init.parse_mode !== undefined) m.parse_mode = init.parse_mode;
    if (init.reply_markup !== undefined) m.reply_markup = init.reply_markup;
    if (init.file !== undefined) m.file = init.file;
    if (init.location !== undefined) m.location = init.location;
    if (init.replyToMessageId !== undefined) m.replyToMessageId = init.replyToMessageId;
    if (init.mediaType !== undefined) m.mediaType = init.mediaType;
    if (init.mediaGroupId !== undefined) m.mediaGroupId = init.mediaGroupId;
    chat.botMessages.push(m);
    return m;
  }

  /** The Telegram Message object of a bot message. */
  protected apiMessage(m: BotMessage, withReply = true): Record<string, unknown> {
    const chat = this.chats.get(m.chatId);
    const out: Record<string, unknown> = {
      message_id: m.message_id,
      from: this.botPublicUser(),
      chat: chat !== undefined ? this.chatObject(chat) : { id: m.chatId },
      date: m.date,
    };
    if (m.editDate !== undefined) out['edit_date'] = m.editDate;
    if (m.mediaGroupId !== undefined) out['media_group_id'] = m.mediaGroupId;
    if (withReply && m.replyToMessageId !== undefined && chat !== undefined) {
      try {
        out['reply_to_message'] = this.rawMessage(chat.id, { message_id: m.replyToMessageId });
      } catch {
        // replied-to message unknown: leave it out
      }
    }
    if (m.kind === 'text') {
      out['text'] = m.text;
      if (m.entities.length > 0) out['entities'] = m.entities;
    } else if (m.text !== '') {
      out['caption'] = m.text;
      if (m.entities.length > 0) out['caption_entities'] = m.entities;
    }
    Object.assign(out, m.content);
    if (m.location !== undefined) out['location'] = m.location;
    if (isInlineMarkup(m.reply_markup) && inlineKey(m.reply_markup) !== '') out['reply_markup'] = m.reply_markup;
    return out;
  }

  protected applyEdit(m: BotMessage, ft: FormattedText, markup: Record<string, unknown> | undefined, parseMode: string | undefined): void {
    const revision: MessageRevision = { text: m.text, entities: m.entities, replacedAt: Date.now() };
    if (m.reply_markup !== undefined) revision.reply_markup = m.reply_markup;
    m.history.push(revision);
    m.text = ft.text;
    m.entities = ft.entities;
    if (parseMode !== undefined) m.parse_mode = parseMode;
    else delete m.parse_mode;
    if (markup !== undefined) m.reply_markup = markup;
    else if (isInlineMarkup(m.reply_markup)) delete m.reply_markup;
    m.edits++;
    m.editDate = nowSec();
  }

  /** The content of a user's or the bot's message, for copyMessage/forwardMessage. */
  protected copySource(from: ChatState, id: number, notFound: string): MessageInit {
    const bot = from.botMessages.find((m) => m.message_id === id && !m.deleted);
    if (bot !== undefined) {
      const init: MessageInit = { kind: bot.kind, text: bot.text, entities: [...bot.entities], content: { ...bot.content } };
      if (bot.file !== undefined) init.file = bot.file;
      if (bot.location !== undefined) init.location = bot.location;
      if (bot.mediaType !== undefined) init.mediaType = bot.mediaType;
      return init;
    }
    const raw = from.userMessages.get(id);
    if (raw === undefined || from.deletedUserMessages.has(id)) throw badRequest(notFound);
    const caption = typeof raw['caption'] === 'string' ? raw['caption'] : '';
    const captionEntities = toEntities(raw['caption_entities']);
    const fileOf = (obj: unknown): StoredFile | undefined => (isRecord(obj) && typeof obj['file_id'] === 'string' ? this.fileStore.get(obj['file_id']) : undefined);
    const withFile = (init: MessageInit, file: StoredFile | undefined): MessageInit => {
      if (file !== undefined) init.file = file;
      return init;
    };
    if (typeof raw['text'] === 'string') return { kind: 'text', text: raw['text'], entities: toEntities(raw['entities']) };
    if (Array.isArray(raw['photo'])) {
      const largest: unknown = raw['photo'][raw['photo'].length - 1];
      return withFile({ kind: 'photo', text: caption, entities: captionEntities, content: { photo: raw['photo'] } }, fileOf(largest));
    }
    if (isRecord(raw['animation'])) {
      return withFile({ kind: 'animation', text: caption, entities: captionEntities, content: { animation: raw['animation'], document: raw['document'] } }, fileOf(raw['animation']));
    }
    if (isRecord(raw['document'])) {
      return withFile({ kind: 'document', text: caption, entities: captionEntities, content: { document: raw['document'] } }, fileOf(raw['document']));
    }
    if (isRecord(raw['voice'])) {
      return withFile({ kind: 'voice', text: caption, entities: captionEntities, content: { voice: raw['voice'] } }, fileOf(raw['voice']));
    }
    if (isRecord(raw['sticker'])) return withFile({ kind: 'sticker', text: '', entities: [], content: { sticker: raw['sticker'] } }, fileOf(raw['sticker']));
    if (isRecord(raw['contact'])) return { kind: 'contact', text: '', entities: [], content: { contact: raw['contact'] } };
    const loc = raw['location'];
    if (isRecord(loc) && typeof loc['latitude'] === 'number' && typeof loc['longitude'] === 'number') {
      return { kind: 'location', text: '', entities: [], location: { latitude: loc['latitude'], longitude: loc['longitude'] } };
    }
    throw badRequest("message can't be copied");
  }

  protected buildHandlers(): Map<string, (p: Params) => unknown> {
    const h = new Map<string, (p: Params) => unknown>();
    const add = (name: string, fn: (p: Params) => unknown): void => {
      h.set(name.toLowerCase(), fn);
    };

    add('getMe', () => ({ ...this.botUser, can_connect_to_business: false, has_main_web_app: false }));

    add('setWebhook', (p) => {
      const url = p.string('url') ?? '';
      if (url === '') {
        this.setWebhookState(null, p.bool('drop_pending_updates'));
        return true;
      }
      let parsed: URL;
      try {
        parsed = new URL(url);
      } catch {
        throw badRequest('bad webhook: invalid URL');
      }
      if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') throw badRequest('bad webhook: An HTTPS URL must be provided for webhook');
      const secret = p.string('secret_token');
      if (secret !== undefined && !/^[A-Za-z0-9_-]{1,256}$/.test(secret)) throw badRequest('secret token contains unallowed characters');
      const au = p.json('allowed_updates');
      const state: WebhookState = { url, maxConnections: p.number('max_connections') ?? 40 };
      if (secret !== undefined) state.secretToken = secret;
      if (Array.isArray(au)) state.allowedUpdates = au.filter((x: unknown): x is string => typeof x === 'string');
      this.setWebhookState(state, p.bool('drop_pending_updates'));
      return true;
    });

    add('deleteWebhook', (p) => {
      this.setWebhookState(null, p.bool('drop_pending_updates'));
      return true;
    });

    add('getWebhookInfo', () => {
      const w = this.webhook;
      const info: Record<string, unknown> = { url: w?.url ?? '', has_custom_certificate: false, pending_update_count: this.queue.length };
      if (w !== null) {
        info['max_connections'] = w.maxConnections;
        if (w.allowedUpdates !== undefined) info['allowed_updates'] = w.allowedUpdates;
        if (w.lastErrorDate !== undefined) info['last_error_date'] = w.lastErrorDate;
        if (w.lastErrorMessage !== undefined) info['last_error_message'] = w.lastErrorMessage;
      }
      return info;
    });

    add('sendMessage', (p) => {
      const chat = this.sendTarget(p);
      const ft = this.messageText(p);
      const reply_markup = this.replyMarkup(p);
      const replyToMessageId = this.replyTo(chat, p);
      const content: Record<string, unknown> = {};
      const lpo = p.json('link_preview_options');
      if (isRecord(lpo)) content['link_preview_options'] = lpo;
      const m = this.addBotMessage(chat, 'sendMessage', {
        kind: 'text', text: ft.text, entities: ft.entities, content,
        ...(p.string('parse_mode') !== undefined ? { parse_mode: p.string('parse_mode') } : {}),
        ...(reply_markup !== undefined ? { reply_markup } : {}),
        ...(replyToMessageId !== undefined ? { replyToMessageId } : {}),
      });
      return this.apiMessage(m);
    });

    const sendMedia = (method: string, field: 'photo' | 'document' | 'voice', kind: BotMessageKind) => (p: Params): unknown => {
      const chat = this.sendTarget(p);
      const input = this.inputFile(p, p.values[field], field);
      const cap = this.caption(p);
      const reply_markup = this.replyMarkup(p);
      const replyToMessageId = this.replyTo(chat, p);
      const file = this.storeInput(input, field);
      let content: Record<string, unknown>;
      if (field === 'photo') content = this.photoContent(file);
      else if (field === 'document') content = this.documentContent(file);
      else {
        content = {
          voice: { file_id: file.file_id, file_unique_id: file.file_unique_id, duration: Math.trunc(p.number('duration') ?? 0), mime_type: 'audio/ogg', file_size: file.file_size },
        };
      }
      const m = this.addBotMessage(chat, method, {
        kind, text: cap.text, entities: cap.entities, file, content,
        ...(p.string('parse_mode') !== undefined ? { parse_mode: p.string('parse_mode') } : {}),
        ...(reply_markup !== undefined ? { reply_markup } : {}),
        ...(replyToMessageId !== undefined ? { replyToMessageId } : {}),
      });
      return this.apiMessage(m);
    };
    add('sendPhoto', sendMedia('sendPhoto', 'photo', 'photo'));
    add('sendDocument', sendMedia('sendDocument', 'document', 'document'));
    add('sendVoice', sendMedia('sendVoice', 'voice', 'voice'));

    add('sendMediaGroup', (p) => {
      const chat = this.sendTarget(p);
      const media = p.json('media', 'media JSON array');
      if (!Array.isArray(media)) throw badRequest('media must be an Array');
      if (media.length < 2 || media.length > 10) throw badRequest('wrong number of media in the group: must include 2-10 items');
      const items = media.map((item: unknown): { item: Record<string, unknown>; type: 'photo' | 'document' | 'video' | 'audio' } => {
        if (!isRecord(item) || typeof item['type'] !== 'string') throw badRequest("can't parse InputMedia: Field \"type\" must be of type String");
        const type = item['type'];
        if (type !== 'photo' && type !== 'document' && type !== 'video' && type !== 'audio') throw badRequest(`unsupported media type "${type}" in the media group`);
        return { item, type };
      });
      const types = new Set(items.map((i) => i.type));
      if ((types.has('document') || types.has('audio')) && types.size > 1) {
        throw badRequest(`${types.has('document') ? 'document' : 'audio'} can't be mixed with other media types`);
      }
      const replyToMessageId = this.replyTo(chat, p);
      const prepared = items.map(({ item, type }) => {
        const input = this.inputFile(p, item['media'], 'media');
        const cap = this.caption(new Params(item), 'caption', 'parse_mode', 'caption_entities');
        return { item, type, input, cap };
      });
      const groupId = `${13_000_000_000_000_000n + BigInt(++this.mediaGroupCounter)}`;
      const messages = prepared.map(({ item, type, input, cap }) => {
        const file = this.storeInput(input, type);
        const content = type === 'photo' ? this.photoContent(file) : type === 'document' ? this.documentContent(file) : {
          [type]: { file_id: file.file_id, file_unique_id: file.file_unique_id, file_size: file.file_size, ...(file.fileName !== undefined ? { file_name: file.fileName } : {}) },
        };
        const pm = typeof item['parse_mode'] === 'string' ? item['parse_mode'] : undefined;
        return this.addBotMessage(chat, 'sendMediaGroup', {
          kind: 'media_group item', mediaType: type, mediaGroupId: groupId, text: cap.text, entities: cap.entities, file, content,
          ...(pm !== undefined ? { parse_mode: pm } : {}),
          ...(replyToMessageId !== undefined ? { replyToMessageId } : {}),
        });
      });
      return messages.map((m) => this.apiMessage(m));
    });

    add('sendLocation', (p) => {
      const chat = this.sendTarget(p);
      const latitude = p.number('latitude');
      const longitude = p.number('longitude');
      if (latitude === undefined || latitude < -90 || latitude > 90) throw badRequest('wrong latitude specified');
      if (longitude === undefined || longitude < -180 || longitude > 180) throw badRequest('wrong longitude specified');
      const reply_markup = this.replyMarkup(p);
      const replyToMessageId = this.replyTo(chat, p);
      const m = this.addBotMessage(chat, 'sendLocation', {
        kind: 'location', text: '', entities: [], location: { latitude, longitude },
        ...(reply_markup !== undefined ? { reply_markup } : {}),
        ...(replyToMessageId !== undefined ? { replyToMessageId } : {}),
      });
      return this.apiMessage(m);
    });

    add('sendChatAction', (p) => {
      const chat = this.sendTarget(p);
      const action = p.string('action') ?? '';
      if (!CHAT_ACTIONS.has(action)) throw badRequest('wrong parameter action in request');
      this.chatActions.push({ chatId: chat.id, action, at: Date.now() });
      return true;
    });

    const copyLike = (method: 'copyMessage' | 'forwardMessage') => (p: Params): unknown => {
      const chat = this.sendTarget(p);
      const from = this.chatFor(p, 'from_chat_id');
      const id = p.number('message_id');
      if (id === undefined) throw badRequest('message identifier is not specified');
      const init = this.copySource(from, id, method === 'copyMessage' ? 'message to copy not found' : 'message to forward not found');
      if (method === 'copyMessage') {
        if (p.has('caption')) {
          if (init.kind === 'text' || !CAPTIONABLE.has(init.kind)) {
            // Telegram ignores a caption for messages that cannot have one
          } else {
            const cap = this.caption(p);
            init.text = cap.text;
            init.entities = cap.entities;
          }
        }
        const reply_markup = this.replyMarkup(p);
        if (reply_markup !== undefined) init.reply_markup = reply_markup;
        const replyToMessageId = this.replyTo(chat, p);
        if (replyToMessageId !== undefined) init.replyToMessageId = replyToMessageId;
        const m = this.addBotMessage(chat, method, init);
        return { message_id: m.message_id };
      }
      const source = from.userMessages.get(id);
      const sender = source !== undefined && isRecord(source['from']) ? source['from'] : this.botPublicUser();
      const date = source !== undefined && typeof source['date'] === 'number' ? source['date'] : nowSec();
      init.content = { ...init.content, forward_origin: { type: 'user', sender_user: sender, date } };
      delete init.reply_markup;
      const m = this.addBotMessage(chat, method, init);
      return this.apiMessage(m);
    };
    add('copyMessage', copyLike('copyMessage'));
    add('forwardMessage', copyLike('forwardMessage'));

    add('editMessageText', (p) => {
      const { message } = this.editTarget(p);
      if (message.kind !== 'text') throw badRequest('there is no text in the message to edit');
      const ft = this.messageText(p);
      const markup = this.replyMarkup(p, true);
      if (ft.text === message.text && entityKey(ft.entities) === entityKey(message.entities) && inlineKey(markup) === inlineKey(message.reply_markup)) {
        throw badRequest(NOT_MODIFIED);
      }
      this.applyEdit(message, ft, markup, p.string('parse_mode'));
      return this.apiMessage(message);
    });

    add('editMessageCaption', (p) => {
      const { message } = this.editTarget(p);
      if (!CAPTIONABLE.has(message.kind)) throw badRequest('there is no caption in the message to edit');
      const ft = this.caption(p);
      const markup = this.replyMarkup(p, true);
      if (ft.text === message.text && entityKey(ft.entities) === entityKey(message.entities) && inlineKey(markup) === inlineKey(message.reply_markup)) {
        throw badRequest(NOT_MODIFIED);
      }
      this.applyEdit(message, ft, markup, p.string('parse_mode'));
      return this.apiMessage(message);
    });

    add('editMessageReplyMarkup', (p) => {
      const { message } = this.editTarget(p);
      const markup = this.replyMarkup(p, true);
      if (inlineKey(markup) === inlineKey(message.reply_markup)) throw badRequest(NOT_MODIFIED);
      this.applyEdit(message, { text: message.text, entities: message.entities }, markup, message.parse_mode);
      return this.apiMessage(message);
    });

    add('deleteMessage', (p) => {
      const chat = this.chatFor(p);
      if (chat.type !== 'private') this.assertCanWrite(chat);
      const id = p.number('message_id');
      if (id === undefined) throw badRequest('message identifier is not specified');
      const bot = chat.botMessages.find((m) => m.message_id === id && !m.deleted);
      if (bot !== undefined) {
        bot.deleted = true;
        return true;
      }
      if (chat.userMessages.has(id) && !chat.deletedUserMessages.has(id)) {
        if (chat.type !== 'private' && chat.botStatus !== 'administrator' && chat.botStatus !== 'creator') {
          throw badRequest("message can't be deleted");
        }
        chat.deletedUserMessages.add(id);
        return true;
      }
      throw badRequest('message to delete not found');
    });

    add('answerCallbackQuery', (p) => {
      const id = p.string('callback_query_id') ?? '';
      const q = this.queries.get(id);
      if (q === undefined || q.answered || Date.now() - q.createdAt > this.config.callbackQueryTtlMs) {
        throw badRequest('query is too old and response timeout expired or query ID is invalid');
      }
      const text = p.string('text');
      if (text !== undefined && codePointLength(text) > 200) throw badRequest('MESSAGE_TOO_LONG');
      q.answered = true;
      const answer: CallbackAnswer = { callbackQueryId: id, showAlert: p.bool('show_alert'), at: Date.now(), chatId: q.chatId, messageId: q.messageId, data: q.data };
      if (text !== undefined) answer.text = text;
      const url = p.string('url');
      if (url !== undefined) answer.url = url;
      const cacheTime = p.number('cache_time');
      if (cacheTime !== undefined) answer.cacheTime = cacheTime;
      this.callbackAnswers.push(answer);
      return true;
    });

    add('getFile', (p) => {
      const id = p.string('file_id') ?? '';
      const f = this.fileStore.get(id);
      if (f === undefined) throw badRequest('invalid file_id');
      if (f.file_size > 20 * 1024 * 1024) throw badRequest('file is too big');
      return { file_id: f.file_id, file_unique_id: f.file_unique_id, file_size: f.file_size, file_path: f.file_path };
    });

    add('setMyCommands', (p) => {
      const raw = p.json('commands', 'commands JSON array');
      const list = raw === undefined ? [] : raw;
      if (!Array.isArray(list)) throw badRequest("can't parse commands JSON object");
      if (list.length > 100) throw badRequest('BOT_COMMANDS_TOO_MUCH');
      const commands = list.map((c: unknown) => {
        if (!isRecord(c)) throw badRequest("can't parse BotCommand: BotCommand must be an Object");
        if (typeof c['command'] !== 'string') throw badRequest(`can't parse BotCommand: Can't find field "command"`);
        if (typeof c['description'] !== 'string') throw badRequest(`can't parse BotCommand: Can't find field "description"`);
        if (!/^[a-z0-9_]{1,32}$/.test(c['command'])) throw badRequest('BOT_COMMAND_INVALID');
        const description = c['description'].trim();
        if (description === '') throw badRequest('command description must be non-empty');
        if (codePointLength(description) > 256) throw badRequest('BOT_COMMAND_DESCRIPTION_INVALID');
        return { command: c['command'], description };
      });
      const { scope, key } = this.commandScope(p);
      if (commands.length === 0) this.commandLists.delete(key);
      else this.commandLists.set(key, { scope, languageCode: p.string('language_code') ?? '', commands });
      return true;
    });

    add('getMyCommands', (p) => {
      const { key } = this.commandScope(p);
      return this.commandLists.get(key)?.commands ?? [];
    });

    add('deleteMyCommands', (p) => {
      const { key } = this.commandScope(p);
      this.commandLists.delete(key);
      return true;
    });

    add('getChat', (p) => {
      const chat = this.chatFor(p);
      return { ...this.chatObject(chat), accent_color_id: 0, max_reaction_count: 11 };
    });

    add('getChatMember', (p) => {
      const chat = this.chatFor(p);
      const userId = p.number('user_id');
      if (userId === undefined) throw badRequest('user not found');
      if (userId === this.botUser.id) {
        return this.memberObject(this.botPublicUser(), chat.botStatus);
      }
      const userChat = this.chats.get(userId);
      const user = userChat?.user;
      if (user === undefined) throw badRequest('user not found');
      if (chat.type === 'private') {
        if (chat.id !== userId) throw badRequest('user not found');
        return this.memberObject(user.telegramUser, 'member');
      }
      return this.memberObject(user.telegramUser, chat.members.get(userId) ?? 'left');
    });

    add('leaveChat', (p) => {
      const chat = this.chatFor(p);
      if (chat.type === 'private') throw badRequest("chat member status can't be changed in private chats");
      this.assertCanWrite(chat);
      const old = chat.botStatus;
      chat.botStatus = 'left';
      this.myChatMember(chat, this.botPublicUser(), old, 'left');
      return true;
    });

    add('setChatMenuButton', (p) => {
      let key = 'default';
      if (p.has('chat_id')) {
        const chat = this.chatFor(p);
        if (chat.type !== 'private') throw badRequest('chat not found');
        key = String(chat.id);
      }
      const raw = p.json('menu_button', 'MenuButton');
      const button = raw === undefined ? { type: 'default' } : raw;
      if (!isRecord(button) || !['commands', 'web_app', 'default'].includes(String(button['type']))) throw badRequest("can't parse MenuButton");
      if (button['type'] === 'web_app' && (typeof button['text'] !== 'string' || !isRecord(button['web_app']))) throw badRequest("can't parse MenuButton");
      this.menuButtons.set(key, button);
      return true;
    });

    add('getChatMenuButton', (p) => {
      let key = 'default';
      if (p.has('chat_id')) key = String(this.chatFor(p).id);
      return this.menuButtons.get(key) ?? this.menuButtons.get('default') ?? { type: 'commands' };
    });

    return h;
  }
}
