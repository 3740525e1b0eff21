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
 *
 * The emulator is one class built in layers, one file per concern, each extending the one
 * before: state.ts (chats, configuration, call log, reading model) → validation.ts (Telegram's
 * checks of parameters) → updates.ts (update queue, long polling, webhook) → files.ts (file
 * store, uploads, downloads) → sending.ts (every Bot API method) → scripted.ts (scripted users
 * and groups) → this file (HTTP server, method dispatch, flood limits, failure injection,
 * inspection). Everything is re-exported here: import from './server.ts'.
 */
import http from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

import { DEFAULT_FLOOD_LIMITS, TokenBucket, maxInWindow } from './limits.ts';
import type { FloodLimits } from './limits.ts';
import { HostileNetwork, type HostileOptions } from './hostile.ts';
import { ApiError, Params, parseParams, readBody, sendJson } from './request.ts';
import type { ApiCall, BotCommandEntry, ObservedRates, StandInStats } from './types.ts';
import { sleep } from './state.ts';
import type { ChatState, StartOptions } from './state.ts';
import { canonical } from './validation.ts';
import { SENDING_METHODS } from './sending.ts';
import { ScriptedWorld } from './scripted.ts';

export { buttons, findButton, replyKeyboardButtons } from './buttons.ts';
export type { FlatButton } from './buttons.ts';
export type * from './types.ts';
export type { Entity } from './entities.ts';
export type { FloodLimits } from './limits.ts';
export { DEFAULT_FLOOD_LIMITS } from './limits.ts';
export type { MessageMatcher, RawUpdate, StartOptions, TimelineEntry, WaitOptions } from './state.ts';
export { ScriptedGroup, ScriptedUser } from './scripted.ts';
export type { GroupInit, PressOptions, UserInit } from './scripted.ts';

/** The emulator. Create with `await BotApiStandIn.start()`, end with `await s.stop()`. */
export class BotApiStandIn extends ScriptedWorld {
  protected readonly server: http.Server;
  protected port = 0;
  protected readonly deliveries: Array<{ chatId: number; at: number }> = [];

  protected readonly handlers: ReadonlyMap<string, (p: Params) => unknown>;
  private readonly routes: StartOptions['routes'];
  /** Set by beHostile(): 502s, dropped connections and the counters of hostile.ts. */
  hostile: HostileNetwork | undefined;

  private constructor(opts: StartOptions) {
    super(opts);
    this.routes = opts.routes;
    this.handlers = this.buildHandlers();
    this.server = http.createServer((req, res) => {
      this.onRequest(req, res).catch((e: unknown) => {
        console.error('[standin] request failed', e);
        sendJson(res, 500, { ok: false, error_code: 500, description: `Internal Server Error: ${String(e)}` });
      });
    });
  }

  /** Starts an emulator on 127.0.0.1, on a random port unless `opts.port` names one. */
  static async start(opts: StartOptions = {}): Promise<BotApiStandIn> {
    const s = new BotApiStandIn(opts);
    await new Promise<void>((resolve, reject) => {
      s.server.once('error', reject);
      s.server.listen(opts.port ?? 0, '127.0.0.1', () => resolve());
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

  /** The next `times` calls of `method` ('*' = any method) answer this error instead of running. */
  failNext(method: string, error: { code: number; description: string; retryAfter?: number }, times = 1): void {
    const params = error.retryAfter !== undefined ? { retry_after: error.retryAfter } : undefined;
    this.injections.push({ method: method.toLowerCase(), error: new ApiError(error.code, error.description, params), times });
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

  /** Hostile network mode (see hostile.ts) with Telegram's flood limits on. */
  beHostile(options: Partial<HostileOptions> = {}): HostileNetwork {
    this.configure({ floodLimits: true });
    this.hostile = new HostileNetwork(options);
    return this.hostile;
  }

  protected async onRequest(req: IncomingMessage, res: ServerResponse): Promise<void> {
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
    if (m === null && this.routes !== undefined && (await this.routes(req, res, url))) return;
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

  /** Runs one method call (HTTP or webhook reply) and records it. */
  protected invoke(method: string, p: Params, via: ApiCall['via']): { ok: true; result: unknown } | { ok: false; error: ApiError } {
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

  protected floodLimits(): FloodLimits | null {
    const f = this.config.floodLimits;
    if (f === false) return null;
    return f === true ? DEFAULT_FLOOD_LIMITS : { ...DEFAULT_FLOOD_LIMITS, ...f };
  }

  /** Throws 429 when a flood limit would be exceeded; returns the function that takes the tokens. */
  protected floodCheck(p: Params): (() => void) | undefined {
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
}
