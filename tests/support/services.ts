import fs from 'node:fs';
import { migrateDatabase } from '../../src/db/migrate.ts';
import { openDatabase, type Db } from '../../src/db/client.ts';
import { loadConfig } from '../../src/config.ts';
import { Texts } from '../../src/i18n/index.ts';
import { createServices, type Services } from '../../src/services/index.ts';
import type { Role } from '../../src/domain/lifecycle.ts';
import { TestClock } from './clock.ts';
import { tempDatabaseUrl } from './app.ts';

const texts = new Texts();

export interface TestLedger {
  services: Services;
  db: Db;
  clock: TestClock;
  url: string;
  close(): Promise<void>;
}

/** Services over a fresh database and a pinned clock, without a bot. */
export async function testLedger(start = '2026-11-09T04:00:00Z', env: NodeJS.ProcessEnv = {}): Promise<TestLedger> {
  const { url, dir } = tempDatabaseUrl();
  await migrateDatabase(url);
  const db = await openDatabase(url);
  const clock = new TestClock(start);
  const config = loadConfig({ BOT_TOKEN: '1:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA', DATABASE_URL: url, TIMEZONE: 'Asia/Urumqi', ...env });
  const services = createServices({ db, clock, texts, config });
  await services.catalog.seedDefaults(clock.now());
  return {
    services,
    db,
    clock,
    url,
    async close() {
      await services.close();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

let nextTelegramId = 500_000;

/** A person in the ledger. */
export async function person(db: Db, role: Role, name: string, locale: 'ug' | 'zh' | 'en' = 'zh'): Promise<{ id: number; telegramId: number }> {
  const telegramId = nextTelegramId++;
  const now = new Date('2026-01-01T00:00:00Z');
  const row = await db.user.create({ data: { telegramId: BigInt(telegramId), displayName: name, role, locale, createdAt: now, updatedAt: now } });
  return { id: row.id, telegramId };
}

/** A village. */
export async function village(db: Db, code: string, nameUg: string, nameZh: string): Promise<number> {
  return (await db.place.create({ data: { code, nameUg, nameZh, createdAt: new Date('2026-01-01T00:00:00Z') } })).id;
}

let nextNumber = 1;

/** A report written straight into the ledger, with the fields a test cares about. */
export async function report(
  db: Db,
  fields: {
    reporterId: number;
    categoryCode?: string;
    placeId?: number | null;
    ownerId?: number | null;
    status?: string;
    createdAt: Date;
    dueAt: Date;
    acknowledgedAt?: Date | null;
    resolvedAt?: Date | null;
    closedAt?: Date | null;
    satisfaction?: string | null;
    reminderCount?: number;
  },
): Promise<{ id: number; number: number }> {
  const category = await db.category.findUniqueOrThrow({ where: { code: fields.categoryCode ?? 'drinking_water' } });
  const row = await db.report.create({
    data: {
      number: nextNumber++,
      categoryId: category.id,
      placeId: fields.placeId ?? null,
      reporterId: fields.reporterId,
      ownerId: fields.ownerId ?? null,
      status: fields.status ?? 'assigned',
      createdAt: fields.createdAt,
      dueAt: fields.dueAt,
      acknowledgedAt: fields.acknowledgedAt ?? null,
      resolvedAt: fields.resolvedAt ?? null,
      closedAt: fields.closedAt ?? null,
      satisfaction: fields.satisfaction ?? null,
      reminderCount: fields.reminderCount ?? 0,
      updatedAt: fields.createdAt,
    },
  });
  return { id: row.id, number: row.number };
}

/** The owed messages, decoded. */
export async function outbox(db: Db): Promise<Array<{ chatId: number; method: string; text: string; notBefore: Date; priority: number; keyboard: unknown }>> {
  const rows = await db.outboxMessage.findMany({ orderBy: { id: 'asc' } });
  return rows.map((r) => {
    const payload = JSON.parse(r.payload) as { method: string; params: { text?: string; caption?: string; reply_markup?: unknown } };
    return { chatId: Number(r.chatId), method: payload.method, text: payload.params.text ?? payload.params.caption ?? '', notBefore: r.notBefore, priority: r.priority, keyboard: payload.params.reply_markup };
  });
}
