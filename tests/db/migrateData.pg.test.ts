import { execFile } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.ts';
import { openDatabase, type Db } from '../../src/db/client.ts';
import { migrateDatabase } from '../../src/db/migrate.ts';
import { readTable, TABLES } from '../../src/db/transfer.ts';
import { startDraft } from '../../src/domain/draft.ts';
import { Texts } from '../../src/i18n/index.ts';
import { createServices, type Services } from '../../src/services/index.ts';
import { TestClock } from '../support/clock.ts';
import { postgresServerUrl } from '../support/engine.ts';
import { createDatabase } from '../support/postgres.ts';
import { simulateLedger } from '../support/simulate.ts';

const run = promisify(execFile);
const TOKEN = '1:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA';

async function ledgerOn(url: string, clock: TestClock): Promise<Services> {
  await migrateDatabase(url);
  const db = await openDatabase(url);
  return createServices({ db, clock, texts: new Texts(), config: loadConfig({ BOT_TOKEN: TOKEN, DATABASE_URL: url, TIMEZONE: 'Asia/Urumqi' }) });
}

async function migrateData(from: string, to: string): Promise<{ code: number; out: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, ['--import', 'tsx', 'scripts/migrate-data.ts', '--from', from, '--to', to], { encoding: 'utf8' });
    return { code: 0, out: stdout + stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, out: e.stdout + e.stderr };
  }
}

async function everyRow(db: Db, table: (typeof TABLES)[number]): Promise<Array<Record<string, unknown>>> {
  const rows: Array<Record<string, unknown>> = [];
  for await (const page of readTable(db, table)) rows.push(...page);
  return rows;
}

describe('npm run migrate-data (SQLite to PostgreSQL)', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'village-desk-transfer-'));
  const from = `file:${path.join(dir, 'township.db')}`;
  const clock = new TestClock('2026-11-09T04:00:00Z');
  let source: Services;
  let to: string;

  beforeAll(async () => {
    // a township's ledger with something in every table, pending outbox messages included
    source = await ledgerOn(from, clock);
    await source.catalog.seedDefaults(clock.now());
    await simulateLedger(source, clock, { seed: 7, reports: 60, from: new Date('2026-10-20T02:00:00Z'), hours: 24 * 18 });
    const villager = await source.users.identify({ id: 880_001, first_name: 'Ayshem' });
    const neighbour = await source.users.identify({ id: 880_002, first_name: '李' });
    const categories = await source.catalog.categories();
    const { report } = await source.reports.submit(villager, {
      ...startDraft(crypto.randomUUID(), { staff: false }),
      categoryId: categories[0]!.id,
      description: 'سۇ يوق — 没有水',
      photos: [{ fileId: 'photo-1', fileUniqueId: 'u1' }],
      voice: { fileId: 'voice-1', fileUniqueId: 'v1', duration: 7 },
      placeId: null,
      step: 'confirm' as const,
    });
    await source.reports.join(neighbour, report.number);
    await source.drafts.save(villager.id, 'report', { step: 'category', token: 't' });
    await source.updates.claim(123_456, clock.now());
    const admin = await source.users.identify({ id: 880_003, first_name: 'Admin' });
    await source.users.setRole(admin.id, 'admin');
    const village = await source.admin.addPlace({ code: 'bostan', nameUg: 'بوستان', nameZh: '博斯坦村' });
    const group = await source.admin.addPlace({ code: 'bostan-1', nameUg: '1-گۇرۇپپا', nameZh: '一组', parentId: village.id });
    const cadre = (await source.users.staff()).find((u) => u.role === 'cadre')!;
    await source.admin.setVillageOwner(group.id, categories[1]!.id, cadre.id);
    await source.admin.toggleCadreVillage(cadre.id, village.id);
    await source.invites.create(admin, 'cadre');
    await source.settings.bindLeadersGroup(-100_555, 'zh');
    await source.lease('old-process').acquire('scheduler');
    expect(await source.db.outboxMessage.count({ where: { status: 'pending' } })).toBeGreaterThan(0);
    to = createDatabase(postgresServerUrl());
  }, 120_000);

  afterAll(async () => {
    await source.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('should move every table with the same rows, ids and #N numbers, and print the counts', async () => {
    const { code, out } = await migrateData(from, to);
    expect(out).toContain('identical counts');
    expect(code).toBe(0);
    const target = await openDatabase(to);
    try {
      for (const table of TABLES) {
        const a = await everyRow(source.db, table);
        const b = await everyRow(target, table);
        expect(a.length, table.name).toBeGreaterThan(0);
        expect(out).toMatch(new RegExp(`${table.name}\\s+${a.length}\\s+${a.length}\\b`));
        // row by row, every column
        expect(b, table.name).toEqual(a);
      }
    } finally {
      await target.$disconnect();
    }
  }, 120_000);

  it('should go on from the copied ledger: the next report is #N+1 with a fresh id', async () => {
    const pgClock = new TestClock('2026-11-10T04:00:00Z');
    const target = await ledgerOn(to, pgClock);
    try {
      const last = await source.db.report.findFirstOrThrow({ orderBy: { number: 'desc' } });
      const villager = await target.users.identify({ id: 880_001, first_name: 'Ayshem' });
      const { report } = await target.reports.submit(villager, {
        ...startDraft(crypto.randomUUID(), { staff: false }),
        categoryId: (await target.catalog.categories())[0]!.id,
        description: 'again',
        placeId: null,
        step: 'confirm' as const,
      });
      expect(report.number).toBe(last.number + 1);
      expect(report.id).toBe(last.id + 1);
    } finally {
      await target.close();
    }
  }, 60_000);

  it('should refuse to write into a database that holds data', async () => {
    const before = await (async () => {
      const db = await openDatabase(to);
      const n = await db.report.count();
      await db.$disconnect();
      return n;
    })();
    const { code, out } = await migrateData(from, to);
    expect(code).toBe(2);
    expect(out).toMatch(/refused: the target already holds data/);
    const db = await openDatabase(to);
    expect(await db.report.count()).toBe(before);
    await db.$disconnect();
  }, 60_000);
});
