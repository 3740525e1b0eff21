import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Telegraf } from 'telegraf';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openDatabase, type Db } from '../../src/db/client.ts';
import { applyMigrations } from '../../src/db/migrate.ts';
import { systemClock } from '../../src/domain/time.ts';
import { OutboxDispatcher } from '../../src/notify/dispatcher.ts';
import { owe, type OwedMessage } from '../../src/notify/outbox.ts';
import { BotApiStandIn } from '../../src/emulator/server.ts';

const logger = { info: () => {}, warn: () => {}, error: () => {}, debug: () => {} };

/** 200 owners with 1 or 2 messages each, plus a few chatty ones that exceed a private chat's burst. */
function owed(): OwedMessage[] {
  const out: OwedMessage[] = [];
  const due = new Date(Date.now() - 1000);
  for (let i = 1; i <= 200; i++) {
    const chatId = 5_000_000 + i;
    const count = i <= 5 ? 6 : 1 + (i % 2);
    for (let k = 1; k <= count; k++) {
      out.push({ chatId, method: 'sendMessage', params: { text: `report #${i} update ${k}` }, notBefore: due, priority: k % 2 });
    }
  }
  return out;
}

describe('OutboxDispatcher against the Bot API stand-in', () => {
  let dir: string;
  let db: Db;
  let standin: BotApiStandIn;

  beforeEach(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'outbox-standin-'));
    const url = `file:${path.join(dir, 'test.db')}`;
    applyMigrations(url);
    db = await openDatabase(url);
    standin = await BotApiStandIn.start();
    for (let i = 1; i <= 200; i++) standin.user({ id: 5_000_000 + i, firstName: `Owner ${i}`, languageCode: i % 2 ? 'ug' : 'zh' });
  });

  afterEach(async () => {
    await standin.stop();
    await db.$disconnect();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  /** Writes the owed messages, drains them through telegraf and checks each arrived once, in order. */
  async function deliverAll(backoffBaseMs: number): Promise<{ dispatcher: OutboxDispatcher; messages: OwedMessage[]; ms: number }> {
    const messages = owed();
    await db.$transaction(async (tx) => owe(tx, messages, new Date()));
    const api = new Telegraf(standin.token, { telegram: { apiRoot: standin.apiRoot } }).telegram;
    const dispatcher = new OutboxDispatcher({ db, api, clock: systemClock, logger, backoffBaseMs, maxAttempts: 12 });
    const started = Date.now();
    const result = await dispatcher.drain();
    const ms = Date.now() - started;
    expect(result).toEqual({ sent: messages.length, dead: 0, pending: 0 });

    const byChat = new Map<number, string[]>();
    for (const m of messages) byChat.set(m.chatId, [...(byChat.get(m.chatId) ?? []), String(m.params.text)]);
    for (const [chatId, texts] of byChat) {
      expect(standin.messages(chatId).map((m) => m.text), `chat ${chatId}`).toEqual(texts);
    }
    expect(standin.stats().delivered).toBe(messages.length);
    expect(await db.outboxMessage.count({ where: { status: 'sent' } })).toBe(messages.length);
    return { dispatcher, messages, ms };
  }

  it('should deliver 200 owners their messages exactly once within the flood limits', async () => {
    standin.configure({ floodLimits: true });
    const { dispatcher, messages, ms } = await deliverAll(1000);
    const rates = standin.maxObservedRate();
    expect(rates.globalPerSecond).toBeLessThanOrEqual(30);
    for (const [chatId, r] of Object.entries(rates.perChat)) expect(r.perSecond, `chat ${chatId}`).toBeLessThanOrEqual(3);
    expect(standin.limitViolations()).toEqual([]);
    const s = standin.stats();
    // every 429 the stand-in gave was waited out (all delivered above) and they stay rare
    expect(dispatcher.stats().throttled).toBe(s.tooManyRequests);
    expect(s.tooManyRequests).toBeLessThanOrEqual(5);
    console.info(`[standin a] ${messages.length} messages in ${ms} ms, max ${rates.globalPerSecond}/s, 429s ${s.tooManyRequests}`, dispatcher.stats());
  }, 60_000);

  it('should still deliver every message exactly once when 10% of sends fail', async () => {
    standin.configure({ floodLimits: true, failureRate: 0.1, seed: 20261128 });
    const { dispatcher, messages, ms } = await deliverAll(50);
    const s = standin.stats();
    expect(s.injectedFailures).toBeGreaterThan(10);
    expect(dispatcher.stats().retried).toBe(s.injectedFailures);
    expect(standin.limitViolations()).toEqual([]);
    console.info(`[standin b] ${messages.length} messages in ${ms} ms, ${s.injectedFailures} injected 502s, 429s ${s.tooManyRequests}`, dispatcher.stats());
  }, 60_000);
});
