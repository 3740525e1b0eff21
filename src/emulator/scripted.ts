/**
 * Scripted users and groups: the people a test (or the demo page) acts as. They send text,
 * voice, photos, locations, press buttons, block the bot; each action becomes an update.
 */
import { createHash } from 'node:crypto';
import type { Message, Update, User } from 'telegraf/types';

import { detectUserEntities } from './entities.ts';
import { buttons, findButton } from './buttons.ts';
import { fakeJpeg, fakeMp4, fakeOgg, fakeWebp, mimeFromFileName } from './fixtures.ts';
import type { BotMessage } from './types.ts';
import { nowSec } from './state.ts';
import type { MemberStatus, MessageMatcher, RawUpdate, WaitOptions } from './state.ts';
import { SendingMethods } from './sending.ts';

export interface UserInit {
  id: number;
  firstName: string;
  lastName?: string;
  username?: string;
  languageCode?: string;
  /**
   * Whether the user has already started the bot (default true). When false, the bot
   * gets 403 "bot can't initiate conversation with a user" until the user writes first.
   */
  startedBot?: boolean;
}

export interface GroupInit {
  /** Negative, like Telegram (supergroups: -100…). */
  id: number;
  title: string;
  type?: 'group' | 'supergroup';
  /** Public username (supergroups), so chat_id '@name' works. */
  username?: string;
  /** The bot's status in the group at creation (default 'member'). */
  botStatus?: 'member' | 'administrator';
}

export interface PressOptions {
  /**
   * Send the callback even if `data` is not among the message's current buttons (or the
   * message was deleted): forged/replayed callback data for security tests.
   */
  forge?: boolean;
}

/** A Telegram user scripted by a test. Its private chat with the bot has chat id = user id. */
export class ScriptedUser {
  constructor(
    private readonly standIn: ScriptedWorld,
    readonly id: number,
    readonly firstName: string,
    readonly lastName: string | undefined,
    readonly username: string | undefined,
    readonly languageCode: string | undefined,
  ) {}

  /** The private chat id (= user id). */
  get chatId(): number {
    return this.id;
  }

  /** The Telegram `User` object of this user. */
  get telegramUser(): User {
    const u: User = { id: this.id, is_bot: false, first_name: this.firstName };
    if (this.lastName !== undefined) u.last_name = this.lastName;
    if (this.username !== undefined) u.username = this.username;
    if (this.languageCode !== undefined) u.language_code = this.languageCode;
    return u;
  }

  /** Sends a text in the private chat; '/cmd' gets a bot_command entity like in Telegram. */
  sendText(text: string): Update.MessageUpdate<Message.TextMessage> {
    return this.standIn.userSends(this, this.id, textContent(text)) as unknown as Update.MessageUpdate<Message.TextMessage>;
  }

  /** Sends a voice note (fake Ogg bytes unless given; getFile + download work). */
  sendVoice(opts: { duration?: number; bytes?: Buffer } = {}): Update.MessageUpdate<Message.VoiceMessage> {
    const duration = opts.duration ?? 3;
    const file = this.standIn.registerFile({ kind: 'voice', bytes: opts.bytes ?? fakeOgg(duration), mimeType: 'audio/ogg' });
    const voice = { file_id: file.file_id, file_unique_id: file.file_unique_id, duration, mime_type: 'audio/ogg', file_size: file.file_size };
    return this.standIn.userSends(this, this.id, { voice }) as unknown as Update.MessageUpdate<Message.VoiceMessage>;
  }

  /** Sends a photo: three PhotoSize entries (distinct file ids) backed by a small JPEG unless `bytes` given. */
  /** A photo; photos sent as one album share a `mediaGroupId` (Telegram delivers one update each). */
  sendPhoto(opts: { caption?: string; bytes?: Buffer; mediaGroupId?: string } = {}): Update.MessageUpdate<Message.PhotoMessage> {
    const content: Record<string, unknown> = { photo: this.standIn.registerPhotoSizes(opts.bytes ?? fakeJpeg()) };
    if (opts.mediaGroupId !== undefined) content['media_group_id'] = opts.mediaGroupId;
    if (opts.caption !== undefined) {
      content['caption'] = opts.caption;
      const entities = detectUserEntities(opts.caption);
      if (entities.length > 0) content['caption_entities'] = entities;
    }
    return this.standIn.userSends(this, this.id, content) as unknown as Update.MessageUpdate<Message.PhotoMessage>;
  }

  sendLocation(latitude: number, longitude: number): Update.MessageUpdate<Message.LocationMessage> {
    return this.standIn.userSends(this, this.id, { location: { latitude, longitude } }) as unknown as Update.MessageUpdate<Message.LocationMessage>;
  }

  sendSticker(opts: { emoji?: string } = {}): Update.MessageUpdate<Message.StickerMessage> {
    const file = this.standIn.registerFile({ kind: 'sticker', bytes: fakeWebp(), mimeType: 'image/webp' });
    const sticker = {
      file_id: file.file_id, file_unique_id: file.file_unique_id, type: 'regular', width: 512, height: 512,
      is_animated: false, is_video: false, emoji: opts.emoji ?? '👍', set_name: 'StandInStickers', file_size: file.file_size,
    };
    return this.standIn.userSends(this, this.id, { sticker }) as unknown as Update.MessageUpdate<Message.StickerMessage>;
  }

  /** Sends a GIF: like Telegram, the message carries both `animation` and `document`. */
  sendAnimation(): Update.MessageUpdate<Message.AnimationMessage> {
    const file = this.standIn.registerFile({ kind: 'animation', bytes: fakeMp4(), fileName: 'animation.gif.mp4', mimeType: 'video/mp4' });
    const common = { file_id: file.file_id, file_unique_id: file.file_unique_id, file_name: 'animation.gif.mp4', mime_type: 'video/mp4', file_size: file.file_size };
    const content = { animation: { ...common, width: 320, height: 240, duration: 2 }, document: common };
    return this.standIn.userSends(this, this.id, content) as unknown as Update.MessageUpdate<Message.AnimationMessage>;
  }

  /** Shares a contact (by default the user's own, like the "share my phone" button). */
  sendContact(opts: { phoneNumber?: string; firstName?: string; lastName?: string; userId?: number } = {}): Update.MessageUpdate<Message.ContactMessage> {
    const contact: Record<string, unknown> = {
      phone_number: opts.phoneNumber ?? '+8613800000000',
      first_name: opts.firstName ?? this.firstName,
      user_id: opts.userId ?? this.id,
    };
    if (opts.lastName !== undefined) contact['last_name'] = opts.lastName;
    return this.standIn.userSends(this, this.id, { contact }) as unknown as Update.MessageUpdate<Message.ContactMessage>;
  }

  sendDocument(opts: { fileName: string; mimeType?: string; bytes?: Buffer; caption?: string }): Update.MessageUpdate<Message.DocumentMessage> {
    const mimeType = opts.mimeType ?? mimeFromFileName(opts.fileName);
    const file = this.standIn.registerFile({
      kind: 'document', bytes: opts.bytes ?? Buffer.from(`stand-in document ${opts.fileName}\n`), fileName: opts.fileName, mimeType,
    });
    const content: Record<string, unknown> = {
      document: { file_id: file.file_id, file_unique_id: file.file_unique_id, file_name: opts.fileName, mime_type: mimeType, file_size: file.file_size },
    };
    if (opts.caption !== undefined) content['caption'] = opts.caption;
    return this.standIn.userSends(this, this.id, content) as unknown as Update.MessageUpdate<Message.DocumentMessage>;
  }

  /** Replies (reply_to_message set) to a bot message, or to one of the user's own earlier messages. */
  replyTo(message: BotMessage | { message_id: number }, text: string): Update.MessageUpdate<Message.TextMessage> {
    const content = { ...textContent(text), reply_to_message: this.standIn.rawMessage(this.id, message) };
    return this.standIn.userSends(this, this.id, content) as unknown as Update.MessageUpdate<Message.TextMessage>;
  }

  /**
   * Presses the inline button with callback data `data` of a bot message. The data must be
   * on the message's current keyboard unless `{ forge: true }`. The query id is
   * `update.callback_query.id`.
   */
  press(message: BotMessage, data: string, opts: PressOptions = {}): Update.CallbackQueryUpdate {
    return this.standIn.pressButton(this, message, data, opts);
  }

  /** Presses the inline button whose text equals/matches `textOrRegex`. */
  pressButton(message: BotMessage, textOrRegex: string | RegExp): Update.CallbackQueryUpdate {
    const b = findButton(message, textOrRegex);
    if (b.callback_data === undefined) throw new Error(`Button ${JSON.stringify(b.text)} has no callback_data`);
    return this.standIn.pressButton(this, message, b.callback_data, {});
  }

  /** Blocks the bot: sends get 403; a my_chat_member update (status kicked) is delivered. */
  block(): Update.MyChatMemberUpdate {
    return this.standIn.setBlocked(this, true);
  }

  /** Unblocks the bot (my_chat_member update, status member). */
  unblock(): Update.MyChatMemberUpdate {
    return this.standIn.setBlocked(this, false);
  }

  /** The bot's messages in this user's private chat (current state). */
  messages(): BotMessage[] {
    return this.standIn.messages(this.id);
  }

  nextMessage(opts?: WaitOptions): Promise<BotMessage> {
    return this.standIn.nextMessage(this.id, opts);
  }

  waitForMessage(matcher?: MessageMatcher, opts?: WaitOptions): Promise<BotMessage> {
    return this.standIn.waitForMessage(this.id, matcher, opts);
  }
}

/** A group chat scripted by a test. */
export class ScriptedGroup {
  constructor(
    private readonly standIn: ScriptedWorld,
    readonly id: number,
    readonly title: string,
    readonly type: 'group' | 'supergroup',
  ) {}

  get chatId(): number {
    return this.id;
  }

  /** `from` writes `text` in the group (bot commands get entities; privacy mode is not simulated). */
  sendText(from: ScriptedUser, text: string): Update.MessageUpdate<Message.TextMessage> {
    return this.standIn.userSends(from, this.id, textContent(text)) as unknown as Update.MessageUpdate<Message.TextMessage>;
  }

  replyTo(from: ScriptedUser, message: BotMessage | { message_id: number }, text: string): Update.MessageUpdate<Message.TextMessage> {
    const content = { ...textContent(text), reply_to_message: this.standIn.rawMessage(this.id, message) };
    return this.standIn.userSends(from, this.id, content) as unknown as Update.MessageUpdate<Message.TextMessage>;
  }

  press(from: ScriptedUser, message: BotMessage, data: string, opts: PressOptions = {}): Update.CallbackQueryUpdate {
    return this.standIn.pressButton(from, message, data, opts);
  }

  /** Sets a user's membership status (what getChatMember answers). */
  setMember(user: ScriptedUser, status: MemberStatus): void {
    this.standIn.setMemberStatus(this.id, user.id, status);
  }

  messages(): BotMessage[] {
    return this.standIn.messages(this.id);
  }

  nextMessage(opts?: WaitOptions): Promise<BotMessage> {
    return this.standIn.nextMessage(this.id, opts);
  }

  waitForMessage(matcher?: MessageMatcher, opts?: WaitOptions): Promise<BotMessage> {
    return this.standIn.waitForMessage(this.id, matcher, opts);
  }
}

function textContent(text: string): Record<string, unknown> {
  const entities = detectUserEntities(text);
  return entities.length > 0 ? { text, entities } : { text };
}


/** SendingMethods plus users, groups and what they do. */
export abstract class ScriptedWorld extends SendingMethods {
  /** Creates a user and their private chat with the bot (chat id = user id). */
  user(init: UserInit): ScriptedUser {
    if (init.id <= 0) throw new Error(`user id must be positive, got ${init.id}`);
    if (this.chats.has(init.id)) throw new Error(`chat ${init.id} already exists`);
    const user = new ScriptedUser(this, init.id, init.firstName, init.lastName, init.username, init.languageCode);
    this.chats.set(init.id, this.newChat({
      id: init.id, type: 'private', user, started: init.startedBot ?? true, botStatus: 'member',
      ...(init.username !== undefined ? { username: init.username } : {}),
    }));
    return user;
  }

  /** Creates a group (negative id) the bot is a member of. */
  group(init: GroupInit): ScriptedGroup {
    if (init.id >= 0) throw new Error(`group ids are negative in Telegram, got ${init.id}`);
    if (this.chats.has(init.id)) throw new Error(`chat ${init.id} already exists`);
    const type = init.type ?? 'group';
    this.chats.set(init.id, this.newChat({
      id: init.id, type, title: init.title, started: true, botStatus: init.botStatus ?? 'member',
      ...(init.username !== undefined ? { username: init.username } : {}),
    }));
    return new ScriptedGroup(this, init.id, init.title, type);
  }

  /** Low-level (prefer ScriptedUser/ScriptedGroup): `from` posts a message with `content` fields into `chatId`. */
  userSends(from: ScriptedUser, chatId: number, content: Record<string, unknown>): RawUpdate {
    const chat = this.requireChat(chatId);
    if (chat.type === 'private') {
      if (chatId !== from.id) throw new Error(`user ${from.id} cannot write into the private chat ${chatId}`);
      if (chat.blocked) throw new Error(`user ${from.id} has blocked the bot; call user.unblock() first`);
      chat.started = true;
    } else {
      if (chat.botStatus === 'left' || chat.botStatus === 'kicked') {
        throw new Error(`the bot is not in group ${chatId} (status ${chat.botStatus}); Telegram would deliver nothing — use s.botAddedToGroup()`);
      }
      if (!chat.members.has(from.id)) chat.members.set(from.id, 'member');
    }
    const messageId = chat.nextMessageId++;
    const message: Record<string, unknown> = {
      message_id: messageId, from: from.telegramUser, chat: this.chatObject(chat), date: nowSec(), ...content,
    };
    chat.userMessages.set(messageId, message);
    return this.enqueue({ message });
  }

  /** Low-level: a callback_query update for a press by `from` on a bot message. */
  pressButton(from: ScriptedUser, message: BotMessage, data: string, opts: PressOptions = {}): Update.CallbackQueryUpdate {
    const chat = this.requireChat(message.chatId);
    const live = chat.botMessages.find((m) => m.message_id === message.message_id);
    if (live === undefined) throw new Error(`message ${message.message_id} is not a bot message in chat ${message.chatId}`);
    if (opts.forge !== true) {
      if (live.deleted) throw new Error(`message ${live.message_id} was deleted; its buttons cannot be pressed (use { forge: true })`);
      const available = buttons(live).flatMap((b) => (b.callback_data !== undefined ? [b.callback_data] : []));
      if (!available.includes(data)) {
        throw new Error(
          `callback data ${JSON.stringify(data)} is not on message ${live.message_id}'s keyboard (available: ${available.map((d) => JSON.stringify(d)).join(', ') || 'none'}); pass { forge: true } to send it anyway`,
        );
      }
      if (chat.type === 'private' && from.id !== chat.id) throw new Error(`user ${from.id} cannot see the private chat ${chat.id}`);
    }
    const id = (BigInt(this.botUser.id) * 1_000_000n + BigInt(++this.queryCounter)).toString();
    this.queries.set(id, { id, createdAt: Date.now(), answered: false, chatId: chat.id, messageId: live.message_id, data, fromId: from.id });
    const callback_query = {
      id,
      from: from.telegramUser,
      message: this.apiMessage(live),
      chat_instance: createHash('sha256').update(`${this.botUser.id}:${chat.id}`).digest('hex').slice(0, 18).replace(/[a-f]/g, '7'),
      data,
    };
    return this.enqueue({ callback_query }) as unknown as Update.CallbackQueryUpdate;
  }

  /** Low-level: a user blocks/unblocks the bot. */
  setBlocked(user: ScriptedUser, blocked: boolean): Update.MyChatMemberUpdate {
    const chat = this.requireChat(user.id);
    const old = chat.blocked ? 'kicked' : 'member';
    chat.blocked = blocked;
    if (!blocked) chat.started = true;
    return this.myChatMember(chat, user.telegramUser, old, blocked ? 'kicked' : 'member');
  }

  /** The bot is removed from a group by `byUser` (my_chat_member: kicked). Sends then get 403. */
  botRemovedFromGroup(group: ScriptedGroup, byUser: ScriptedUser): Update.MyChatMemberUpdate {
    const chat = this.requireChat(group.id);
    const old = chat.botStatus;
    chat.botStatus = 'kicked';
    return this.myChatMember(chat, byUser.telegramUser, old, 'kicked');
  }

  /** The bot is added to a group by `byUser` (my_chat_member: member). */
  botAddedToGroup(group: ScriptedGroup, byUser: ScriptedUser, status: 'member' | 'administrator' = 'member'): Update.MyChatMemberUpdate {
    const chat = this.requireChat(group.id);
    const old = chat.botStatus;
    chat.botStatus = status;
    chat.members.set(byUser.id, chat.members.get(byUser.id) ?? 'member');
    return this.myChatMember(chat, byUser.telegramUser, old, status);
  }

  /** Low-level: membership of a user in a group (for getChatMember). */
  setMemberStatus(chatId: number, userId: number, status: MemberStatus): void {
    this.requireChat(chatId).members.set(userId, status);
  }
}
