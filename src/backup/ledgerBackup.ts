import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { databaseFileUrl } from '../db/url.ts';
import { openDatabase } from '../db/client.ts';

const MIGRATIONS_DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), '../../prisma/migrations');
/** Backups are named by the time they were taken (UTC), so that names sort by age. */
const BACKUP_NAME = /^village-desk-\d{4}-\d{2}-\d{2}T\d{2}-\d{2}-\d{2}Z(-\d+)?\.db$/;

export type BackupErrorCode = 'postgres' | 'no_database' | 'check_failed' | 'not_a_ledger' | 'newer_schema' | 'bot_running' | 'no_file';

/** Why a backup or a restore did not happen; the message says what to do. Nothing was changed. */
export class BackupError extends Error {
  override readonly name = 'BackupError';
  constructor(
    readonly code: BackupErrorCode,
    message: string,
  ) {
    super(message);
  }
}

/** What a checked ledger file holds. */
export interface LedgerFileSummary {
  file: string;
  bytes: number;
  /** rows per table (every table of the file, Prisma's migration table included) */
  tables: Record<string, number>;
  /** migrations the file has applied */
  migrations: string[];
}

export interface BackupResult extends LedgerFileSummary {
  ms: number;
  /** older backups deleted to keep BACKUP_KEEP */
  removed: string[];
}

export interface RestoreResult {
  /** the database file now holding the restored ledger */
  target: string;
  /** where the replaced database was moved (null when there was none) */
  setAside: string | null;
  restored: LedgerFileSummary;
}

export function isPostgresUrl(url: string | undefined): boolean {
  return /^postgres(ql)?:\/\//i.test(url?.trim() ?? '');
}

function sqlitePath(databaseUrl: string | undefined, what: 'backup' | 'restore'): string {
  if (isPostgresUrl(databaseUrl)) {
    throw new BackupError(
      'postgres',
      `DATABASE_URL points to PostgreSQL: this ${what} command is for the SQLite ledger. Use pg_dump and pg_restore instead (README, "Floods, backups and a full disk").`,
    );
  }
  const file = databaseFileUrl(databaseUrl).slice('file:'.length);
  if (file === ':memory:') throw new BackupError('no_database', 'DATABASE_URL is an in-memory database: there is nothing on disk to back up or restore.');
  return path.resolve(file);
}

const stamp = (at: Date) => at.toISOString().replace(/\.\d{3}Z$/, 'Z').replace(/:/g, '-');

/**
 * Checks a ledger file: SQLite's integrity check, the foreign keys, that it is a Village Desk
 * ledger (its migration table and reports), and counts the rows of every table.
 * Throws BackupError('check_failed' | 'not_a_ledger') when it is not a sound ledger.
 */
export function inspectLedgerFile(file: string): LedgerFileSummary {
  if (!fs.existsSync(file)) throw new BackupError('no_file', `${file} does not exist.`);
  let sqlite: Database.Database;
  try {
    sqlite = new Database(file, { readonly: true, fileMustExist: true });
  } catch (error) {
    throw new BackupError('check_failed', `${file} cannot be opened as a SQLite database: ${(error as Error).message}`);
  }
  try {
    let integrity: string[];
    try {
      integrity = (sqlite.pragma('integrity_check') as Array<{ integrity_check: string }>).map((row) => row.integrity_check);
    } catch (error) {
      throw new BackupError('check_failed', `${file} is not a readable SQLite database: ${(error as Error).message}`);
    }
    if (integrity.join() !== 'ok') throw new BackupError('check_failed', `${file} failed SQLite's integrity check: ${integrity.slice(0, 5).join('; ')}`);
    const foreignKeys = sqlite.pragma('foreign_key_check') as unknown[];
    if (foreignKeys.length > 0) throw new BackupError('check_failed', `${file} has ${foreignKeys.length} rows whose foreign keys point nowhere.`);
    const names = (sqlite.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name").all() as Array<{ name: string }>).map((r) => r.name);
    if (!names.includes('_prisma_migrations') || !names.includes('Report')) throw new BackupError('not_a_ledger', `${file} is a SQLite database but not a Village Desk ledger.`);
    const tables: Record<string, number> = {};
    for (const name of names) tables[name] = (sqlite.prepare(`SELECT count(*) AS n FROM "${name.replace(/"/g, '""')}"`).get() as { n: number }).n;
    const migrations = (
      sqlite.prepare('SELECT migration_name FROM _prisma_migrations WHERE finished_at IS NOT NULL AND rolled_back_at IS NULL ORDER BY migration_name').all() as Array<{ migration_name: string }>
    ).map((r) => r.migration_name);
    return { file, bytes: fs.statSync(file).size, tables, migrations };
  } finally {
    sqlite.close();
  }
}

/**
 * Writes a consistent copy of the running ledger into `dir` with SQLite's online backup (the bot
 * keeps reading and writing meanwhile), checks the copy, and keeps the `keep` newest backups.
 * The copy is taken in one backup step after a first small one: in WAL mode a step only reads,
 * so writers are not held up, and a step that spans the whole file cannot be restarted by their
 * writes (a many-step backup of a busy ledger could restart for ever).
 */
export async function backupLedger(options: { databaseUrl: string | undefined; dir: string; keep: number; now: Date }): Promise<BackupResult> {
  const started = Date.now();
  const source = sqlitePath(options.databaseUrl, 'backup');
  if (!fs.existsSync(source)) throw new BackupError('no_database', `There is no ledger at ${source} to back up.`);
  const dir = path.resolve(options.dir);
  fs.mkdirSync(dir, { recursive: true });
  let name = `village-desk-${stamp(options.now)}.db`;
  for (let n = 2; fs.existsSync(path.join(dir, name)); n += 1) name = `village-desk-${stamp(options.now)}-${n}.db`;
  const file = path.join(dir, name);
  const partial = `${file}.partial`;
  fs.rmSync(partial, { force: true });
  try {
    const sqlite = new Database(source, { fileMustExist: true });
    try {
      await sqlite.backup(partial, { progress: ({ totalPages }) => Math.max(totalPages, 100) });
    } finally {
      sqlite.close();
    }
    // a backup is one self-contained file: no write-ahead log beside it
    const copy = new Database(partial);
    try {
      copy.pragma('journal_mode = DELETE');
    } finally {
      copy.close();
    }
    const summary = inspectLedgerFile(partial);
    fs.renameSync(partial, file);
    return { ...summary, file, ms: Date.now() - started, removed: pruneBackups(dir, options.keep) };
  } catch (error) {
    fs.rmSync(partial, { force: true });
    throw error;
  }
}

/** Deletes all but the `keep` newest backups in `dir`; returns the deleted paths. */
export function pruneBackups(dir: string, keep: number): string[] {
  const backups = fs
    .readdirSync(dir)
    .filter((f) => BACKUP_NAME.test(f))
    .sort((a, b) => a.localeCompare(b, 'en', { numeric: true }));
  const removed = backups.slice(0, Math.max(0, backups.length - keep)).map((f) => path.join(dir, f));
  for (const f of removed) fs.rmSync(f, { force: true });
  return removed;
}

/**
 * Who holds a lease on this ledger that has not run out. Every running bot process takes or
 * renews the scheduler lease every 10 seconds (30 seconds to live), so an unexpired lease means
 * a bot (or the jobs command) is using the database now; a stopped one gives it up at once, a
 * killed one within 30 seconds. The lease lives in the ledger itself, so it holds for any process
 * on any machine that shares the file, which a pid file would not.
 */
async function runningHolder(databaseUrl: string): Promise<{ holder: string; expiresAt: Date } | null> {
  const db = await openDatabase(databaseUrl);
  try {
    const lease = await db.lease.findFirst({ where: { expiresAt: { gt: new Date() } }, orderBy: { expiresAt: 'desc' } });
    return lease ? { holder: lease.holder, expiresAt: lease.expiresAt } : null;
  } finally {
    await db.$disconnect();
  }
}

/**
 * Puts a backup in place of the ledger. Refuses while a bot runs on the ledger, and refuses a
 * file that fails the checks or was written by a newer version (migrations this code does not
 * know). The replaced database is moved aside (<name>.replaced-<time>), never deleted.
 */
export async function restoreLedger(options: { databaseUrl: string | undefined; file: string; now: Date; migrationsDir?: string }): Promise<RestoreResult> {
  const target = sqlitePath(options.databaseUrl, 'restore');
  const restored = inspectLedgerFile(path.resolve(options.file));
  const known = new Set(fs.readdirSync(options.migrationsDir ?? MIGRATIONS_DIR));
  const unknown = restored.migrations.filter((m) => !known.has(m));
  if (unknown.length > 0) {
    throw new BackupError('newer_schema', `${options.file} was written by a newer Village Desk (migrations ${unknown.join(', ')}): update this installation first.`);
  }
  let setAside: string | null = null;
  if (fs.existsSync(target)) {
    const running = await runningHolder(`file:${target}`);
    if (running) {
      throw new BackupError(
        'bot_running',
        `The bot is running on ${target} (${running.holder}, seen until ${running.expiresAt.toISOString()}). Stop it first, then restore again.`,
      );
    }
    // fold the write-ahead log into the file, so that the file alone is the whole old ledger
    const old = new Database(target, { fileMustExist: true });
    try {
      old.pragma('wal_checkpoint(TRUNCATE)');
    } finally {
      old.close();
    }
    setAside = `${target}.replaced-${stamp(options.now)}`;
    fs.renameSync(target, setAside);
    for (const suffix of ['-wal', '-shm']) if (fs.existsSync(target + suffix)) fs.renameSync(target + suffix, setAside + suffix);
  }
  fs.mkdirSync(path.dirname(target), { recursive: true });
  fs.copyFileSync(restored.file, `${target}.restoring`);
  fs.renameSync(`${target}.restoring`, target);
  return { target, setAside, restored };
}
