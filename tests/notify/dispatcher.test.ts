import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { TelegramError } from 'telegraf';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openDatabase, type Db } from '../../src/db/client.ts';
import { applyMigrations } from '../../src/db/migrate.ts';
import { systemClock } from '../../src/domain/time.ts';
import { OutboxDispatcher, type DispatcherDeps, type SendApi } from '../../src/notify/dispatcher.ts';
import { SendLimiter } from '../../src/notify/limiter.ts';
import { owe, type OwedMessage } from '../../src/notify/outbox.ts';

interface Call {
  at: number;
  method: string;
  chatId: number;
  text: unknown;
  params: Record<string, unknown>;
}

/** Records calls; `fail` decides per call whether (and how) to throw. */
class FakeApi implements SendApi {
  readonly calls: Call[] = [];
  fail: (call: Call, attempt: number) => Error | undefined = () => undefined;
  latencyMs = 0;

  async callApi(method: string, params: Record<string, unknown>): Promise<unknown> {
    const call: Call = { at: Date.now(), method, chatId: Number(params.chat_id), text: params.text, params };
    const attempt = this.calls.filter((c) => c.chatId === call.chatId && c.text === call.text).length;
    this.calls.push(call);
    if (this.latencyMs > 0) await new Promise((r) => setTimeout(r, this.latencyMs));
    const err = this.fail(call, attempt);
    if (err) throw err;
    return { message_id: this.calls.length };
  }

  texts(chatId: number): unknown[] {
    return this.calls.filter((c) => c.chatId === chatId).map((c) => c.text);
  }
}

const logs: Array<{ level: string; obj: object; msg?: string }> = [];
const logger = {
  info: (obj: object, msg?: string) => void logs.push({ level: 'info', obj, msg }),
  warn: (obj: object, msg?: string) => void logs.push({ level: 'warn', obj, msg }),
  error: (obj: object, msg?: string) => void logs.push({ level: 'error', obj, msg }),
  debug: (obj: object, msg?: string) => void logs.push({ level: 'debug', obj, msg }),
};

/** A limiter that never gets in the way, for tests about order and errors. */
const fastLimiter = () =>
  new SendLimiter({ globalPerSecond: 10_000, globalBurst: 10_000, privateBurst: 1000, privatePerSecond: 10_000, groupBurst: 1000, groupPerMinute: 600_000 });

function tooMany(retryAfter: number): TelegramError {
  return new TelegramError({ error_code: 429, description: `Too Many Requests: retry after ${retryAfter}`, parameters: { retry_after: retryAfter } });
}

function msg(chatId: number, text: string, extra: Partial<OwedMessage> = {}): OwedMessage {
  return { chatId, method: 'sendMessage', params: { text }, notBefore: new Date(Date.now() - 1000), ...extra };
}

describe('OutboxDispatcher', () => {
  let dir: string;
  let db: Db;
  let api: FakeApi;

  beforeEach(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'outbox-'));
    const url = `file:${path.join(dir, 'test.db')}`;
    applyMigrations(url);
    db = await openDatabase(url);
    api = new FakeApi();
    logs.length = 0;
  });

  afterEach(async () => {
    await db.$disconnect();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  async function write(messages: OwedMessage[]): Promise<number> {
    return db.$transaction(async (tx) => owe(tx, messages, new Date()));
  }

  function dispatcher(extra: Partial<DispatcherDeps> = {}): OutboxDispatcher {
    return new OutboxDispatcher({ db, api, clock: systemClock, logger, limiter: fastLimiter(), backoffBaseMs: 5, pollMs: 20, ...extra });
  }

  async function user(telegramId: number) {
    return db.user.create({ data: { telegramId: BigInt(telegramId), displayName: 'x', role: 'resident', createdAt: new Date() } });
  }

  it('should send each chat its messages in order, with chat_id and params', async () => {
    await write([msg(1, 'a1'), msg(2, 'b1'), msg(1, 'a2'), msg(2, 'b2'), msg(1, 'a3')]);
    await write([{ chatId: -5, method: 'sendMediaGroup', params: { media: [{ type: 'photo', media: 'F1' }, { type: 'photo', media: 'F2' }] }, notBefore: new Date(0) }]);
    const result = await dispatcher().drain();
    expect(result).toEqual({ sent: 6, dead: 0, pending: 0 });
    expect(api.texts(1)).toEqual(['a1', 'a2', 'a3']);
    expect(api.texts(2)).toEqual(['b1', 'b2']);
    const group = api.calls.find((c) => c.chatId === -5);
    expect(group?.method).toBe('sendMediaGroup');
    expect(group?.params).toEqual({ chat_id: -5, media: [{ type: 'photo', media: 'F1' }, { type: 'photo', media: 'F2' }] });
    const rows = await db.outboxMessage.findMany();
    expect(rows.every((r) => r.status === 'sent' && r.attempts === 1 && r.sentAt instanceof Date)).toBe(true);
  });

  it('should keep a chat strictly FIFO while its first message is retried', async () => {
    await write([msg(1, 'first'), msg(1, 'second'), msg(1, 'third'), msg(2, 'other')]);
    api.fail = (call, attempt) => (call.text === 'first' && attempt < 2 ? new TelegramError({ error_code: 502, description: 'Bad Gateway' }) : undefined);
    const d = dispatcher();
    const result = await d.drain();
    expect(result).toEqual({ sent: 4, dead: 0, pending: 0 });
    expect(api.texts(1)).toEqual(['first', 'first', 'first', 'second', 'third']);
    expect(d.stats()).toMatchObject({ sent: 4, retried: 2, dead: 0 });
    const first = await db.outboxMessage.findFirstOrThrow({ where: { payload: { contains: '"first"' } } });
    expect(first.attempts).toBe(3);
  });

  it('should send interactive messages before bulk ones', async () => {
    const bulk = Array.from({ length: 10 }, (_, i) => msg(100 + i, `bulk${i}`, { priority: 1 }));
    await write(bulk);
    await write([msg(200, 'urgent1'), msg(201, 'urgent2')]);
    await dispatcher({ concurrency: 1 }).drain();
    expect(api.calls.slice(0, 2).map((c) => c.text)).toEqual(['urgent1', 'urgent2']);
    expect(api.calls).toHaveLength(12);
  });

  it('should not let a later interactive message overtake an earlier bulk one in the same chat', async () => {
    await write([msg(1, 'digest', { priority: 1 }), msg(1, 'reply', { priority: 0 })]);
    await dispatcher().drain();
    expect(api.texts(1)).toEqual(['digest', 'reply']);
  });

  it('should wait out a 429 before calling that chat again, without losing the message', async () => {
    await write([msg(1, 'x1'), msg(1, 'x2'), msg(2, 'y1')]);
    api.fail = (call, attempt) => (call.text === 'x1' && attempt === 0 ? tooMany(1) : undefined);
    const d = dispatcher();
    const result = await d.drain();
    expect(result).toEqual({ sent: 3, dead: 0, pending: 0 });
    const toChat1 = api.calls.filter((c) => c.chatId === 1);
    expect(toChat1.map((c) => c.text)).toEqual(['x1', 'x1', 'x2']);
    expect(toChat1[1]!.at - toChat1[0]!.at).toBeGreaterThanOrEqual(1000);
    // the other chat was not held back by chat 1's flood
    const y1 = api.calls.find((c) => c.text === 'y1');
    expect(y1!.at - toChat1[0]!.at).toBeLessThan(500);
    expect(d.stats()).toMatchObject({ throttled: 1, retried: 0, sent: 3 });
    const x1 = await db.outboxMessage.findFirstOrThrow({ where: { payload: { contains: '"x1"' } } });
    expect(x1.attempts).toBe(1); // the 429 did not count as a failed attempt
    expect(logs.some((l) => l.level === 'warn' && (l.obj as { code?: unknown }).code === 429)).toBe(true);
  });

  it('should retry 5xx and network errors with backoff, then deliver', async () => {
    await write([msg(1, 'a'), msg(2, 'b')]);
    api.fail = (call, attempt) => {
      if (call.text === 'a' && attempt < 3) return new TelegramError({ error_code: 500, description: 'Internal Server Error' });
      if (call.text === 'b' && attempt < 2) return Object.assign(new Error('request to https://api.telegram.org failed, reason: socket hang up'), { name: 'FetchError', code: 'ECONNRESET' });
      return undefined;
    };
    const d = dispatcher({ backoffBaseMs: 20 });
    const result = await d.drain();
    expect(result).toEqual({ sent: 2, dead: 0, pending: 0 });
    const aCalls = api.calls.filter((c) => c.text === 'a').map((c) => c.at);
    // 20, 40, 80 ms (±20%) between attempts
    expect(aCalls[1]! - aCalls[0]!).toBeGreaterThanOrEqual(15);
    expect(aCalls[3]! - aCalls[2]!).toBeGreaterThanOrEqual(60);
    expect(d.stats()).toMatchObject({ sent: 2, retried: 5 });
    const warned = logs.filter((l) => l.level === 'warn').map((l) => l.obj as { code: unknown; outboxId: unknown; method: unknown });
    expect(warned.some((w) => w.code === 'ECONNRESET' && typeof w.outboxId === 'number' && w.method === 'sendMessage')).toBe(true);
    expect(warned.some((w) => w.code === 500)).toBe(true);
  });

  it('should give up after maxAttempts and keep the last error', async () => {
    await write([msg(1, 'doomed')]);
    api.fail = () => new TelegramError({ error_code: 502, description: 'Bad Gateway' });
    const result = await dispatcher({ maxAttempts: 4 }).drain();
    expect(result).toEqual({ sent: 0, dead: 1, pending: 0 });
    expect(api.calls).toHaveLength(4);
    const row = await db.outboxMessage.findFirstOrThrow();
    expect(row).toMatchObject({ status: 'dead', attempts: 4, lastError: '502: Bad Gateway' });
  });

  it('should mark a user who blocked the bot unreachable and drop their later messages', async () => {
    await user(1);
    await user(2);
    await write([msg(1, 'one'), msg(1, 'two'), msg(2, 'fine'), msg(1, 'later', { notBefore: new Date(Date.now() + 3_600_000) })]);
    api.fail = (call) => (call.chatId === 1 ? new TelegramError({ error_code: 403, description: 'Forbidden: bot was blocked by the user' }) : undefined);
    const result = await dispatcher().drain();
    expect(result).toEqual({ sent: 1, dead: 3, pending: 0 });
    expect(api.texts(1)).toEqual(['one']);
    const rows = await db.outboxMessage.findMany({ where: { chatId: 1n }, orderBy: { id: 'asc' } });
    expect(rows.map((r) => [r.status, r.lastError])).toEqual([
      ['dead', '403: Forbidden: bot was blocked by the user'],
      ['dead', 'recipient unreachable'],
      ['dead', 'recipient unreachable'],
    ]);
    expect((await db.user.findUniqueOrThrow({ where: { telegramId: 1n } })).unreachableAt).toBeInstanceOf(Date);
    expect((await db.user.findUniqueOrThrow({ where: { telegramId: 2n } })).unreachableAt).toBeNull();
  });

  it('should tell the hook when the bot was removed from a group', async () => {
    await write([msg(-77, 'hello group'), msg(-77, 'again')]);
    api.fail = () => new TelegramError({ error_code: 403, description: 'Forbidden: bot was kicked from the group chat' });
    const groups: number[] = [];
    const result = await dispatcher({ onGroupUnreachable: (id) => void groups.push(id) }).drain();
    expect(result).toEqual({ sent: 0, dead: 2, pending: 0 });
    expect(groups).toEqual([-77]);
    expect(api.calls).toHaveLength(1);
  });

  it('should drop a message Telegram refuses (400) once, but count "not modified" as sent', async () => {
    await write([msg(1, 'bad'), msg(1, 'next'), msg(2, 'same')]);
    api.fail = (call) => {
      if (call.text === 'bad') return new TelegramError({ error_code: 400, description: "Bad Request: can't parse entities: unexpected end tag" });
      if (call.text === 'same') return new TelegramError({ error_code: 400, description: 'Bad Request: message is not modified: specified new message content is exactly the same' });
      return undefined;
    };
    const result = await dispatcher().drain();
    expect(result).toEqual({ sent: 2, dead: 1, pending: 0 });
    expect(api.texts(1)).toEqual(['bad', 'next']); // a bad message does not sink the chat
    expect(api.calls).toHaveLength(3);
  });

  it('should skip a duplicate dedupeKey when writing', async () => {
    expect(await write([msg(1, 'reminder', { dedupeKey: 'remind:7:2026-01-01' })])).toBe(1);
    expect(await write([msg(1, 'reminder', { dedupeKey: 'remind:7:2026-01-01' })])).toBe(0);
    const result = await dispatcher().drain();
    expect(result.sent).toBe(1);
    expect(api.calls).toHaveLength(1);
  });

  it('should leave a message scheduled for later pending, without holding back due ones', async () => {
    await write([msg(1, 'morning', { notBefore: new Date(Date.now() + 3_600_000) }), msg(1, 'now')]);
    const result = await dispatcher().drain();
    expect(result).toEqual({ sent: 1, dead: 0, pending: 1 });
    expect(api.texts(1)).toEqual(['now']);
  });

  it('should stop draining at until', async () => {
    await write([msg(1, 'x')]);
    api.fail = () => new TelegramError({ error_code: 503, description: 'Service Unavailable' });
    const started = Date.now();
    const result = await dispatcher({ backoffBaseMs: 10_000 }).drain({ until: new Date(Date.now() + 150) });
    expect(Date.now() - started).toBeLessThan(2000);
    expect(result).toEqual({ sent: 0, dead: 0, pending: 1 });
  });

  it('should hold a private chat to its burst and rate', async () => {
    await write(Array.from({ length: 5 }, (_, i) => msg(1, `m${i}`)));
    const limiter = new SendLimiter({ privateBurst: 3, privatePerSecond: 10, chatSlackMs: 0 });
    await dispatcher({ limiter }).drain();
    const at = api.calls.map((c) => c.at);
    expect(at).toHaveLength(5);
    expect(at[3]! - at[0]!).toBeGreaterThanOrEqual(95);
    expect(at[4]! - at[3]!).toBeGreaterThanOrEqual(95);
  });

  it('should deliver from the running loop, woken by wake(), and stop after the send in flight', async () => {
    const d = dispatcher({ pollMs: 10_000 });
    api.latencyMs = 50;
    d.start();
    await new Promise((r) => setTimeout(r, 50)); // the loop is asleep now, for 10 s
    await write([msg(1, 'woken')]);
    d.wake();
    await expect.poll(() => api.calls.length, { timeout: 2000, interval: 5 }).toBe(1);
    await d.stop(); // the call is still in flight: stop waits for it and records it
    const row = await db.outboxMessage.findFirstOrThrow();
    expect(row.status).toBe('sent');
    expect(d.stats().sent).toBe(1);
  });

  it('should send each row once and in order while the loop runs and rows keep arriving', async () => {
    api.callApi = async (method, params) => {
      api.calls.push({ at: Date.now(), method, chatId: Number(params.chat_id), text: params.text, params });
      await new Promise((r) => setTimeout(r, Math.floor(Math.random() * 4)));
      return {};
    };
    const d = dispatcher({ pollMs: 5 });
    d.start();
    const expected = new Map<number, string[]>();
    for (let round = 0; round < 5; round++) {
      const batch = Array.from({ length: 40 }, (_, i) => msg(1 + (i % 20), `r${round}-${i}`, { priority: i % 2 }));
      for (const m of batch) expected.set(m.chatId, [...(expected.get(m.chatId) ?? []), String(m.params.text)]);
      await write(batch);
      d.wake();
      await new Promise((r) => setTimeout(r, 10));
    }
    await expect.poll(() => api.calls.length, { timeout: 5000, interval: 10 }).toBe(200);
    await d.stop();
    for (const [chatId, texts] of expected) expect(api.texts(chatId)).toEqual(texts);
    expect(await db.outboxMessage.count({ where: { status: 'sent' } })).toBe(200);
  });

  it('should treat a send that never answers as a network failure', async () => {
    await write([msg(1, 'slow')]);
    let first = true;
    api.callApi = async (method, params) => {
      api.calls.push({ at: Date.now(), method, chatId: Number(params.chat_id), text: params.text, params });
      if (first) {
        first = false;
        return new Promise(() => {}); // hangs
      }
      return {};
    };
    const d = dispatcher({ sendTimeoutMs: 50 });
    const result = await d.drain();
    expect(result).toEqual({ sent: 1, dead: 0, pending: 0 });
    expect(api.calls).toHaveLength(2);
    expect(d.stats().retried).toBe(1);
  });

  it('should mark a row with an unreadable payload dead without calling Telegram', async () => {
    await db.outboxMessage.create({ data: { chatId: 1n, payload: 'not json', notBefore: new Date(0), createdAt: new Date() } });
    const result = await dispatcher().drain();
    expect(result).toEqual({ sent: 0, dead: 1, pending: 0 });
    expect(api.calls).toHaveLength(0);
  });
});
