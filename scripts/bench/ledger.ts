/**
 * Phases 3–5 over a seeded ledger (scripts/bench/seed.ts), through the real services
 * (createServices from src/services/index.ts) on the real database client (openDatabase):
 * the reminder job and its scan, the leaders' digest figures, the ledger export.
 *
 * The Prisma client handed to the services is wrapped so that every $queryRawUnsafe call is
 * timed and its SQL and arguments kept: the scan inside reminders() is timed exactly as the
 * service runs it, and the digest's slowest queries are explained (EXPLAIN QUERY PLAN) with
 * the arguments they really had.
 */
import fs from 'node:fs';
import Database from 'better-sqlite3';
import { openDatabase, type Db } from '../../src/db/client.ts';
import { loadConfig } from '../../src/config.ts';
import { Texts } from '../../src/i18n/index.ts';
import { createServices, type Services } from '../../src/services/index.ts';
import type { Clock } from '../../src/domain/time.ts';
import { NOW } from './seed.ts';
import { gc, median, rssSampler, round, timed } from './util.ts';

export interface QueryRecord {
  sql: string;
  args: unknown[];
  ms: number;
  rows: number;
}

export interface Ledger {
  db: Db;
  services: Services;
  /** a second, plain better-sqlite3 connection (for EXPLAIN and the raw scan) */
  raw: Database.Database;
  /** $queryRawUnsafe calls since the last clear */
  queries: QueryRecord[];
  close(): Promise<void>;
}

const fixedClock: Clock = { now: () => new Date(NOW) };

/** Times every $queryRawUnsafe of the client; all else passes through untouched. */
function recording(db: Db, queries: QueryRecord[]): Db {
  return new Proxy(db, {
    get(target, prop) {
      const value = Reflect.get(target, prop, target) as unknown;
      if (prop === '$queryRawUnsafe') {
        return async (sql: string, ...args: unknown[]) => {
          const t0 = performance.now();
          const rows = (await target.$queryRawUnsafe(sql, ...args)) as unknown[];
          queries.push({ sql, args, ms: performance.now() - t0, rows: Array.isArray(rows) ? rows.length : 0 });
          return rows;
        };
      }
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
}

export async function openLedger(url: string): Promise<Ledger> {
  const plain = await openDatabase(url);
  const queries: QueryRecord[] = [];
  const db = recording(plain, queries);
  const config = loadConfig({
    BOT_TOKEN: '7000000001:AAStandIn_VillageDesk_token_0123456789',
    DATABASE_URL: url,
    TIMEZONE: 'Asia/Urumqi',
    DEFAULT_LOCALE: 'ug',
    LOG_LEVEL: 'silent',
  });
  const services = createServices({ db, clock: fixedClock, texts: new Texts(), config });
  // the reminder scan runs on the hot path's chunked reader: record it like the Prisma queries
  const scan = services.hot.scan.bind(services.hot);
  services.hot.scan = async function* <T>(sql: string, params: readonly unknown[], chunk?: number): AsyncGenerator<T[]> {
    const t0 = performance.now();
    let rows = 0;
    for await (const part of scan<T>(sql, params, chunk)) {
      rows += part.length;
      yield part;
    }
    queries.push({ sql, args: [...params], ms: performance.now() - t0, rows });
  };
  const raw = new Database(url.slice('file:'.length), { readonly: true, fileMustExist: true });
  return {
    db,
    services,
    raw,
    queries,
    async close() {
      raw.close();
      await plain.$disconnect();
      await services.close();
    },
  };
}

/** EXPLAIN QUERY PLAN of a recorded query, as one line per step. */
export function explain(raw: Database.Database, sql: string, args: unknown[]): string[] {
  // instants are passed as Date (bound as unix milliseconds by the Prisma adapter)
  const plain = args.map((a) => (a instanceof Date ? a.getTime() : a));
  const rows = raw.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(...plain) as Array<{ detail: string }>;
  return rows.map((r) => r.detail);
}

const oneLine = (sql: string): string => sql.replace(/\s+/g, ' ').trim();

/**
 * The longest time the event loop could not run while `fn` ran. better-sqlite3 is synchronous,
 * so a long query freezes everything else in the process (in the bot: every update).
 */
async function withStallMeter<T>(fn: () => Promise<T>): Promise<{ value: T; maxStallMs: number }> {
  const tick = 5;
  let last = performance.now();
  let max = 0;
  const timer = setInterval(() => {
    const now = performance.now();
    max = Math.max(max, now - last - tick);
    last = now;
  }, tick);
  try {
    const value = await fn();
    await new Promise((resolve) => setTimeout(resolve, 2 * tick)); // let the meter see the last stall
    return { value, maxStallMs: Math.max(0, Math.round(max)) };
  } finally {
    clearInterval(timer);
  }
}

// ───────────────────────────── reminders ─────────────────────────────

export interface ReminderFigures {
  reports: number;
  runs: number;
  /** JobService.reminders(now), whole job (scan + per-owner messages and counters), median */
  remindersMs: number;
  remindersAllMs: number[];
  owners: number;
  remindedReports: number;
  /** the scan query as reminders() ran it (through Prisma), median over the job runs */
  scanInJobMs: number;
  /** the same SQL alone through Prisma ($queryRawUnsafe), median */
  scanPrismaMs: number;
  /** the same SQL alone on a plain better-sqlite3 connection: SQLite's own share, median */
  scanSqliteMs: number;
  overdueRows: number;
  /** longest event-loop freeze during the job runs (ms) */
  maxEventLoopStallMs: number;
  plan: string[];
  sql: string;
}

export async function benchReminders(ledger: Ledger, reports: number, runs: number, log: (s: string) => void): Promise<ReminderFigures> {
  const { db, services, raw, queries } = ledger;
  const jobMs: number[] = [];
  const scanInJob: number[] = [];
  let scan: QueryRecord | undefined;
  let result = { owners: 0, reports: 0 };
  let maxStall = 0;
  for (let i = 0; i < runs; i++) {
    await db.$executeRawUnsafe('DELETE FROM "OutboxMessage"'); // each run owes the reminders again
    gc();
    queries.length = 0;
    const metered = await withStallMeter(() => timed(() => services.jobs.reminders(NOW)));
    const t = metered.value;
    maxStall = Math.max(maxStall, metered.maxStallMs);
    result = t.value;
    jobMs.push(t.ms);
    scan = queries.find((q) => /FROM "Report"/.test(q.sql) && /dueAt </.test(q.sql)) ?? scan;
    if (scan) scanInJob.push(queries.find((q) => q.sql === scan!.sql)?.ms ?? Number.NaN);
    log(`  reminders over ${reports.toLocaleString('en')}: run ${i + 1}/${runs} ${round(t.ms, 0)} ms (${t.value.owners} owners, ${t.value.reports} reports)`);
  }
  if (!scan) throw new Error('reminders() ran no scan query that could be recognised');
  const prismaMs: number[] = [];
  const sqliteMs: number[] = [];
  let rows = 0;
  const stmt = raw.prepare(scan.sql);
  for (let i = 0; i < runs; i++) {
    gc();
    const p = await timed(() => ledger.db.$queryRawUnsafe<unknown[]>(scan!.sql, ...scan!.args));
    prismaMs.push(p.ms);
    gc();
    const s = await timed(() => stmt.all(...scan!.args));
    sqliteMs.push(s.ms);
    rows = s.value.length;
  }
  await db.$executeRawUnsafe('DELETE FROM "OutboxMessage"');
  return {
    reports,
    runs,
    remindersMs: round(median(jobMs), 0),
    remindersAllMs: jobMs.map((x) => round(x, 0)),
    owners: result.owners,
    remindedReports: result.reports,
    scanInJobMs: round(median(scanInJob), 0),
    scanPrismaMs: round(median(prismaMs), 0),
    scanSqliteMs: round(median(sqliteMs), 0),
    overdueRows: rows,
    maxEventLoopStallMs: maxStall,
    plan: explain(raw, scan.sql, scan.args),
    sql: oneLine(scan.sql),
  };
}

// ───────────────────────────── digest ─────────────────────────────

export interface DigestFiguresBench {
  kind: 'week' | 'month';
  runs: number;
  medianMs: number;
  allMs: number[];
  queries: number;
  /** longest event-loop freeze during the runs (ms) */
  maxEventLoopStallMs: number;
  /** the slowest queries of the last run, with their plans */
  slowest: Array<{ ms: number; sql: string; plan: string[] }>;
}

export async function benchDigest(ledger: Ledger, kind: 'week' | 'month', runs: number, log: (s: string) => void): Promise<DigestFiguresBench> {
  const all: number[] = [];
  let last: QueryRecord[] = [];
  let maxStall = 0;
  for (let i = 0; i < runs; i++) {
    gc();
    ledger.queries.length = 0;
    const metered = await withStallMeter(() => timed(() => ledger.services.digests.figures(kind, NOW)));
    const t = metered.value;
    maxStall = Math.max(maxStall, metered.maxStallMs);
    all.push(t.ms);
    last = [...ledger.queries];
    log(`  digest ${kind}: run ${i + 1}/${runs} ${round(t.ms, 0)} ms (${last.length} queries)`);
  }
  const slowest = [...last]
    .sort((a, b) => b.ms - a.ms)
    .slice(0, 6)
    .map((q) => ({ ms: round(q.ms, 0), sql: oneLine(q.sql), plan: explain(ledger.raw, q.sql, q.args) }));
  return { kind, runs, medianMs: round(median(all), 0), allMs: all.map((x) => round(x, 0)), queries: last.length, maxEventLoopStallMs: maxStall, slowest };
}

// ───────────────────────────── export ─────────────────────────────

export interface ExportFigures {
  format: 'xlsx' | 'csv';
  rows: number;
  seconds: number;
  rowsPerSecond: number;
  fileMB: number;
  rssBaselineMB: number;
  peakRssMB: number;
  peakRssDeltaMB: number;
  heapBaselineMB: number;
  heapPeakMB: number;
  /** V8 heap after the export and a full gc, minus before: what the export kept */
  heapRetainedMB: number;
  /** RSS after the export and a full gc, minus before */
  rssAfterGcDeltaMB: number;
  /** longest event-loop freeze during the export (ms) */
  maxEventLoopStallMs: number;
}

export async function benchExport(ledger: Ledger, format: 'xlsx' | 'csv', log: (s: string) => void): Promise<ExportFigures> {
  gc();
  const sampler = rssSampler(10);
  const metered = await withStallMeter(() => timed(() => ledger.services.exports.write({ period: 'all', status: 'all', format, locale: 'zh', now: NOW })));
  const t = metered.value;
  const mem = sampler.stop();
  const fileMB = round(fs.statSync(t.value.file).size / 1048576, 1);
  t.value.cleanup();
  gc();
  const after = process.memoryUsage();
  const f: ExportFigures = {
    format,
    rows: t.value.rows,
    seconds: round(t.ms / 1000, 2),
    rowsPerSecond: Math.round(t.value.rows / (t.ms / 1000)),
    fileMB,
    rssBaselineMB: mem.baselineMB,
    peakRssMB: mem.peakMB,
    peakRssDeltaMB: mem.peakDeltaMB,
    heapBaselineMB: mem.heapBaselineMB,
    heapPeakMB: mem.heapPeakMB,
    heapRetainedMB: round(after.heapUsed / 1048576 - mem.heapBaselineMB, 1),
    rssAfterGcDeltaMB: round(after.rss / 1048576 - mem.baselineMB, 1),
    maxEventLoopStallMs: metered.maxStallMs,
  };
  log(`  export ${format}: ${f.rows} rows in ${f.seconds} s, ${f.fileMB} MB, peak RSS +${f.peakRssDeltaMB} MB, heap ${f.heapBaselineMB} → peak ${f.heapPeakMB} MB, kept after gc ${f.heapRetainedMB} MB, longest event-loop freeze ${f.maxEventLoopStallMs} ms`);
  return f;
}
