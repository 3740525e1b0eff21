/**
 * Seeds a ledger database of N reports quickly: the real schema (applyMigrations), then raw
 * better-sqlite3 inserts in one transaction with the journal off. The file is kept in tmp/
 * and reused by later runs when its marker (seed version, N) matches.
 *
 * Shape (deterministic PRNG): reports filed evenly over three years up to NOW, 9 categories,
 * 60 villages, 500 owners (cadres), 20,000 residents. About 10% are open and overdue (spread
 * over the 500 owners; a tenth of those still 'new' without an owner), recent ones are open
 * and not yet due, the rest are finished (mostly closed, some resolved, rejected, duplicate).
 * Overdue reports carry the reminder count and escalation level that daily jobs would have
 * given them (steady state). History events as the bot writes them: 'created', the resolve / close / reopen / reject
 * transitions (about 2.6 events per report).
 */
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { applyMigrations } from '../../src/db/migrate.ts';
import { DEFAULT_CATEGORIES } from '../../src/services/catalog.ts';
import { DAY_MS, HOUR_MS, daysOverdue } from '../../src/domain/time.ts';
import { OPEN_STATUSES, type Status } from '../../src/domain/lifecycle.ts';
import { escalationLevel } from '../../src/domain/schedule.ts';
import { Rng } from './util.ts';

/** The benchmark's "now": a Thursday noon in Urumqi, so the current week has a few days of data. */
export const NOW = new Date('2026-11-05T06:00:00Z');
const SEED_VERSION = 4;
const SPAN_MS = 3 * 365 * DAY_MS;
export const OWNERS = 500;
const RESIDENTS = 20_000;
const VILLAGES = 60;

const DESCRIPTIONS = [
  'سۇ تۇرۇبىسى يېرىلىپ، كوچىغا سۇ ئېقىۋاتىدۇ، ئۈچ كۈندىن بۇيان ئۆيلەرگە سۇ كەلمىدى',
  '村口的自来水管破裂，已经三天没有水了，请尽快派人维修',
  'يول ئويمان بولۇپ كەتتى، يامغۇر ياغسا ماشىنا ماڭالمايدۇ',
  '通往学校的路上有两盏路灯坏了，孩子们晚上回家很危险',
  'دوختۇرخانىدا دەم ئېلىش كۈنلىرى دوختۇر يوق',
  '灌溉渠堵塞，下游的地浇不上水',
  'توك ھەر كۈنى كەچتە بىر-ئىككى سائەت توختاپ قالىدۇ',
  '地震后房屋墙体出现裂缝，需要有人来查看',
  'مەكتەپ ئاپتوبۇسى ئەتىگەندە كەلمىدى',
  '低保申请提交两个月了还没有答复',
];
const NOTES = ['تۇرۇبا ئالماشتۇرۇلدى', '已派人维修，水已恢复', 'يول تۈزىتىلدى', '已更换路灯', 'توك لىنىيەسى رېمونت قىلىندى'];
const OPEN_OVERDUE: ReadonlyArray<[string, number]> = [
  ['new', 0.1],
  ['assigned', 0.3],
  ['acknowledged', 0.25],
  ['in_progress', 0.25],
  ['needs_info', 0.05],
  ['reopened', 0.05],
];
const FINISHED: ReadonlyArray<[string, number]> = [
  ['closed', 0.82],
  ['resolved', 0.08],
  ['rejected', 0.04],
  ['not_responsible', 0.03],
  ['duplicate', 0.03],
];
/** Share of past-due reports that are still open: about 10% of all reports are open and overdue. */
const OPEN_OVERDUE_SHARE = 0.1;

function weighted(rng: Rng, table: ReadonlyArray<[string, number]>): string {
  let x = rng.next();
  for (const [value, w] of table) {
    if (x < w) return value;
    x -= w;
  }
  return table[table.length - 1]![0];
}

export interface SeededDb {
  file: string;
  url: string;
  reports: number;
  reused: boolean;
  seedSeconds: number;
  fileMB: number;
}

function removeDb(file: string): void {
  for (const suffix of ['', '-wal', '-shm', '-journal']) fs.rmSync(file + suffix, { force: true });
}

function markerOk(file: string, n: number): boolean {
  if (!fs.existsSync(file)) return false;
  try {
    const db = new Database(file, { readonly: true, fileMustExist: true });
    try {
      const row = db.prepare(`SELECT value FROM _bench_meta WHERE key = 'marker'`).get() as { value: string } | undefined;
      return row?.value === `v${SEED_VERSION}:n${n}:now${NOW.getTime()}`;
    } finally {
      db.close();
    }
  } catch {
    return false;
  }
}

/** The ledger database of `n` reports in `dir` (reused when already seeded the same way). */
export function ensureLedgerDb(dir: string, n: number, opts: { fresh?: boolean; log?: (s: string) => void } = {}): SeededDb {
  const file = path.resolve(dir, `bench-ledger-${n}.db`);
  const url = `file:${file}`;
  const log = opts.log ?? (() => undefined);
  if (!opts.fresh && markerOk(file, n)) {
    // earlier benchmark runs may have left outbox rows behind: start clean
    const db = new Database(file);
    db.exec(`DELETE FROM "OutboxMessage"`);
    db.close();
    return { file, url, reports: n, reused: true, seedSeconds: 0, fileMB: Math.round(fs.statSync(file).size / 1048576) };
  }
  removeDb(file);
  fs.mkdirSync(dir, { recursive: true });
  log(`seeding ${n.toLocaleString('en')} reports into ${path.relative(process.cwd(), file)} …`);
  const t0 = performance.now();
  applyMigrations(url);
  const db = new Database(file);
  db.pragma('journal_mode = OFF');
  db.pragma('synchronous = OFF');
  db.pragma('cache_size = -262144');
  db.pragma('temp_store = MEMORY');
  const rng = new Rng(20261105);
  const start = NOW.getTime() - SPAN_MS;
  const ts = start - 30 * DAY_MS; // users and catalog exist before the first report

  db.transaction(() => {
    db.exec(`CREATE TABLE IF NOT EXISTS _bench_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)`);
    const cat = db.prepare(`INSERT INTO "Category" (code, slaHours, sortOrder, createdAt) VALUES (?, ?, ?, ?)`);
    DEFAULT_CATEGORIES.forEach((c, i) => cat.run(c.code, c.slaHours, i, ts));
    const place = db.prepare(`INSERT INTO "Place" (code, nameUg, nameZh, nameEn, sortOrder, createdAt) VALUES (?, ?, ?, ?, ?, ?)`);
    for (let i = 1; i <= VILLAGES; i++) place.run(`v${i}`, `${i}-كەنت`, `${i}村`, `Village ${i}`, i, ts);
    const user = db.prepare(`INSERT INTO "User" (telegramId, displayName, locale, role, createdAt, updatedAt) VALUES (?, ?, ?, ?, ?, ?)`);
    user.run(9_000_001, 'Admin', 'zh', 'admin', ts, ts); // id 1
    for (let i = 1; i <= 10; i++) user.run(8_000_000 + i, `Leader ${i}`, i % 2 ? 'ug' : 'zh', 'leader', ts, ts); // ids 2..11
    for (let i = 1; i <= OWNERS; i++) user.run(7_000_000 + i, `Cadre ${i}`, i % 3 ? 'ug' : 'zh', 'cadre', ts, ts); // ids 12..511
    for (let i = 1; i <= RESIDENTS; i++) user.run(1_000_000 + i, `Resident ${i}`, i % 3 ? 'ug' : 'zh', 'resident', ts, ts);
  })();
  const firstOwner = 12;
  const firstResident = firstOwner + OWNERS;
  const slas = DEFAULT_CATEGORIES.map((c) => c.slaHours);

  const report = db.prepare(`INSERT INTO "Report" (id, number, categoryId, placeId, description, reporterId, anonymous, status, ownerId, dueAt,
      satisfaction, resolutionNote, createdAt, assignedAt, acknowledgedAt, resolvedAt, closedAt, updatedAt,
      reminderCount, escalationLevel)
    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`);
  const event = db.prepare(`INSERT INTO "ReportEvent" (reportId, actorId, kind, fromStatus, toStatus, note, at) VALUES (?, ?, ?, ?, ?, ?, ?)`);
  const CHUNK = 50_000;
  for (let from = 0; from < n; from += CHUNK) {
    db.transaction(() => {
      for (let i = from; i < Math.min(n, from + CHUNK); i++) {
        const id = i + 1;
        const createdAt = Math.floor(start + (i / n) * SPAN_MS + rng.next() * (SPAN_MS / n));
        const categoryIdx = rng.int(0, slas.length - 1);
        const dueAt = createdAt + slas[categoryIdx]! * HOUR_MS;
        const placeId = rng.next() < 0.05 ? null : rng.int(1, VILLAGES);
        const reporterId = rng.int(firstResident, firstResident + RESIDENTS - 1);
        const anonymous = rng.next() < 0.1 ? 1 : 0;
        let status: string;
        if (dueAt >= NOW.getTime()) status = rng.next() < 0.7 ? weighted(rng, OPEN_OVERDUE) : rng.next() < 0.7 ? 'resolved' : 'closed';
        else status = rng.next() < OPEN_OVERDUE_SHARE ? weighted(rng, OPEN_OVERDUE) : weighted(rng, FINISHED);
        const ownerId = status === 'new' ? null : rng.int(firstOwner, firstOwner + OWNERS - 1);
        const assignedAt = ownerId === null ? null : createdAt + rng.int(1, 120) * 60_000;
        const acknowledged = !['new', 'assigned', 'rejected', 'not_responsible', 'duplicate'].includes(status);
        const acknowledgedAt = acknowledged ? createdAt + rng.int(30, 48 * 60) * 60_000 : null;
        const sla = slas[categoryIdx]! * HOUR_MS;
        let resolvedAt: number | null = status === 'resolved' || status === 'closed' ? Math.max(acknowledgedAt ?? createdAt, createdAt + Math.floor(rng.next() * 1.6 * sla)) + HOUR_MS : null;
        if (resolvedAt !== null && resolvedAt > NOW.getTime()) resolvedAt = NOW.getTime() - rng.int(1, 60) * 60_000;
        let closedAt: number | null = null;
        let satisfaction: string | null = null;
        if (status === 'closed') {
          closedAt = Math.min(NOW.getTime() - 60_000, resolvedAt! + rng.int(1, 7 * 24) * HOUR_MS);
          satisfaction = rng.next() < 0.75 ? 'satisfied' : 'no_answer';
        } else if (status === 'rejected' || status === 'not_responsible' || status === 'duplicate') {
          closedAt = createdAt + rng.int(1, 72) * HOUR_MS;
        }
        const note = resolvedAt !== null ? rng.pick(NOTES) : null;
        const updatedAt = Math.max(createdAt, assignedAt ?? 0, acknowledgedAt ?? 0, resolvedAt ?? 0, closedAt ?? 0);
        // steady state: the daily reminder job has run once per day overdue, escalations likewise
        const overdueOpen = OPEN_STATUSES.includes(status as Status) && dueAt < NOW.getTime();
        const reminders = overdueOpen && ownerId !== null ? daysOverdue(new Date(dueAt), NOW) : 0;
        const level = overdueOpen ? escalationLevel(new Date(dueAt), NOW, reminders, 3) : 0;
        report.run(id, id, categoryIdx + 1, placeId, `${rng.pick(DESCRIPTIONS)} (${id})`, reporterId, anonymous, status, ownerId, dueAt,
          satisfaction, note, createdAt, assignedAt, acknowledgedAt, resolvedAt, closedAt, updatedAt, reminders, level);
        event.run(id, reporterId, 'created', null, 'new', null, createdAt);
        if (resolvedAt !== null) event.run(id, ownerId, 'transition', 'in_progress', 'resolved', note, resolvedAt);
        if (status === 'closed') event.run(id, satisfaction === 'satisfied' ? reporterId : null, 'transition', 'resolved', 'closed', null, closedAt);
        if (status === 'reopened') {
          const at = Math.min(NOW.getTime() - 60_000, dueAt - HOUR_MS);
          event.run(id, ownerId, 'transition', 'in_progress', 'resolved', rng.pick(NOTES), at - HOUR_MS);
          event.run(id, reporterId, 'transition', 'resolved', 'reopened', 'not fixed', at);
        }
        if (closedAt !== null && status !== 'closed') event.run(id, ownerId, 'transition', 'new', status, 'not ours', closedAt);
      }
    })();
  }
  db.prepare(`INSERT OR REPLACE INTO _bench_meta (key, value) VALUES ('marker', ?)`).run(`v${SEED_VERSION}:n${n}:now${NOW.getTime()}`);
  db.pragma('journal_mode = WAL');
  db.close();
  const seedSeconds = (performance.now() - t0) / 1000;
  log(`seeded in ${seedSeconds.toFixed(1)} s`);
  return { file, url, reports: n, reused: false, seedSeconds, fileMB: Math.round(fs.statSync(file).size / 1048576) };
}
