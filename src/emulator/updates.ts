/**
 * The update feed: what users do becomes updates, queued and handed to the bot by long
 * polling (getUpdates, with Telegram's offset, limit, timeout and allowed_updates rules) or
 * posted to its webhook (secret token header, retries on a non-2xx answer).
 */
import type { ServerResponse } from 'node:http';
import type { Update, User } from 'telegraf/types';

import { ApiError, Params, isRecord } from './request.ts';
import type { ApiCall, WebhookDelivery } from './types.ts';
import { nowSec, sleep } from './state.ts';
import type { ChatState, MemberStatus, RawUpdate } from './state.ts';
import { Validation } from './validation.ts';

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

export interface WebhookState {
  url: string;
  secretToken?: string;
  maxConnections: number;
  allowedUpdates?: string[];
  lastErrorDate?: number;
  lastErrorMessage?: string;
}

const DEFAULT_EXCLUDED_UPDATES = new Set(['chat_member', 'message_reaction', 'message_reaction_count']);

/** Validation plus the queue of updates and its two ways to the bot. */
export abstract class UpdateFeed extends Validation {
  /** Webhook POST attempts (status or error). */
  readonly webhookDeliveries: WebhookDelivery[] = [];
  /** Every update produced (including redeliveries), in order. */
  readonly updates: RawUpdate[] = [];
  protected queue: QueuedUpdate[] = [];
  protected nextUpdateId = 100_000_001;
  protected poller: PollWaiter | null = null;
  protected allowedUpdates: string[] = [];
  protected webhook: WebhookState | null = null;
  protected webhookAbort: AbortController | null = null;
  protected pumping = false;

  /** Runs one method call (HTTP or webhook reply) and records it. */
  protected abstract invoke(method: string, p: Params, via: ApiCall['via']): { ok: true; result: unknown } | { ok: false; error: ApiError };

  protected myChatMember(chat: ChatState, from: User, oldStatus: MemberStatus, newStatus: MemberStatus): Update.MyChatMemberUpdate {
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

  /**
   * Empties every chat and drops the updates not yet taken, keeping users, groups and files:
   * the demo's "start again" (a new bot process then starts from an empty feed).
   */
  forgetHistory(): void {
    for (const chat of this.chats.values()) {
      chat.botMessages = [];
      chat.userMessages.clear();
      chat.deletedUserMessages.clear();
      chat.cursor = 0;
    }
    this.queue = [];
    this.notify();
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

  protected enqueue(body: Record<string, unknown>): RawUpdate {
    const update: RawUpdate = { update_id: this.nextUpdateId++, ...body };
    this.push(update, false);
    return update;
  }

  protected push(update: RawUpdate, forced: boolean): void {
    this.updates.push(update);
    this.queue.push({ update, forced });
    if (this.webhook !== null) void this.pumpWebhook();
    else this.wakePoller();
    this.notify();
  }

  protected getUpdates(method: string, p: Params, res: ServerResponse): void {
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

  protected wakePoller(): void {
    const w = this.poller;
    if (w === null) return;
    const batch = this.takeUpdates(w.limit);
    if (batch.length === 0) return;
    this.poller = null;
    clearTimeout(w.timer);
    this.finishCall(w.call, w.res, batch);
  }

  /** getUpdates offset semantics: updates below offset are confirmed and forgotten. */
  protected confirmUpdates(offset: number): void {
    if (offset > 0) {
      this.queue = this.queue.filter((q) => q.forced || q.update.update_id >= offset);
    } else if (offset < 0) {
      this.queue = this.queue.slice(offset);
    }
  }

  protected isAllowed(update: RawUpdate, allowed: readonly string[]): boolean {
    const type = Object.keys(update).find((k) => k !== 'update_id') ?? '';
    return allowed.length === 0 ? !DEFAULT_EXCLUDED_UPDATES.has(type) : allowed.includes(type);
  }

  protected takeUpdates(limit: number): RawUpdate[] {
    this.queue = this.queue.filter((q) => this.isAllowed(q.update, this.allowedUpdates));
    const batch = [...this.queue].sort((a, b) => a.update.update_id - b.update.update_id).slice(0, limit);
    for (const q of batch) q.forced = false;
    return batch.map((q) => q.update);
  }

  protected async pumpWebhook(): Promise<void> {
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
  protected handleWebhookReply(contentType: string | null, text: string): void {
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

  protected setWebhookState(state: WebhookState | null, dropPending: boolean): void {
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
}
