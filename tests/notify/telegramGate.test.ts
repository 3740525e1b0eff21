import { Telegraf, TelegramError } from 'telegraf';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { systemClock } from '../../src/domain/time.ts';
import { BotApiStandIn } from '../../src/emulator/server.ts';
import { SendLimiter } from '../../src/notify/limiter.ts';
import { AnswerUndelivered, TelegramGate, type RawCall } from '../../src/notify/telegramGate.ts';

const logger = { info: () => {}, warn: () => {}, error: () => {}, debug: () => {} };

describe('TelegramGate against the Bot API stand-in', () => {
  let standin: BotApiStandIn;
  let raw: RawCall;

  beforeEach(async () => {
    standin = await BotApiStandIn.start();
    const telegram = new Telegraf(standin.token, { telegram: { apiRoot: standin.apiRoot } }).telegram;
    raw = (method, payload, signal) => telegram.callApi(method as 'sendMessage', payload as never, signal ? { signal: signal as never } : {});
  });
  afterEach(async () => {
    await standin.stop();
  });

  const gate = (over: Partial<ConstructorParameters<typeof TelegramGate>[0]> = {}) =>
    new TelegramGate({ limiter: new SendLimiter(), clock: systemClock, logger, ...over });

  it('should deliver every message when connections drop after Telegram acted, and make at most one copy per such drop', async () => {
    const network = standin.beHostile({ badGatewayRate: 0.1, dropRate: 0.05, dropAfterDeliveryRate: 0.15, seed: 3 });
    const chats = Array.from({ length: 20 }, (_, i) => standin.user({ id: 8000 + i, firstName: `P${i}` }).id);
    const g = gate();
    await Promise.all(chats.flatMap((chat) => [1, 2, 3].map((k) => g.call('sendMessage', { chat_id: chat, text: `answer ${k}` }, raw))));
    let copies = 0;
    for (const chat of chats) {
      const texts = standin.messages(chat).map((m) => m.text);
      // every answer arrived, in order; a copy can only follow its original
      expect([...new Set(texts)]).toEqual(['answer 1', 'answer 2', 'answer 3']);
      copies += texts.length - 3;
    }
    // Telegram has no idempotency key: a send whose answer was lost is sent again. The copies
    // are exactly the drops after delivery (one each), never more.
    expect(network.counters.droppedAfterDelivery).toBeGreaterThan(0);
    expect(copies).toBe(network.counters.droppedAfterDelivery);
    expect(network.counters.ignoredRetryAfter).toBe(0);
    expect(network.lostAnswers()).toEqual([]);
  });

  it('should wait out a 429 with the chat action showing, then send', async () => {
    const network = standin.beHostile({ badGatewayRate: 0, dropRate: 0 });
    const chat = standin.user({ id: 8100, firstName: 'A' }).id;
    standin.failNext('sendMessage', { code: 429, description: 'Too Many Requests: retry after 2', retryAfter: 2 });
    const g = gate();
    const started = Date.now();
    await g.call('sendMessage', { chat_id: chat, text: 'late but here' }, raw);
    expect(Date.now() - started).toBeGreaterThanOrEqual(2000);
    expect(standin.messages(chat).map((m) => m.text)).toEqual(['late but here']);
    expect(standin.chatActions.filter((a) => a.chatId === chat).map((a) => a.action)).toContain('typing');
    expect(network.counters.ignoredRetryAfter).toBe(0);
    expect(g.stats()).toMatchObject({ sent: 1, throttled: 1 });
  });

  it('should hand an answer to the outbox when the 429 wait is long, and the next answers to that chat after it', async () => {
    const chat = standin.user({ id: 8200, firstName: 'B' }).id;
    standin.failNext('sendMessage', { code: 429, description: 'Too Many Requests: retry after 40', retryAfter: 40 });
    const handed: Array<{ chatId: number; method: string; params: Record<string, unknown> }> = [];
    const g = gate({ handoff: async (chatId, method, params) => (handed.push({ chatId, method, params }), true) });
    const first = (await g.call('sendMessage', { chat_id: chat, text: 'one', parse_mode: 'HTML' }, raw)) as { message_id: number };
    const photo = { source: Buffer.from('png'), filename: 'digest.png' };
    await g.call('sendPhoto', { chat_id: chat, photo, caption: 'two' }, raw);
    expect(first.message_id).toBe(0);
    expect(handed).toEqual([
      { chatId: chat, method: 'sendMessage', params: { text: 'one', parse_mode: 'HTML' } },
      { chatId: chat, method: 'sendPhoto', params: { photo: { base64: Buffer.from('png').toString('base64'), filename: 'digest.png' }, caption: 'two' } },
    ]);
    expect(standin.messages(chat)).toEqual([]);
  });

  it('should not retry what Telegram refuses (400), and give up on 5xx at the deadline', async () => {
    const chat = standin.user({ id: 8300, firstName: 'C' }).id;
    standin.failNext('sendMessage', { code: 400, description: "Bad Request: can't parse entities" });
    const g = gate({ retryForMs: 1500 });
    await expect(g.call('sendMessage', { chat_id: chat, text: 'x' }, raw)).rejects.toBeInstanceOf(TelegramError);
    expect(standin.callsTo('sendMessage')).toHaveLength(1);
    standin.failNext('sendMessage', { code: 502, description: 'Bad Gateway' }, 100);
    await expect(g.call('sendMessage', { chat_id: chat, text: 'y' }, raw)).rejects.toBeInstanceOf(AnswerUndelivered);
    const attempts = standin.callsTo('sendMessage').length - 1;
    expect(attempts).toBeGreaterThan(2);
    expect(attempts).toBeLessThan(10);
  });
  it('should abandon an attempt Telegram does not answer in time and send again: one copy, counted', async () => {
    const chat = standin.user({ id: 8400, firstName: 'D' }).id;
    // the first attempt reaches Telegram, but its answer never comes back
    let attempts = 0;
    const answerLost: RawCall = (method, payload, signal) => {
      attempts++;
      const call = raw(method, payload, signal);
      return attempts === 1 ? call.then(() => new Promise(() => {})) : call;
    };
    const g = gate({ attemptTimeoutMs: 300 });
    await g.call('sendMessage', { chat_id: chat, text: 'slow' }, answerLost);
    expect(standin.messages(chat).map((m) => m.text)).toEqual(['slow', 'slow']);
    expect(g.stats()).toMatchObject({ sent: 1, retried: 1 });
  });
});
