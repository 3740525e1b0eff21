/** Public record types of the Bot API stand-in. */
import type { Entity } from './entities.ts';
import type { FloodLimits } from './limits.ts';

/** What a bot message is. Items of sendMediaGroup have kind 'media_group item' (see `mediaType`). */
export type BotMessageKind =
  | 'text'
  | 'photo'
  | 'document'
  | 'voice'
  | 'location'
  | 'media_group item'
  | 'sticker'
  | 'animation'
  | 'contact'
  | 'video'
  | 'audio';

/** A file known to the stand-in (uploaded by the bot, or sent by a scripted user). */
export interface StoredFile {
  file_id: string;
  file_unique_id: string;
  /** Path for `GET {apiRoot}/file/bot{token}/{file_path}`. */
  file_path: string;
  file_size: number;
  fileName?: string;
  mimeType?: string;
  bytes: Buffer;
  /** Set when the bot sent a file by HTTP URL (the stand-in does not fetch it; bytes are empty). */
  url?: string;
}

/** One earlier state of an edited bot message. */
export interface MessageRevision {
  text: string;
  entities: Entity[];
  reply_markup?: Record<string, unknown>;
  /** When this state was replaced (ms since epoch). */
  replacedAt: number;
}

/**
 * A message the bot sent, as it currently is (edits are applied in place; the
 * object is live, so a test holding it sees later edits).
 */
export interface BotMessage {
  readonly chatId: number;
  readonly message_id: number;
  /** Unix seconds, like Telegram. */
  readonly date: number;
  /** ms since epoch when the stand-in accepted it. */
  readonly sentAt: number;
  /** The API method that created it (sendMessage, sendPhoto, copyMessage, …). */
  readonly method: string;
  kind: BotMessageKind;
  /** For kind 'media_group item': 'photo' | 'document' | 'video' | 'audio'. */
  mediaType?: 'photo' | 'document' | 'video' | 'audio';
  mediaGroupId?: string;
  /** Visible text: the message text, or the caption of a media message ('' when none). */
  text: string;
  entities: Entity[];
  /** parse_mode of the last send/edit, as given. */
  parse_mode?: string;
  /** The reply_markup of the last send/edit as given (inline keyboards, reply keyboards, remove_keyboard, force_reply). */
  reply_markup?: Record<string, unknown>;
  /** The file of photo/document/voice/animation/sticker/media messages (largest size for photos). */
  file?: StoredFile;
  location?: { latitude: number; longitude: number };
  /** Extra Telegram fields of the content (photo sizes, document, voice, contact, sticker, forward_origin …). */
  content: Record<string, unknown>;
  replyToMessageId?: number;
  /** Number of successful edits (editMessageText/Caption/ReplyMarkup). */
  edits: number;
  history: MessageRevision[];
  /** Unix seconds of the last edit. */
  editDate?: number;
  deleted: boolean;
}

/** A file the bot uploaded or sent, with its bytes (see `BotApiStandIn.documents` / `files`). */
export interface SentFile {
  message: BotMessage;
  kind: BotMessageKind;
  fileName: string;
  mimeType: string;
  bytes: Buffer;
}

/** One API call the bot made. */
export interface ApiCall {
  method: string;
  /** Parameters as received (uploads appear as `{ upload: fileName, size }`). */
  params: Record<string, unknown>;
  /** ms since epoch. */
  at: number;
  /** 'http' for calls over HTTP, 'webhook-reply' for a method returned in a webhook answer. */
  via: 'http' | 'webhook-reply';
  ok: boolean;
  errorCode?: number;
  description?: string;
  retryAfter?: number;
  result?: unknown;
}

export interface CallbackAnswer {
  callbackQueryId: string;
  text?: string;
  showAlert: boolean;
  url?: string;
  cacheTime?: number;
  at: number;
  /** The query this answers (chat/message/data of the press), when it was valid. */
  chatId?: number;
  messageId?: number;
  data?: string;
}

export interface ChatActionRecord {
  chatId: number;
  action: string;
  at: number;
}

export interface BotCommandEntry {
  /** The scope as given (type 'default' when omitted). */
  scope: Record<string, unknown>;
  /** '' for all languages. */
  languageCode: string;
  commands: Array<{ command: string; description: string }>;
}

export interface WebhookDelivery {
  updateId: number;
  at: number;
  status?: number;
  error?: string;
}

/** Options for `BotApiStandIn.configure`. Everything is off by default. */
export interface StandInConfig {
  /** Enforce Telegram-like flood limits on message-sending methods (true = defaults). */
  floodLimits: boolean | Partial<FloodLimits>;
  /** Share (0..1) of message-sending calls that answer 502 Bad Gateway. */
  failureRate: number;
  /** When true, an injected 502 still delivers the message (a lost answer: the bot cannot know it was sent). */
  failureDelivers: boolean;
  /** Seed of the PRNG behind failureRate (reset when set). */
  seed: number;
  /** Delay before each API call is answered. */
  latencyMs: number;
  /** Callback queries older than this answer "query is too old" (Telegram: 15 minutes). */
  callbackQueryTtlMs: number;
  /** Delay before a webhook delivery that failed is tried again. */
  webhookRetryMs: number;
  /**
   * HTML parse mode: refuse a bare '&' that does not start a character reference.
   * Default true — stricter than Telegram, which shows such an '&' literally.
   */
  strictHtmlAmpersand: boolean;
}

export interface StandInStats {
  /** All API calls (any method). */
  calls: number;
  /** Message-sending calls that delivered (send*, copyMessage, forwardMessage, editMessage*). */
  delivered: number;
  deliveredByChat: Record<number, number>;
  /** 429 answers given. */
  tooManyRequests: number;
  tooManyRequestsByChat: Record<number, number>;
  /** 5xx answers injected by failureRate / failNext. */
  injectedFailures: number;
  /** All error answers by code. */
  errorsByCode: Record<number, number>;
}

export interface ObservedRates {
  /** Max deliveries over all chats inside any 1-second window. */
  globalPerSecond: number;
  perChat: Record<number, { perSecond: number; perMinute: number }>;
}
