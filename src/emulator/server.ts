/**
 * Local stand-in for the Telegram Bot API (https://api.telegram.org) for end-to-end tests.
 *
 * Point telegraf at it with `new Telegraf(s.token, { telegram: { apiRoot: s.apiRoot } })`.
 * Scripted users and groups act (send text, voice, photos, press buttons …); the updates
 * reach the bot through getUpdates (long polling) or a webhook. Everything the bot does is
 * recorded and validated the way Telegram validates it (entity parsing, 4096/1024 limits,
 * BUTTON_DATA_INVALID, "message is not modified", blocked users, flood limits …).
 *
 * Reading model: every chat keeps the bot's messages in arrival order and a read cursor.
 * `nextMessage(chat)` returns the next unread message (waiting for it); `waitForMessage(chat, m)`
 * returns the first unread message matching `m` — also one that starts matching after an
 * edit — and moves the cursor past it (earlier unread messages count as read).
 * `messages(chat)` ignores the cursor and lists the current state.
 */
import http from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createHash, randomBytes } from 'node:crypto';
import type { Message, Update, User } from 'telegraf/types';

import {
  EntityParseError,
  codePointLength,
  detectUserEntities,
  parseHtml,
  parseMarkdown,
  parseMarkdownV2,
  trimFormatted,
  byteLength,
} from './entities.ts';
import type { Entity, FormattedText } from './entities.ts';
import { DEFAULT_FLOOD_LIMITS, Prng, TokenBucket, maxInWindow } from './limits.ts';
import type { FloodLimits } from './limits.ts';
import { HostileNetwork, type HostileOptions } from './hostile.ts';
import { ApiError, Params, badRequest, isRecord, parseParams, readBody, sendJson } from './request.ts';
import type { Upload } from './request.ts';
import { buttons, findButton } from './buttons.ts';
import { extensionFor, fakeJpeg, fakeMp4, fakeOgg, fakeWebp, mimeFromFileName } from './fixtures.ts';
import type {
  ApiCall,
  BotCommandEntry,
  BotMessage,
  BotMessageKind,
  CallbackAnswer,
  ChatActionRecord,
  MessageRevision,
  ObservedRates,
  SentFile,
  StandInConfig,
  StandInStats,
  StoredFile,
  WebhookDelivery,
} from './types.ts';

export { buttons, findButton, replyKeyboardButtons } from './buttons.ts';
export type { FlatButton } from './buttons.ts';
export type * from './types.ts';
export type { Entity } from './entities.ts';
export type { FloodLimits } from './limits.ts';
export { DEFAULT_FLOOD_LIMITS } from './limits.ts';

/** An update as the stand-in stores it (typed views are returned by the actions). */
export type RawUpdate = { update_id: number } & Record<string, unknown>;

/** Matches a bot message: substring of its text, a RegExp on its text, or a predicate. */
export type MessageMatcher = string | RegExp | ((message: BotMessage) => boolean);

export interface WaitOptions {
  /** Default 5000 ms. */
  timeoutMs?: number;
}

export interface StartOptions {
  /** Bot token; default '7000000001:AAStandIn_VillageDesk_token_0123456789'. */
  token?: string;
  /** Default 'village_desk_test_bot'. */
  botUsername?: string;
  /** Default 'Village Desk (test)'. */
  botFirstName?: string;
  /** Initial configuration (see `configure`). */
  config?: Partial<StandInConfig>;
}

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

type MemberStatus = 'creator' | 'administrator' | 'member' | 'restricted' | 'left' | 'kicked';

interface ChatState {
  id: number;
  type: 'private' | 'group' | 'supergroup';
  title?: string;
  username?: string;
  user?: ScriptedUser;
  nextMessageId: number;
  botMessages: BotMessage[];
  userMessages: Map<number, Record<string, unknown>>;
  deletedUserMessages: Set<number>;
  cursor: number;
  blocked: boolean;
  started: boolean;
  botStatus: MemberStatus;
  members: Map<number, MemberStatus>;
  bucket?: TokenBucket;
}

interface QueuedUpdate {
  update: RawUpdate;
  /** Set by redeliver(): delivered even when its update_id is below the confirmed offset. */
  forced: boolean;
}

interface PollWaiter {
  res: ServerResponse;
  call: ApiCall;
  limit: number;
  timer: NodeJS.Timeout;
}

interface QueryState {
  id: string;
  createdAt: number;
  answered: boolean;
  chatId: number;
  messageId: number;
  data: string;
  fromId: number;
}

interface WebhookState {
  url: string;
  secretToken?: string;
  maxConnections: number;
  allowedUpdates?: string[];
  lastErrorDate?: number;
  lastErrorMessage?: string;
}

interface Injection {
  method: string;
  error: ApiError;
  times: number;
}

/** What a new bot message starts with: the fields of BotMessage the sender sets. */
type MessageInit = Pick<BotMessage, 'kind' | 'text' | 'entities' | 'parse_mode' | 'reply_markup' | 'file' | 'location' | 'replyToMessageId' | 'mediaType' | 'mediaGroupId'> &
  Partial<Pick<BotMessage, 'content'>>;

/** Methods that send or edit messages: subject to flood limits and failure injection. */
const SENDING_METHODS = new Set([
  'sendmessage', 'sendphoto', 'senddocument', 'sendvoice', 'sendmediagroup', 'sendlocation',
  'copymessage', 'forwardmessage', 'editmessagetext', 'editmessagecaption', 'editmessagereplymarkup',
]);

const CHAT_ACTIONS = new Set([
  'typing', 'upload_photo', 'record_video', 'upload_video', 'record_voice', 'upload_voice',
  'upload_document', 'choose_sticker', 'find_location', 'record_video_note', 'upload_video_note',
]);

const DEFAULT_EXCLUDED_UPDATES = new Set(['chat_member', 'message_reaction', 'message_reaction_count']);

const INLINE_ACTION_FIELDS = [
  'callback_data', 'url', 'web_app', 'login_url', 'switch_inline_query', 'switch_inline_query_current_chat',
  'switch_inline_query_chosen_chat', 'callback_game', 'pay', 'copy_text',
];

const CAPTIONABLE: ReadonlySet<BotMessageKind> = new Set<BotMessageKind>([
  'photo', 'document', 'voice', 'media_group item', 'animation', 'video', 'audio',
]);

const NOT_MODIFIED =
  'message is not modified: specified new message content and reply markup are exactly the same as a current content and reply markup of the message';

const DEFAULT_CONFIG: StandInConfig = {
  floodLimits: false,
  failureRate: 0,
  failureDelivers: false,
  seed: 42,
  latencyMs: 0,
  callbackQueryTtlMs: 15 * 60 * 1000,
  webhookRetryMs: 100,
  strictHtmlAmpersand: true,
};

const nowSec = (): number => Math.floor(Date.now() / 1000);
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Stable JSON (sorted keys) for "is it the same" comparisons. */
function canonical(v: unknown): string {
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

function isInlineMarkup(m: Record<string, unknown> | undefined): boolean {
  return m !== undefined && Array.isArray(m['inline_keyboard']);
}

/** The inline keyboard as it counts for "not modified": none and an empty one are equal. */
function inlineKey(m: Record<string, unknown> | undefined): string {
  if (m === undefined || !Array.isArray(m['inline_keyboard'])) return '';
  const rows = m['inline_keyboard'].filter((r: unknown) => Array.isArray(r) && r.length > 0);
  return rows.length === 0 ? '' : canonical(rows);
}

function entityKey(entities: readonly Entity[]): string {
  return canonical(entities);
}

function toEntities(v: unknown, what = 'MessageEntity'): Entity[] {
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

function describeMatcher(m: MessageMatcher | undefined): string {
  if (m === undefined) return 'any message';
  if (typeof m === 'string') return JSON.stringify(m);
  if (m instanceof RegExp) return String(m);
  return m.name !== '' ? `predicate ${m.name}` : 'predicate';
}

function matches(m: BotMessage, matcher: MessageMatcher | undefined): boolean {
  if (matcher === undefined) return true;
  if (typeof matcher === 'string') return m.text.includes(matcher);
  if (matcher instanceof RegExp) {
    matcher.lastIndex = 0;
    return matcher.test(m.text);
  }
  return matcher(m);
}

function shorten(s: string, max = 160): string {
  const flat = s.replace(/\n/g, '\\n');
  return flat.length > max ? `${flat.slice(0, max)}…` : flat;
}

/** A Telegram user scripted by a test. Its private chat with the bot has chat id = user id. */
export class ScriptedUser {
  constructor(
    private readonly standIn: BotApiStandIn,
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
    private readonly standIn: BotApiStandIn,
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

/** The stand-in server. Create with `await BotApiStandIn.start()`, end with `await s.stop()`. */
export class BotApiStandIn {
  /** Bot token the stand-in accepts (others get 401 Unauthorized). */
  readonly token: string;
  /** The bot's own `User` (getMe). */
  readonly botUser: User & { can_join_groups: boolean; can_read_all_group_messages: boolean; supports_inline_queries: boolean };

  /** answerCallbackQuery calls that were accepted, in order. */
  readonly callbackAnswers: CallbackAnswer[] = [];
  /** sendChatAction calls that were accepted, in order. */
  readonly chatActions: ChatActionRecord[] = [];
  /** Webhook POST attempts (status or error). */
  readonly webhookDeliveries: WebhookDelivery[] = [];
  /** Every update produced (including redeliveries), in order. */
  readonly updates: RawUpdate[] = [];

  private readonly server: http.Server;
  private port = 0;
  private stopped = false;
  private config: StandInConfig = { ...DEFAULT_CONFIG };
  private prng = new Prng(DEFAULT_CONFIG.seed);
  private readonly chats = new Map<number, ChatState>();
  private readonly fileStore = new Map<string, StoredFile>();
  private readonly filesByPath = new Map<string, StoredFile>();
  private fileCounter = 0;
  private queue: QueuedUpdate[] = [];
  private nextUpdateId = 100_000_001;
  private poller: PollWaiter | null = null;
  private allowedUpdates: string[] = [];
  private webhook: WebhookState | null = null;
  private webhookAbort: AbortController | null = null;
  private pumping = false;
  private readonly callLog: ApiCall[] = [];
  private readonly queries = new Map<string, QueryState>();
  private queryCounter = 0;
  private mediaGroupCounter = 0;
  private readonly commandLists = new Map<string, BotCommandEntry>();
  private readonly menuButtons = new Map<string, Record<string, unknown>>();
  private readonly listeners = new Set<() => void>();
  private readonly injections: Injection[] = [];
  private readonly deliveries: Array<{ chatId: number; at: number }> = [];
  private globalBucket: TokenBucket | null = null;
  private readonly counters = {
    tooManyRequests: 0,
    tooManyRequestsByChat: {} as Record<number, number>,
    injectedFailures: 0,
    errorsByCode: {} as Record<number, number>,
    deliveredByChat: {} as Record<number, number>,
  };
  private readonly handlers: ReadonlyMap<string, (p: Params) => unknown>;
  /** Set by beHostile(): 502s, dropped connections and the counters of hostile.ts. */
  hostile: HostileNetwork | undefined;

  private constructor(opts: StartOptions) {
    this.token = opts.token ?? '7000000001:AAStandIn_VillageDesk_token_0123456789';
    const botId = Number(/^(\d+):/.exec(this.token)?.[1] ?? '7000000001');
    this.botUser = {
      id: botId,
      is_bot: true,
      first_name: opts.botFirstName ?? 'Village Desk (test)',
      username: opts.botUsername ?? 'village_desk_test_bot',
      can_join_groups: true,
      can_read_all_group_messages: false,
      supports_inline_queries: false,
    };
    if (opts.config !== undefined) this.configure(opts.config);
    this.handlers = this.buildHandlers();
    this.server = http.createServer((req, res) => {
      this.onRequest(req, res).catch((e: unknown) => {
        console.error('[standin] request failed', e);
        sendJson(res, 500, { ok: false, error_code: 500, description: `Internal Server Error: ${String(e)}` });
      });
    });
  }

  /** Starts a stand-in on 127.0.0.1 with a random port. */
  static async start(opts: StartOptions = {}): Promise<BotApiStandIn> {
    const s = new BotApiStandIn(opts);
    await new Promise<void>((resolve, reject) => {
      s.server.once('error', reject);
      s.server.listen(0, '127.0.0.1', () => resolve());
    });
    s.port = (s.server.address() as AddressInfo).port;
    return s;
  }

  /** 'http://127.0.0.1:PORT' — pass as telegraf's `telegram.apiRoot`. */
  get apiRoot(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** Stops the server at once: a pending long poll is answered with [], connections are closed. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    const w = this.poller;
    if (w !== null) {
      this.poller = null;
      clearTimeout(w.timer);
      this.finishCall(w.call, w.res, []);
    }
    this.webhookAbort?.abort();
    await new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }

  /** Changes behaviour at any time (flood limits, failure injection, latency …). */
  configure(patch: Partial<StandInConfig>): void {
    this.config = { ...this.config, ...patch };
    if (patch.seed !== undefined) this.prng = new Prng(patch.seed);
    if (patch.floodLimits !== undefined) {
      this.globalBucket = null;
      for (const c of this.chats.values()) delete c.bucket;
    }
  }

  /** Hostile network mode (see hostile.ts) with Telegram's flood limits on. */
  beHostile(options: Partial<HostileOptions> = {}): HostileNetwork {
    this.configure({ floodLimits: true });
    this.hostile = new HostileNetwork(options);
    return this.hostile;
  }

  /** Current configuration. */
  get settings(): Readonly<StandInConfig> {
    return this.config;
  }

  /** The next `times` calls of `method` ('*' = any method) answer this error instead of running. */
  failNext(method: string, error: { code: number; description: string; retryAfter?: number }, times = 1): void {
    const params = error.retryAfter !== undefined ? { retry_after: error.retryAfter } : undefined;
    this.injections.push({ method: method.toLowerCase(), error: new ApiError(error.code, error.description, params), times });
  }

  // ───────────────────────────── users, groups, actions ─────────────────────────────

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

  private newChat(init: Pick<ChatState, 'id' | 'type' | 'started' | 'botStatus'> & Partial<ChatState>): ChatState {
    return {
      nextMessageId: 1,
      botMessages: [],
      userMessages: new Map(),
      deletedUserMessages: new Set(),
      cursor: 0,
      blocked: false,
      members: new Map(),
      ...init,
    };
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

  private myChatMember(chat: ChatState, from: User, oldStatus: MemberStatus, newStatus: MemberStatus): Update.MyChatMemberUpdate {
    const update = {
      my_chat_member: {
        chat: this.chatObject(chat),
        from,
        date: nowSec(),
        old_chat_member: this.memberObject(this.botUser, oldStatus),
        new_chat_member: this.memberObject(this.botUser, newStatus),
      },
    };
    return this.enqueue(update) as unknown as Update.MyChatMemberUpdate;
  }

  /** Pushes the exact same update (same update_id) again, as after a lost confirmation. */
  redeliver(update: { update_id: number }): RawUpdate {
    const original = this.updates.find((u) => u.update_id === update.update_id);
    const copy = structuredClone(original ?? (update as RawUpdate));
    this.push(copy, true);
    return copy;
  }

  /** Queues an arbitrary update; update_id is assigned when missing. */
  pushRawUpdate(obj: Record<string, unknown>): RawUpdate {
    if (typeof obj['update_id'] === 'number') {
      const u = { ...obj, update_id: obj['update_id'] };
      this.push(u, true);
      return u;
    }
    return this.enqueue(obj);
  }

  private enqueue(body: Record<string, unknown>): RawUpdate {
    const update: RawUpdate = { update_id: this.nextUpdateId++, ...body };
    this.push(update, false);
    return update;
  }

  private push(update: RawUpdate, forced: boolean): void {
    this.updates.push(update);
    this.queue.push({ update, forced });
    if (this.webhook !== null) void this.pumpWebhook();
    else this.wakePoller();
    this.notify();
  }

  /** Registers a file (as if a user had sent it) so getFile/download work; returns its record. */
  registerFile(init: { kind: 'photo' | 'voice' | 'document' | 'sticker' | 'animation' | 'video' | 'audio'; bytes: Buffer; fileName?: string; mimeType?: string; url?: string }): StoredFile {
    const n = ++this.fileCounter;
    const prefix: Record<string, string> = { photo: 'AgAC', voice: 'AwAC', document: 'BQAC', sticker: 'CAAC', animation: 'CgAC', video: 'BAAC', audio: 'CQAC' };
    const dir: Record<string, string> = { photo: 'photos', voice: 'voice', document: 'documents', sticker: 'stickers', animation: 'animations', video: 'videos', audio: 'music' };
    const fallbackExt: Record<string, string> = { photo: 'jpg', voice: 'oga', document: 'dat', sticker: 'webp', animation: 'mp4', video: 'mp4', audio: 'mp3' };
    const ext = init.kind === 'photo' ? 'jpg' : init.kind === 'voice' ? 'oga' : extensionFor(init.fileName, fallbackExt[init.kind] ?? 'dat');
    const file: StoredFile = {
      file_id: `${prefix[init.kind] ?? 'BQAC'}AgIAAxkBAAI${n.toString(36)}${randomBytes(12).toString('base64url')}`,
      file_unique_id: `AgAD${n.toString(36)}${randomBytes(4).toString('hex')}`,
      file_path: `${dir[init.kind] ?? 'documents'}/file_${n}.${ext}`,
      file_size: init.bytes.length,
      bytes: init.bytes,
    };
    if (init.fileName !== undefined) file.fileName = init.fileName;
    if (init.mimeType !== undefined) file.mimeType = init.mimeType;
    if (init.url !== undefined) file.url = init.url;
    this.fileStore.set(file.file_id, file);
    this.filesByPath.set(file.file_path, file);
    return file;
  }

  /** Low-level: registers PhotoSize entries (90, 320, 800 px wide) sharing `bytes`. */
  registerPhotoSizes(bytes: Buffer, sizes: Array<[number, number]> = [[90, 68], [320, 240], [800, 600]]): Array<Record<string, unknown>> {
    return sizes.map(([width, height]) => {
      const f = this.registerFile({ kind: 'photo', bytes, mimeType: 'image/jpeg' });
      return { file_id: f.file_id, file_unique_id: f.file_unique_id, file_size: f.file_size, width, height };
    });
  }

  /** Low-level: the Telegram message object for a bot message, or for a user message of `chatId`. */
  rawMessage(chatId: number, message: BotMessage | { message_id: number }): Record<string, unknown> {
    const chat = this.requireChat(chatId);
    const bot = chat.botMessages.find((m) => m.message_id === message.message_id);
    if (bot !== undefined) return this.apiMessage(bot, false);
    const user = chat.userMessages.get(message.message_id);
    if (user !== undefined) return user;
    throw new Error(`message ${message.message_id} not found in chat ${chatId}`);
  }

  // ───────────────────────────── reading what the bot did ─────────────────────────────

  /** The bot's messages in a chat in order, current state (deleted ones only with includeDeleted). */
  messages(chatId: number, opts: { includeDeleted?: boolean } = {}): BotMessage[] {
    const chat = this.chats.get(chatId);
    if (chat === undefined) return [];
    return chat.botMessages.filter((m) => opts.includeDeleted === true || !m.deleted);
  }

  /** The bot's last (not deleted) message in a chat. */
  lastMessage(chatId: number): BotMessage | undefined {
    const list = this.messages(chatId);
    return list[list.length - 1];
  }

  /** Unread bot messages of a chat (after the read cursor). */
  unread(chatId: number): BotMessage[] {
    const chat = this.chats.get(chatId);
    return chat === undefined ? [] : chat.botMessages.slice(chat.cursor);
  }

  /** Marks every message of the chat read (moves the cursor to the end). */
  markRead(chatId: number): void {
    const chat = this.chats.get(chatId);
    if (chat !== undefined) chat.cursor = chat.botMessages.length;
  }

  /** The next unread bot message of the chat, waiting up to timeoutMs for one to arrive. */
  nextMessage(chatId: number, opts: WaitOptions = {}): Promise<BotMessage> {
    return this.waitForMessage(chatId, undefined, opts, 'nextMessage');
  }

  /**
   * The first unread bot message of the chat that matches (now, or after an edit), waiting up
   * to timeoutMs. The cursor moves past it; unread messages before it count as read.
   * Rejects with a list of what the chat received and of the bot's failed calls into it.
   */
  waitForMessage(chatId: number, matcher?: MessageMatcher, opts: WaitOptions = {}, label = 'waitForMessage'): Promise<BotMessage> {
    const timeoutMs = opts.timeoutMs ?? 5000;
    return this.waitUntil(
      () => {
        const chat = this.chats.get(chatId);
        if (chat === undefined) return undefined;
        for (let i = chat.cursor; i < chat.botMessages.length; i++) {
          const m = chat.botMessages[i];
          if (m !== undefined && matches(m, matcher)) {
            chat.cursor = i + 1;
            return m;
          }
        }
        return undefined;
      },
      { timeoutMs, description: () => `${label}(chat ${chatId}, ${describeMatcher(matcher)}): nothing within ${timeoutMs} ms.\n${this.describeChat(chatId)}` },
    );
  }

  /** Waits until `message` is edited (after this call) and then matches `matcher`. */
  waitForEdit(message: BotMessage, matcher?: MessageMatcher, opts: WaitOptions = {}): Promise<BotMessage> {
    const timeoutMs = opts.timeoutMs ?? 5000;
    const editsAtStart = message.edits;
    return this.waitUntil(() => (message.edits > editsAtStart && matches(message, matcher) ? message : undefined), {
      timeoutMs,
      description: () =>
        `waitForEdit(chat ${message.chatId} #${message.message_id}, ${describeMatcher(matcher)}): nothing within ${timeoutMs} ms.\n${this.describeChat(message.chatId)}`,
    });
  }

  /**
   * Resolves with the first truthy value of `probe`, re-checked after every API call and
   * update; rejects after timeoutMs (default 5000) with `description`.
   */
  waitUntil<T>(probe: () => T | undefined | null | false, opts: { timeoutMs?: number; description?: string | (() => string) } = {}): Promise<T> {
    const timeoutMs = opts.timeoutMs ?? 5000;
    return new Promise<T>((resolve, reject) => {
      let timer: NodeJS.Timeout | undefined;
      const cleanup = (): void => {
        if (timer !== undefined) clearTimeout(timer);
        this.listeners.delete(listener);
      };
      const check = (): boolean => {
        let value: T | undefined | null | false;
        try {
          value = probe();
        } catch (e) {
          cleanup();
          reject(e instanceof Error ? e : new Error(String(e)));
          return true;
        }
        if (value !== undefined && value !== null && value !== false) {
          cleanup();
          resolve(value);
          return true;
        }
        return false;
      };
      const listener = (): void => {
        check();
      };
      if (check()) return;
      this.listeners.add(listener);
      timer = setTimeout(() => {
        cleanup();
        const d = opts.description;
        reject(new Error(typeof d === 'function' ? d() : (d ?? `waitUntil: condition not met within ${timeoutMs} ms`)));
      }, timeoutMs);
    });
  }

  /** Human-readable summary of a chat: the bot's messages (read/unread) and failed calls into it. */
  describeChat(chatId: number): string {
    const chat = this.chats.get(chatId);
    if (chat === undefined) return `Chat ${chatId} does not exist (create it with s.user() / s.group()).`;
    const lines: string[] = [`Bot messages in chat ${chatId} (${chat.botMessages.length}, read cursor at ${chat.cursor}):`];
    chat.botMessages.forEach((m, i) => {
      const flags = [
        i < chat.cursor ? 'read' : 'unread',
        ...(m.edits > 0 ? [`edited ${m.edits}x`] : []),
        ...(m.deleted ? ['deleted'] : []),
        ...(buttons(m).length > 0 ? [`buttons: ${buttons(m).map((b) => b.text).join(' | ')}`] : []),
      ];
      lines.push(`  #${m.message_id} ${m.kind} [${flags.join(', ')}] ${JSON.stringify(shorten(m.text))}`);
    });
    if (chat.botMessages.length === 0) lines.push('  (none)');
    const failed = this.callLog.filter((c) => !c.ok && c.method.toLowerCase() !== 'getupdates' && String(c.params['chat_id']) === String(chatId));
    if (failed.length > 0) {
      lines.push(`Failed calls into chat ${chatId}:`);
      for (const c of failed) lines.push(`  ${c.method} → ${c.errorCode ?? '?'} ${c.description ?? ''}`);
    }
    return lines.join('\n');
  }

  /** Every API call, in order (getUpdates included). */
  get calls(): readonly ApiCall[] {
    return this.callLog;
  }

  /** Calls of one method (case-insensitive). */
  callsTo(method: string): ApiCall[] {
    const m = method.toLowerCase();
    return this.callLog.filter((c) => c.method.toLowerCase() === m);
  }

  /** Current command lists set with setMyCommands, one entry per (scope, language_code). */
  get commands(): BotCommandEntry[] {
    return [...this.commandLists.values()];
  }

  /** The commands for a scope (default `{ type: 'default' }`) and language ('' = all). */
  commandsFor(scope: Record<string, unknown> = { type: 'default' }, languageCode = ''): Array<{ command: string; description: string }> | undefined {
    return this.commandLists.get(`${canonical(this.scopeKey(scope))}|${languageCode}`)?.commands;
  }

  /** Menu button set with setChatMenuButton (chatId omitted = the default one). */
  menuButton(chatId?: number): Record<string, unknown> | undefined {
    return this.menuButtons.get(chatId === undefined ? 'default' : String(chatId));
  }

  /** Callback queries the bot has not answered (yet). */
  unansweredCallbackQueries(): Array<{ id: string; chatId: number; messageId: number; data: string }> {
    return [...this.queries.values()].filter((q) => !q.answered).map(({ id, chatId, messageId, data }) => ({ id, chatId, messageId, data }));
  }

  /** Makes a callback query look `ageMs` older (to test "query is too old"). */
  ageCallbackQuery(id: string, ageMs: number): void {
    const q = this.queries.get(id);
    if (q === undefined) throw new Error(`unknown callback query ${id}`);
    q.createdAt -= ageMs;
  }

  /** Documents the bot sent into a chat (sendDocument, document media group items, copies), with bytes; since-deleted ones included (see message.deleted). */
  documents(chatId: number): SentFile[] {
    return this.files(chatId).filter((f) => f.kind === 'document' || (f.kind === 'media_group item' && f.message.mediaType === 'document'));
  }

  /** Every file-bearing bot message of a chat (photos, documents, voice, media groups …), with bytes; since-deleted ones included. */
  files(chatId: number): SentFile[] {
    return this.messages(chatId, { includeDeleted: true }).flatMap((m) => {
      if (m.file === undefined) return [];
      const name = m.file.fileName ?? m.file.file_path.split('/').pop() ?? 'file';
      return [{ message: m, kind: m.kind, fileName: name, mimeType: m.file.mimeType ?? mimeFromFileName(name), bytes: m.file.bytes }];
    });
  }

  /** A stored file by file_id (uploaded by the bot or sent by a user). */
  file(fileId: string): StoredFile | undefined {
    return this.fileStore.get(fileId);
  }

  /** Counters for assertions about delivery, 429s and injected failures. */
  stats(): StandInStats {
    return {
      calls: this.callLog.length,
      delivered: this.deliveries.length,
      deliveredByChat: { ...this.counters.deliveredByChat },
      tooManyRequests: this.counters.tooManyRequests,
      tooManyRequestsByChat: { ...this.counters.tooManyRequestsByChat },
      injectedFailures: this.counters.injectedFailures,
      errorsByCode: { ...this.counters.errorsByCode },
    };
  }

  /** Highest observed delivery rates: global per 1 s window, per chat per 1 s and per 60 s windows. */
  maxObservedRate(): ObservedRates {
    const perChat: ObservedRates['perChat'] = {};
    const byChat = new Map<number, number[]>();
    for (const d of this.deliveries) byChat.set(d.chatId, [...(byChat.get(d.chatId) ?? []), d.at]);
    for (const [chatId, times] of byChat) perChat[chatId] = { perSecond: maxInWindow(times, 1000), perMinute: maxInWindow(times, 60_000) };
    return { globalPerSecond: maxInWindow(this.deliveries.map((d) => d.at), 1000), perChat };
  }

  /**
   * Replays the delivered messages through fresh Telegram-like token buckets and lists every
   * delivery that would have been refused: use with floodLimits off to assert that the bot
   * throttles itself. Empty array = within limits.
   */
  limitViolations(limits: Partial<FloodLimits> = {}): string[] {
    const l = { ...DEFAULT_FLOOD_LIMITS, ...limits };
    const sorted = [...this.deliveries].sort((a, b) => a.at - b.at);
    const first = sorted[0]?.at ?? 0;
    const global = new TokenBucket(l.globalPerSecond, l.globalPerSecond, first);
    const buckets = new Map<number, TokenBucket>();
    const out: string[] = [];
    for (const d of sorted) {
      const chat = this.chats.get(d.chatId);
      let b = buckets.get(d.chatId);
      if (b === undefined) {
        b = chat?.type === 'private' || chat === undefined
          ? new TokenBucket(l.privateBurst, l.privatePerSecond, d.at)
          : new TokenBucket(l.groupPerMinute, l.groupPerMinute / 60, d.at);
        buckets.set(d.chatId, b);
      }
      if (global.retryAfter(d.at) > 0) out.push(`global limit exceeded at ${new Date(d.at).toISOString()} (chat ${d.chatId})`);
      if (b.retryAfter(d.at) > 0) out.push(`chat ${d.chatId} limit exceeded at ${new Date(d.at).toISOString()}`);
      global.take(d.at);
      b.take(d.at);
    }
    return out;
  }

  // ───────────────────────────── HTTP ─────────────────────────────

  private async onRequest(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const startedAt = performance.now();
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const fileMatch = /^\/file\/bot([^/]+)\/(.+)$/.exec(url.pathname);
    if (fileMatch !== null) {
      if (req.method !== 'GET' && req.method !== 'HEAD') return sendJson(res, 404, { ok: false, error_code: 404, description: 'Not Found' });
      if (fileMatch[1] !== this.token) return sendJson(res, 401, { ok: false, error_code: 401, description: 'Unauthorized' });
      const file = this.filesByPath.get(decodeURIComponent(fileMatch[2] ?? ''));
      if (file === undefined) return sendJson(res, 404, { ok: false, error_code: 404, description: 'Not Found' });
      res.writeHead(200, { 'content-type': file.mimeType ?? 'application/octet-stream', 'content-length': file.bytes.length });
      res.end(req.method === 'HEAD' ? undefined : file.bytes);
      return;
    }
    const m = /^\/bot([^/]*)\/([^/]*)\/?$/.exec(url.pathname);
    if (m === null) return sendJson(res, 404, { ok: false, error_code: 404, description: 'Not Found' });
    if (m[1] !== this.token) return sendJson(res, 401, { ok: false, error_code: 401, description: 'Unauthorized' });
    const method = decodeURIComponent(m[2] ?? '');
    let params: Params;
    try {
      params = await parseParams(req.headers['content-type'], await readBody(req), url.searchParams);
    } catch (e) {
      if (e instanceof ApiError) return sendJson(res, e.code, e.body());
      throw e;
    }
    if (this.config.latencyMs > 0) await sleep(this.config.latencyMs);
    if (this.stopped) {
      res.destroy();
      return;
    }
    const verdict = this.hostile?.before(method, params.values, startedAt) ?? 'pass';
    if (verdict === 'drop') return void res.destroy();
    if (verdict === 'bad_gateway') return sendJson(res, 502, { ok: false, error_code: 502, description: 'Bad Gateway' }, 'Bad Gateway');
    if (method.toLowerCase() === 'getupdates') {
      this.getUpdates(method, params, res);
      return;
    }
    const out = this.invoke(method, params, 'http');
    this.hostile?.after(method, params.values, out.ok ? undefined : { code: out.error.code, description: out.error.description, retryAfter: out.error.parameters?.retry_after });
    if (verdict === 'drop_after') return void res.destroy();
    if (out.ok) sendJson(res, 200, { ok: true, result: out.result });
    else sendJson(res, out.error.code, out.error.body(), out.error.code === 502 ? 'Bad Gateway' : undefined);
  }

  private finishCall(call: ApiCall, res: ServerResponse, outcome: unknown): void {
    if (outcome instanceof ApiError) {
      this.recordError(call, outcome);
      sendJson(res, outcome.code, outcome.body());
    } else {
      call.ok = true;
      call.result = outcome;
      sendJson(res, 200, { ok: true, result: outcome });
    }
    this.notify();
  }

  private recordError(call: ApiCall, err: ApiError): void {
    call.ok = false;
    call.errorCode = err.code;
    call.description = err.description;
    if (err.parameters?.retry_after !== undefined) call.retryAfter = err.parameters.retry_after;
    this.counters.errorsByCode[err.code] = (this.counters.errorsByCode[err.code] ?? 0) + 1;
  }

  private takeInjection(method: string): ApiError | undefined {
    const key = method.toLowerCase();
    const i = this.injections.findIndex((inj) => inj.method === key || inj.method === '*');
    const inj = this.injections[i];
    if (inj === undefined) return undefined;
    inj.times--;
    if (inj.times <= 0) this.injections.splice(i, 1);
    if (inj.error.code >= 500) this.counters.injectedFailures++;
    return inj.error;
  }

  /** Runs one method call (HTTP or webhook reply) and records it. */
  private invoke(method: string, p: Params, via: ApiCall['via']): { ok: true; result: unknown } | { ok: false; error: ApiError } {
    const call: ApiCall = { method, params: p.summary(), at: Date.now(), via, ok: false };
    this.callLog.push(call);
    const key = method.toLowerCase();
    try {
      const handler = this.handlers.get(key);
      if (handler === undefined) throw new ApiError(404, 'Not Found');
      const injected = this.takeInjection(method);
      if (injected !== undefined) throw injected;
      const sending = SENDING_METHODS.has(key);
      let lostAnswer = false;
      let commit: (() => void) | undefined;
      if (sending) {
        if (this.config.failureRate > 0 && this.prng.next() < this.config.failureRate) {
          if (!this.config.failureDelivers) {
            this.counters.injectedFailures++;
            throw new ApiError(502, 'Bad Gateway');
          }
          lostAnswer = true;
        }
        commit = this.floodCheck(p);
      }
      const result = handler(p);
      if (sending) {
        commit?.();
        const chatId = Number(p.values['chat_id']);
        if (Number.isFinite(chatId)) {
          this.deliveries.push({ chatId, at: Date.now() });
          this.counters.deliveredByChat[chatId] = (this.counters.deliveredByChat[chatId] ?? 0) + 1;
        }
      }
      if (lostAnswer) {
        this.counters.injectedFailures++;
        throw new ApiError(502, 'Bad Gateway');
      }
      call.ok = true;
      call.result = result;
      return { ok: true, result };
    } catch (e) {
      let err: ApiError;
      if (e instanceof ApiError) err = e;
      else {
        console.error(`[standin] ${method} crashed`, e);
        err = new ApiError(500, `Internal Server Error: stand-in failure in ${method}: ${String(e)}`);
      }
      this.recordError(call, err);
      return { ok: false, error: err };
    } finally {
      this.notify();
    }
  }

  private floodLimits(): FloodLimits | null {
    const f = this.config.floodLimits;
    if (f === false) return null;
    return f === true ? DEFAULT_FLOOD_LIMITS : { ...DEFAULT_FLOOD_LIMITS, ...f };
  }

  /** Throws 429 when a flood limit would be exceeded; returns the function that takes the tokens. */
  private floodCheck(p: Params): (() => void) | undefined {
    const limits = this.floodLimits();
    if (limits === null) return undefined;
    let chat: ChatState | undefined;
    try {
      chat = this.chatFor(p);
    } catch {
      return undefined; // the handler answers the error
    }
    const now = Date.now();
    this.globalBucket ??= new TokenBucket(limits.globalPerSecond, limits.globalPerSecond, now);
    chat.bucket ??= chat.type === 'private'
      ? new TokenBucket(limits.privateBurst, limits.privatePerSecond, now)
      : new TokenBucket(limits.groupPerMinute, limits.groupPerMinute / 60, now);
    const global = this.globalBucket;
    const bucket = chat.bucket;
    const wait = Math.max(global.retryAfter(now), bucket.retryAfter(now));
    if (wait > 0) {
      this.counters.tooManyRequests++;
      this.counters.tooManyRequestsByChat[chat.id] = (this.counters.tooManyRequestsByChat[chat.id] ?? 0) + 1;
      throw new ApiError(429, `Too Many Requests: retry after ${wait}`, { retry_after: wait });
    }
    return () => {
      global.take(now);
      bucket.take(now);
    };
  }

  private notify(): void {
    for (const l of [...this.listeners]) l();
  }

  // ───────────────────────────── updates: polling and webhook ─────────────────────────────

  private getUpdates(method: string, p: Params, res: ServerResponse): void {
    const call: ApiCall = { method, params: p.summary(), at: Date.now(), via: 'http', ok: false };
    this.callLog.push(call);
    try {
      const injected = this.takeInjection(method);
      if (injected !== undefined) throw injected;
      if (this.webhook !== null) {
        throw new ApiError(409, "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to delete the webhook first");
      }
      const offset = Math.trunc(p.number('offset') ?? 0);
      const limit = Math.min(100, Math.max(1, Math.trunc(p.number('limit') ?? 100)));
      const timeout = Math.max(0, p.number('timeout') ?? 0);
      if (p.has('allowed_updates')) {
        const au = p.json('allowed_updates');
        if (Array.isArray(au)) this.allowedUpdates = au.filter((x: unknown): x is string => typeof x === 'string');
      }
      this.confirmUpdates(offset);
      const old = this.poller;
      if (old !== null) {
        this.poller = null;
        clearTimeout(old.timer);
        this.finishCall(old.call, old.res, new ApiError(409, 'Conflict: terminated by other getUpdates request; make sure that only one bot instance is running'));
      }
      const batch = this.takeUpdates(limit);
      if (batch.length > 0 || timeout === 0 || this.stopped) {
        this.finishCall(call, res, batch);
        return;
      }
      const waiter: PollWaiter = {
        res,
        call,
        limit,
        timer: setTimeout(() => {
          if (this.poller !== waiter) return;
          this.poller = null;
          this.finishCall(call, res, this.takeUpdates(limit));
        }, timeout * 1000),
      };
      this.poller = waiter;
      this.notify();
      res.on('close', () => {
        if (this.poller !== waiter) return;
        this.poller = null;
        clearTimeout(waiter.timer);
        call.description = 'aborted by the client';
      });
    } catch (e) {
      this.finishCall(call, res, e instanceof ApiError ? e : new ApiError(500, `Internal Server Error: ${String(e)}`));
    }
  }

  private wakePoller(): void {
    const w = this.poller;
    if (w === null) return;
    const batch = this.takeUpdates(w.limit);
    if (batch.length === 0) return;
    this.poller = null;
    clearTimeout(w.timer);
    this.finishCall(w.call, w.res, batch);
  }

  /** getUpdates offset semantics: updates below offset are confirmed and forgotten. */
  private confirmUpdates(offset: number): void {
    if (offset > 0) {
      this.queue = this.queue.filter((q) => q.forced || q.update.update_id >= offset);
    } else if (offset < 0) {
      this.queue = this.queue.slice(offset);
    }
  }

  private isAllowed(update: RawUpdate, allowed: readonly string[]): boolean {
    const type = Object.keys(update).find((k) => k !== 'update_id') ?? '';
    return allowed.length === 0 ? !DEFAULT_EXCLUDED_UPDATES.has(type) : allowed.includes(type);
  }

  private takeUpdates(limit: number): RawUpdate[] {
    this.queue = this.queue.filter((q) => this.isAllowed(q.update, this.allowedUpdates));
    const batch = [...this.queue].sort((a, b) => a.update.update_id - b.update.update_id).slice(0, limit);
    for (const q of batch) q.forced = false;
    return batch.map((q) => q.update);
  }

  private async pumpWebhook(): Promise<void> {
    if (this.pumping) return;
    this.pumping = true;
    try {
      while (!this.stopped && this.webhook !== null) {
        const hook = this.webhook;
        this.queue = this.queue.filter((q) => this.isAllowed(q.update, hook.allowedUpdates ?? []));
        const entry = this.queue[0];
        if (entry === undefined) break;
        const delivery: WebhookDelivery = { updateId: entry.update.update_id, at: Date.now() };
        this.webhookDeliveries.push(delivery);
        let ok = false;
        const ac = new AbortController();
        this.webhookAbort = ac;
        try {
          const headers: Record<string, string> = { 'content-type': 'application/json' };
          if (hook.secretToken !== undefined) headers['x-telegram-bot-api-secret-token'] = hook.secretToken;
          const resp = await fetch(hook.url, { method: 'POST', headers, body: JSON.stringify(entry.update), signal: ac.signal });
          delivery.status = resp.status;
          const text = await resp.text();
          ok = resp.ok;
          if (ok) this.handleWebhookReply(resp.headers.get('content-type'), text);
          else {
            hook.lastErrorDate = nowSec();
            hook.lastErrorMessage = `Wrong response from the webhook: ${resp.status} ${resp.statusText}`;
          }
        } catch (e) {
          delivery.error = e instanceof Error ? e.message : String(e);
          hook.lastErrorDate = nowSec();
          hook.lastErrorMessage = `Connection failed: ${delivery.error}`;
        } finally {
          if (this.webhookAbort === ac) this.webhookAbort = null;
        }
        if (ok) {
          this.queue = this.queue.filter((q) => q !== entry);
          this.notify();
        } else if (!this.stopped && this.webhook === hook) {
          this.notify();
          await sleep(this.config.webhookRetryMs);
        }
      }
    } finally {
      this.pumping = false;
    }
  }

  /** A webhook answer may carry one method call (`{ "method": "sendMessage", … }`), as in Telegram. */
  private handleWebhookReply(contentType: string | null, text: string): void {
    if (text.trim() === '' || !(contentType ?? '').includes('json')) return;
    let body: unknown;
    try {
      body = JSON.parse(text) as unknown;
    } catch {
      return;
    }
    if (!isRecord(body) || typeof body['method'] !== 'string') return;
    const { method, ...rest } = body;
    this.invoke(method, new Params(rest), 'webhook-reply');
  }

  // ───────────────────────────── helpers for handlers ─────────────────────────────

  private requireChat(chatId: number): ChatState {
    const chat = this.chats.get(chatId);
    if (chat === undefined) throw new Error(`chat ${chatId} does not exist (create it with s.user() / s.group())`);
    return chat;
  }

  /** The chat named by a parameter (400 "chat not found" when unknown). */
  private chatFor(p: Params, field = 'chat_id'): ChatState {
    const raw = p.values[field];
    if (raw === undefined || raw === null || raw === '') throw badRequest('chat_id is empty');
    let chat: ChatState | undefined;
    if (typeof raw === 'string' && raw.startsWith('@')) {
      const name = raw.slice(1).toLowerCase();
      chat = [...this.chats.values()].find((c) => c.type !== 'private' && c.username?.toLowerCase() === name);
    } else {
      const n = typeof raw === 'number' ? raw : Number(raw);
      if (Number.isSafeInteger(n)) chat = this.chats.get(n);
    }
    if (chat === undefined) throw badRequest('chat not found');
    return chat;
  }

  private assertCanWrite(chat: ChatState): void {
    if (chat.type === 'private') {
      if (chat.blocked) throw new ApiError(403, 'Forbidden: bot was blocked by the user');
      if (!chat.started) throw new ApiError(403, "Forbidden: bot can't initiate conversation with a user");
      return;
    }
    const kind = chat.type === 'supergroup' ? 'supergroup' : 'group';
    if (chat.botStatus === 'kicked') throw new ApiError(403, `Forbidden: bot was kicked from the ${kind} chat`);
    if (chat.botStatus === 'left') throw new ApiError(403, `Forbidden: bot is not a member of the ${kind} chat`);
  }

  /** The chat to send into: exists and the bot may write there. */
  private sendTarget(p: Params): ChatState {
    const chat = this.chatFor(p);
    this.assertCanWrite(chat);
    return chat;
  }

  private chatObject(chat: ChatState): Record<string, unknown> {
    if (chat.type === 'private') {
      const u = chat.user;
      const out: Record<string, unknown> = { id: chat.id, first_name: u?.firstName ?? '', type: 'private' };
      if (u?.lastName !== undefined) out['last_name'] = u.lastName;
      if (u?.username !== undefined) out['username'] = u.username;
      return out;
    }
    const out: Record<string, unknown> = { id: chat.id, title: chat.title ?? '', type: chat.type };
    if (chat.username !== undefined) out['username'] = chat.username;
    return out;
  }

  /** The bot as it appears in `from` fields. */
  private botPublicUser(): User {
    const u: User = { id: this.botUser.id, is_bot: true, first_name: this.botUser.first_name };
    if (this.botUser.username !== undefined) u.username = this.botUser.username;
    return u;
  }

  private memberObject(user: User, status: MemberStatus): Record<string, unknown> {
    const out: Record<string, unknown> = { user, status };
    if (status === 'kicked' || status === 'restricted') out['until_date'] = 0;
    if (status === 'administrator') {
      Object.assign(out, {
        can_be_edited: false, is_anonymous: false, can_manage_chat: true, can_delete_messages: true,
        can_manage_video_chats: true, can_restrict_members: true, can_promote_members: false, can_change_info: true,
        can_invite_users: true, can_post_stories: false, can_edit_stories: false, can_delete_stories: false, can_pin_messages: true,
      });
    }
    if (status === 'creator') out['is_anonymous'] = false;
    return out;
  }

  /** Text + parse_mode/entities → Telegram's stored form (parsed, trimmed). */
  private format(raw: string, parseMode: string | undefined, entities: unknown): FormattedText {
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

  private messageText(p: Params): FormattedText {
    const ft = this.format(p.string('text') ?? '', p.string('parse_mode'), p.json('entities'));
    if (ft.text === '') throw badRequest('message text is empty');
    if (codePointLength(ft.text) > 4096) throw badRequest('message is too long');
    return ft;
  }

  private caption(p: Params, field = 'caption', parseModeField = 'parse_mode', entitiesField = 'caption_entities'): FormattedText {
    const ft = this.format(p.string(field) ?? '', p.string(parseModeField), p.json(entitiesField));
    if (codePointLength(ft.text) > 1024) throw badRequest('message caption is too long');
    return ft;
  }

  /** Validates reply_markup like Telegram; returns it as given (parsed). */
  private replyMarkup(p: Params, inlineOnly = false): Record<string, unknown> | undefined {
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

  private replyTo(chat: ChatState, p: Params): number | undefined {
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

  private addBotMessage(chat: ChatState, method: string, init: MessageInit): BotMessage {
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
  private apiMessage(m: BotMessage, withReply = true): Record<string, unknown> {
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

  /** Resolves an InputFile parameter: an upload (multipart), attach://name, a known file_id, or an HTTP URL. */
  private inputFile(p: Params, value: unknown, field: string): { upload?: Upload; existing?: StoredFile; url?: string } {
    if (typeof value === 'string' && value !== '') {
      if (value.startsWith('attach://')) {
        const up = p.uploads.get(value.slice('attach://'.length));
        if (up === undefined) throw badRequest(`wrong file identifier/HTTP URL specified`);
        return { upload: up };
      }
      if (/^https?:\/\//i.test(value)) return { url: value };
      const existing = this.fileStore.get(value);
      if (existing === undefined) throw badRequest('wrong file identifier/HTTP URL specified');
      return { existing };
    }
    const up = p.uploads.get(field);
    if (up !== undefined) return { upload: up };
    throw badRequest(`there is no ${field} in the request`);
  }

  private storeInput(
    input: { upload?: Upload; existing?: StoredFile; url?: string },
    kind: 'photo' | 'document' | 'voice' | 'video' | 'audio',
    mimeDefault?: string,
  ): StoredFile {
    if (input.existing !== undefined) return input.existing;
    const fileName = input.upload?.fileName ?? (input.url !== undefined ? decodeURIComponent(input.url.split(/[?#]/)[0]?.split('/').pop() ?? 'file') : 'file');
    const mimeType = kind === 'photo' ? 'image/jpeg' : kind === 'voice' ? 'audio/ogg' : (mimeDefault ?? mimeFromFileName(fileName));
    return this.registerFile({
      kind,
      bytes: input.upload?.bytes ?? Buffer.alloc(0),
      fileName,
      mimeType,
      ...(input.url !== undefined ? { url: input.url } : {}),
    });
  }

  private photoContent(file: StoredFile): Record<string, unknown> {
    const small = this.registerFile({ kind: 'photo', bytes: file.bytes, mimeType: 'image/jpeg' });
    return {
      photo: [
        { file_id: small.file_id, file_unique_id: small.file_unique_id, file_size: small.file_size, width: 90, height: 90 },
        { file_id: file.file_id, file_unique_id: file.file_unique_id, file_size: file.file_size, width: 800, height: 800 },
      ],
    };
  }

  private documentContent(file: StoredFile): Record<string, unknown> {
    const doc: Record<string, unknown> = { file_id: file.file_id, file_unique_id: file.file_unique_id, file_size: file.file_size };
    if (file.fileName !== undefined) doc['file_name'] = file.fileName;
    if (file.mimeType !== undefined) doc['mime_type'] = file.mimeType;
    return { document: doc };
  }

  private editTarget(p: Params): { chat: ChatState; message: BotMessage } {
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

  private applyEdit(m: BotMessage, ft: FormattedText, markup: Record<string, unknown> | undefined, parseMode: string | undefined): void {
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

  private scopeKey(scope: Record<string, unknown>): Record<string, unknown> {
    const key: Record<string, unknown> = { type: scope['type'] ?? 'default' };
    if (scope['chat_id'] !== undefined) key['chat_id'] = Number(scope['chat_id']);
    if (scope['user_id'] !== undefined) key['user_id'] = Number(scope['user_id']);
    return key;
  }

  private commandScope(p: Params): { scope: Record<string, unknown>; key: string } {
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

  // ───────────────────────────── methods ─────────────────────────────

  private buildHandlers(): Map<string, (p: Params) => unknown> {
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

  private setWebhookState(state: WebhookState | null, dropPending: boolean): void {
    if (dropPending) this.queue = [];
    this.webhookAbort?.abort();
    this.webhook = state;
    if (state !== null) {
      const w = this.poller;
      if (w !== null) {
        this.poller = null;
        clearTimeout(w.timer);
        this.finishCall(w.call, w.res, new ApiError(409, 'Conflict: terminated by setWebhook request'));
      }
      queueMicrotask(() => void this.pumpWebhook());
    }
  }

  /** The content of a user's or the bot's message, for copyMessage/forwardMessage. */
  private copySource(from: ChatState, id: number, notFound: string): MessageInit {
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
}
