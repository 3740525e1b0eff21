/**
 * Phase 2: outbox throughput against Telegram's limits. Rows are owed with owe()
 * (src/notify/outbox.ts) into a fresh database and delivered by OutboxDispatcher.drain()
 * (src/notify/dispatcher.ts) to the stand-in with Telegram-like flood limits on (30/s
 * overall, 1/s per private chat after a burst of 3), which answers 429 when exceeded.
 */
import fs from 'node:fs';
import path from 'node:path';
import { Telegram } from 'telegraf';
import { pino } from 'pino';
import { BotApiStandIn } from '../../src/emulator/server.ts';
import { migrateDatabase } from '../../src/db/migrate.ts';
import { openDatabase } from '../../src/db/client.ts';
import { owe, type OwedMessage } from '../../src/notify/outbox.ts';
import { OutboxDispatcher } from '../../src/notify/dispatcher.ts';
import { systemClock } from '../../src/domain/time.ts';
import { round } from './util.ts';

export interface OutboxFigures {
  rows: number;
  chats: number;
  sent: number;
  dead: number;
  pending: number;
  seconds: number;
  messagesPerSecond: number;
  /** busiest 1-second window the stand-in saw */
  maxPerSecond: number;
  ceilingPerSecond: number;
  tooManyRequests: number;
  dispatcherThrottled: number;
  /** deliveries Telegram's buckets would have refused (replayed by the stand-in) */
  limitViolations: number;
}

export async function benchOutbox(o: { rows: number; chats: number; workDir: string; timeoutMs: number; log: (s: string) => void; databaseUrl?: string }): Promise<OutboxFigures> {
  const standin = await BotApiStandIn.start({ config: { floodLimits: true } });
  const dir = fs.mkdtempSync(path.join(o.workDir, 'bench-outbox-'));
  const url = o.databaseUrl ?? `file:${path.join(dir, 'outbox.db')}`;
  await migrateDatabase(url);
  const db = await openDatabase(url);
  try {
    for (let c = 0; c < o.chats; c++) standin.user({ id: 300_000 + c, firstName: `Owner${c}`, languageCode: 'ug' });
    const now = new Date();
    const messages: OwedMessage[] = Array.from({ length: o.rows }, (_, i) => ({
      chatId: 300_000 + (i % o.chats),
      method: 'sendMessage',
      params: { text: `⏰ <b>#${1000 + i}</b> ئىچىدىغان سۇ · 饮水 — overdue reminder ${i}`, parse_mode: 'HTML' },
      notBefore: new Date(now.getTime() - 1000),
      priority: i % 4 === 0 ? 0 : 1,
    }));
    await db.$transaction((tx) => owe(tx, messages, now));
    const dispatcher = new OutboxDispatcher({
      db,
      api: new Telegram(standin.token, { apiRoot: standin.apiRoot }),
      clock: systemClock,
      logger: pino({ level: 'silent' }),
    });
    const t0 = performance.now();
    const result = await dispatcher.drain({ until: new Date(Date.now() + o.timeoutMs) });
    const seconds = (performance.now() - t0) / 1000;
    const stats = standin.stats();
    const f: OutboxFigures = {
      rows: o.rows,
      chats: o.chats,
      sent: result.sent,
      dead: result.dead,
      pending: result.pending,
      seconds: round(seconds, 2),
      messagesPerSecond: round(result.sent / seconds, 1),
      maxPerSecond: standin.maxObservedRate().globalPerSecond,
      ceilingPerSecond: 30,
      tooManyRequests: stats.tooManyRequests,
      dispatcherThrottled: dispatcher.stats().throttled,
      limitViolations: standin.limitViolations().length,
    };
    o.log(`outbox: ${f.sent}/${f.rows} sent in ${f.seconds} s = ${f.messagesPerSecond}/s (busiest second ${f.maxPerSecond}), 429s: ${f.tooManyRequests}`);
    return f;
  } finally {
    await db.$disconnect();
    await standin.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
