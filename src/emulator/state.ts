/**
 * The emulator's chat state and its reading model: the chats the bot talks to, the bot's
 * messages in each of them with a read cursor, the configuration, the call log and the
 * failure injections. Every other layer of the emulator builds on this class.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { User } from 'telegraf/types';

import { Prng } from './limits.ts';
import type { TokenBucket } from './limits.ts';
import { ApiError, badRequest, sendJson } from './request.ts';
import type { Params } from './request.ts';
import { buttons } from './buttons.ts';
import type { ScriptedUser } from './scripted.ts';
import type { ApiCall, BotMessage, StandInConfig } from './types.ts';

/** An update as the emulator stores it (typed views are returned by the actions). */
export type RawUpdate = { update_id: number } & Record<string, unknown>;

/** Matches a bot message: substring of its text, a RegExp on its text, or a predicate. */
export type MessageMatcher = string | RegExp | ((message: BotMessage) => boolean);

export interface WaitOptions {
  /** Default 5000 ms. */
  timeoutMs?: number;
}

/** What the emulator is started with (see BotApiStandIn.start). */
export interface StartOptions {
  /** Bot token; default '7000000001:AAStandIn_VillageDesk_token_0123456789'. */
  token?: string;
  /** Default 'village_desk_test_bot'. */
  botUsername?: string;
  /** Default 'Village Desk (test)'. */
  botFirstName?: string;
  /** Initial configuration (see `configure`). */
  config?: Partial<StandInConfig>;
  /** Port on 127.0.0.1 (default 0: a free one, which is what tests should use). */
  port?: number;
  /**
   * Serves requests that are not Bot API calls or file downloads (the demo's web page);
   * answers true when it handled the request.
   */
  routes?: (req: IncomingMessage, res: ServerResponse, url: URL) => Promise<boolean>;
}

/** One message of a chat's timeline (see EmulatorState.timeline). */
export type TimelineEntry =
  | { from: 'bot'; id: number; message: BotMessage }
  | { from: 'user'; id: number; message: Record<string, unknown> };

export type MemberStatus = 'creator' | 'administrator' | 'member' | 'restricted' | 'left' | 'kicked';

export interface ChatState {
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

interface Injection {
  method: string;
  error: ApiError;
  times: number;
}

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

export const nowSec = (): number => Math.floor(Date.now() / 1000);
export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

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


/** Chats, configuration, call log and the reading model; see BotApiStandIn for the whole emulator. */
export abstract class EmulatorState {
  /** Bot token the stand-in accepts (others get 401 Unauthorized). */
  readonly token: string;
  /** The bot's own `User` (getMe). */
  readonly botUser: User & { can_join_groups: boolean; can_read_all_group_messages: boolean; supports_inline_queries: boolean };
  protected stopped = false;
  protected config: StandInConfig = { ...DEFAULT_CONFIG };
  protected prng = new Prng(DEFAULT_CONFIG.seed);
  protected readonly chats = new Map<number, ChatState>();
  protected readonly callLog: ApiCall[] = [];
  protected readonly listeners = new Set<() => void>();
  protected readonly injections: Injection[] = [];

  protected globalBucket: TokenBucket | null = null;
  protected readonly counters = {
    tooManyRequests: 0,
    tooManyRequestsByChat: {} as Record<number, number>,
    injectedFailures: 0,
    errorsByCode: {} as Record<number, number>,
    deliveredByChat: {} as Record<number, number>,
  };

  protected constructor(opts: StartOptions) {
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

  /** Current configuration. */
  get settings(): Readonly<StandInConfig> {
    return this.config;
  }

  /** The bot's messages in a chat in order, current state (deleted ones only with includeDeleted). */
  messages(chatId: number, opts: { includeDeleted?: boolean } = {}): BotMessage[] {
    const chat = this.chats.get(chatId);
    if (chat === undefined) return [];
    return chat.botMessages.filter((m) => opts.includeDeleted === true || !m.deleted);
  }

  /**
   * The chat as its people see it: what users wrote (raw Telegram messages) and the bot's
   * messages, in message_id order (both share the chat's counter, as in Telegram).
   */
  timeline(chatId: number): TimelineEntry[] {
    const chat = this.chats.get(chatId);
    if (chat === undefined) return [];
    const entries: TimelineEntry[] = [
      ...chat.botMessages.filter((m) => !m.deleted).map((message): TimelineEntry => ({ from: 'bot', id: message.message_id, message })),
      ...[...chat.userMessages.entries()]
        .filter(([id]) => !chat.deletedUserMessages.has(id))
        .map(([id, message]): TimelineEntry => ({ from: 'user', id, message })),
    ];
    return entries.sort((a, b) => a.id - b.id);
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

  protected newChat(init: Pick<ChatState, 'id' | 'type' | 'started' | 'botStatus'> & Partial<ChatState>): ChatState {
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

  protected requireChat(chatId: number): ChatState {
    const chat = this.chats.get(chatId);
    if (chat === undefined) throw new Error(`chat ${chatId} does not exist (create it with s.user() / s.group())`);
    return chat;
  }

  /** The chat named by a parameter (400 "chat not found" when unknown). */
  protected chatFor(p: Params, field = 'chat_id'): ChatState {
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

  protected assertCanWrite(chat: ChatState): void {
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
  protected sendTarget(p: Params): ChatState {
    const chat = this.chatFor(p);
    this.assertCanWrite(chat);
    return chat;
  }

  protected chatObject(chat: ChatState): Record<string, unknown> {
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
  protected botPublicUser(): User {
    const u: User = { id: this.botUser.id, is_bot: true, first_name: this.botUser.first_name };
    if (this.botUser.username !== undefined) u.username = this.botUser.username;
    return u;
  }

  protected memberObject(user: User, status: MemberStatus): Record<string, unknown> {
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

  protected notify(): void {
    for (const l of [...this.listeners]) l();
  }

  protected finishCall(call: ApiCall, res: ServerResponse, outcome: unknown): void {
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

  protected recordError(call: ApiCall, err: ApiError): void {
    call.ok = false;
    call.errorCode = err.code;
    call.description = err.description;
    if (err.parameters?.retry_after !== undefined) call.retryAfter = err.parameters.retry_after;
    this.counters.errorsByCode[err.code] = (this.counters.errorsByCode[err.code] ?? 0) + 1;
  }

  protected takeInjection(method: string): ApiError | undefined {
    const key = method.toLowerCase();
    const i = this.injections.findIndex((inj) => inj.method === key || inj.method === '*');
    const inj = this.injections[i];
    if (inj === undefined) return undefined;
    inj.times--;
    if (inj.times <= 0) this.injections.splice(i, 1);
    if (inj.error.code >= 500) this.counters.injectedFailures++;
    return inj.error;
  }
}
