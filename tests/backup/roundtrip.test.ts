import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { buttons, type BotMessage } from '../../src/emulator/server.ts';
import { BackupError, backupLedger, inspectLedgerFile, restoreLedger } from '../../src/backup/ledgerBackup.ts';
import { backupCli } from '../../src/backup/cli.ts';
import { backupInChildProcess } from '../../src/backup/child.ts';
import { applyMigrations } from '../../src/db/migrate.ts';
import { startHarness, tempDatabaseUrl, type Harness } from '../support/app.ts';
import { seedOverdueLedger } from '../support/ledger.ts';

type Rows = Record<string, unknown[]>;
const fileOf = (url: string) => url.slice('file:'.length);

/** Every row of every table, in rowid order, 64-bit integers exact. */
function dump(file: string): Rows {
  const sqlite = new Database(file, { readonly: true, fileMustExist: true });
  try {
    const tables = (sqlite.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name").all() as Array<{ name: string }>).map((t) => t.name);
    return Object.fromEntries(tables.map((t) => [t, sqlite.prepare(`SELECT * FROM "${t}" ORDER BY rowid`).safeIntegers(true).all()]));
  } finally {
    sqlite.close();
  }
}

const key = (row: unknown) => JSON.stringify(row, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v));

let h: Harness;
let work: { url: string; dir: string };
beforeEach(async () => {
  h = await startHarness();
  work = tempDatabaseUrl();
});
afterEach(async () => {
  await h.stop();
  fs.rmSync(work.dir, { recursive: true, force: true });
});

describe('backup and restore', () => {
  it('should back up a ledger while updates arrive, restore it into a fresh folder, and give back every row', async () => {
    const live = fileOf(h.env.DATABASE_URL!);
    const seeded = await seedOverdueLedger(h.app.services.db, h.clock.now(), { owners: 300 });
    expect(seeded.reports).toBe(600);
    const before = dump(live);

    // a stream of updates: 40 people talking to the bot, each starting a report
    const people = Array.from({ length: 40 }, (_, i) => h.standin.user({ id: 8000 + i, firstName: `P${i}`, languageCode: i % 2 ? 'zh' : 'ug' }));
    const talking = Promise.all(
      people.map(async (p, i) => {
        p.sendText('/start');
        p.sendText('/help');
        p.sendText('/report');
        const categories = await p.waitForMessage((m: BotMessage) => buttons(m).some((b) => b.callback_data?.includes(':c:')), { timeoutMs: 20_000 });
        p.press(categories, buttons(categories).find((b) => b.callback_data?.includes(':c:'))!.callback_data!);
        await p.waitForMessage(i % 2 ? /请描述问题/ : /ئاۋازلىق ئۇچۇر/, { timeoutMs: 20_000 });
        p.sendText(`problem ${i}`);
        await p.waitForMessage(i % 2 ? /问题在哪里/ : /قەيەردە/, { timeoutMs: 20_000 });
      }),
    );
    await people[0]!.waitForMessage(undefined, { timeoutMs: 20_000 });

    const backup = await backupLedger({ databaseUrl: h.env.DATABASE_URL, dir: path.join(work.dir, 'backups'), keep: 3, now: h.clock.now() });
    await talking;
    const after = dump(live);
    expect(path.basename(backup.file)).toMatch(/^village-desk-2026-11-02T04-00-\d{2}Z\.db$/);
    expect(backup.tables['Report']).toBe(600);
    // taken in the middle of the stream: some of its updates are in the copy, not all
    const handled = (rows: Rows) => rows['ProcessedUpdate']!.length;
    expect(backup.tables['ProcessedUpdate']).toBeGreaterThan(handled(before));
    expect(backup.tables['ProcessedUpdate']).toBeLessThan(handled(after));
    expect(fs.readdirSync(path.dirname(backup.file))).toEqual([path.basename(backup.file)]);

    const restored = await restoreLedger({ databaseUrl: work.url, file: backup.file, now: h.clock.now() });
    expect(restored.setAside).toBeNull();
    const copy = dump(fileOf(work.url));
    // the restored ledger is the backup, table by table, row by row
    expect(copy).toEqual(dump(backup.file));
    expect(Object.keys(copy).sort()).toEqual(Object.keys(after).sort());
    for (const [table, rows] of Object.entries(copy)) expect(rows.length, table).toBe(backup.tables[table]);
    // and it holds the ledger as it was: every row from before the stream, unchanged
    for (const [table, rows] of Object.entries(before)) {
      if (table === 'Lease') continue; // renewed by the running bot every few seconds
      const restoredRows = new Set(copy[table]!.map(key));
      for (const row of rows) expect(restoredRows.has(key(row)), `${table} ${key(row)}`).toBe(true);
    }
    // every update the copy says was handled left its trace: its sender exists in the copy
    expect(copy['User']!.length).toBeGreaterThan(before['User']!.length);
  });

  it('should refuse to restore while the bot runs, keep the replaced ledger aside once it stopped, and refuse a damaged file', async () => {
    const { reports } = await seedOverdueLedger(h.app.services.db, h.clock.now(), { owners: 20 });
    const backup = await backupLedger({ databaseUrl: h.env.DATABASE_URL, dir: work.dir, keep: 5, now: h.clock.now() });

    // the bot runs on the target: refused, nothing touched
    const live = fileOf(h.env.DATABASE_URL!);
    const size = fs.statSync(live).size;
    await expect(restoreLedger({ databaseUrl: h.env.DATABASE_URL, file: backup.file, now: h.clock.now() })).rejects.toMatchObject({ code: 'bot_running' });
    expect(fs.statSync(live).size).toBe(size);

    // a stopped bot's ledger: replaced, and kept aside
    applyMigrations(work.url);
    const old = new Database(fileOf(work.url));
    old.prepare("INSERT INTO \"Setting\" (key, value) VALUES ('marker', 'old ledger')").run();
    old.close();
    const r = await restoreLedger({ databaseUrl: work.url, file: backup.file, now: new Date('2026-11-02T05:00:00Z') });
    expect(r.setAside).toBe(`${fileOf(work.url)}.replaced-2026-11-02T05-00-00Z`);
    expect(dump(r.setAside!)['Setting']).toContainEqual({ key: 'marker', value: 'old ledger' });
    expect(dump(fileOf(work.url))['Report']).toHaveLength(reports);

    // a damaged backup is refused before anything is moved
    const damaged = path.join(work.dir, 'damaged.db');
    const bytes = fs.readFileSync(backup.file);
    bytes.fill(0x5a, 4096 * 3, 4096 * 6);
    fs.writeFileSync(damaged, bytes);
    await expect(restoreLedger({ databaseUrl: work.url, file: damaged, now: h.clock.now() })).rejects.toMatchObject({ code: 'check_failed' });
    fs.writeFileSync(damaged, 'not a database at all');
    expect(() => inspectLedgerFile(damaged)).toThrow(BackupError);
    expect(dump(fileOf(work.url))['Report']).toHaveLength(reports);
  });

  it('should keep the last BACKUP_KEEP backups, and point PostgreSQL users to pg_dump', async () => {
    const dir = path.join(work.dir, 'kept');
    const env = { DATABASE_URL: h.env.DATABASE_URL, BACKUP_DIR: dir, BACKUP_KEEP: '2' };
    const log: string[] = [];
    const original = { log: console.log, error: console.error };
    console.log = (line: string) => log.push(line);
    console.error = (line: string) => log.push(line);
    try {
      for (let i = 0; i < 3; i += 1) {
        await backupLedger({ databaseUrl: h.env.DATABASE_URL, dir, keep: 2, now: new Date(Date.UTC(2026, 10, 1 + i, 3, 30)) });
      }
      expect(fs.readdirSync(dir).sort()).toEqual(['village-desk-2026-11-02T03-30-00Z.db', 'village-desk-2026-11-03T03-30-00Z.db']);
      expect(await backupCli(['backup'], env)).toBe(0);
      expect(fs.readdirSync(dir)).toHaveLength(2);
      expect(log.join('\n')).toMatch(/backup written and checked \(integrity ok\)/);
      expect(await backupCli(['backup'], { ...env, DATABASE_URL: 'postgresql://desk@127.0.0.1:5432/desk' })).toBe(1);
      expect(log.at(-1)).toMatch(/PostgreSQL.*pg_dump/);
      expect(await backupCli(['restore'], env)).toBe(2);
    } finally {
      Object.assign(console, original);
    }
  });

  it('should make the scheduled backup in a child process, so the bot keeps answering, with the same result and errors', async () => {
    await seedOverdueLedger(h.app.services.db, h.clock.now(), { owners: 30 });
    const dir = path.join(work.dir, 'nightly');
    const r = await backupInChildProcess({ databaseUrl: h.env.DATABASE_URL, dir, keep: 2, now: new Date('2026-11-03T03:30:00+06:00') });
    expect(r.file).toBe(path.join(dir, 'village-desk-2026-11-02T21-30-00Z.db'));
    expect(inspectLedgerFile(r.file).tables).toEqual(r.tables);
    expect(r.tables['Report']).toBe(60);
    await expect(backupInChildProcess({ databaseUrl: 'postgres://desk@127.0.0.1/desk', dir, keep: 2, now: new Date() })).rejects.toMatchObject({ name: 'BackupError', code: 'postgres' });
  });
});

