import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import pg from 'pg';
import { databaseEngine, databaseFileUrl } from './url.ts';

const PRISMA_DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), '../../prisma');
const MIGRATIONS_DIR = path.join(PRISMA_DIR, 'migrations');
/** PostgreSQL's migrations, generated from the same schema (scripts/pg-schema.mjs). */
export const PG_MIGRATIONS_DIR = path.join(PRISMA_DIR, 'postgresql/migrations');
/** The advisory lock key the migration runner holds on PostgreSQL ('VDMIGRAT' as a number). */
const MIGRATION_LOCK = 0x5644_4d49_4752_4154n;

/**
 * Brings a database on either engine up to date at start (see applyMigrations and
 * applyPostgresMigrations). Returns the names it applied.
 */
export async function migrateDatabase(url: string | undefined): Promise<string[]> {
  return databaseEngine(url) === 'postgresql' ? applyPostgresMigrations(url!) : applyMigrations(url);
}

/** The committed migrations of an engine, in the order they apply. */
export function migrationNames(engine: 'sqlite' | 'postgresql'): string[] {
  return fs
    .readdirSync(engine === 'postgresql' ? PG_MIGRATIONS_DIR : MIGRATIONS_DIR, { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .map((d) => d.name)
    .sort();
}

function pendingMigrations(dir: string, applied: ReadonlySet<string>): Array<{ name: string; sql: string; checksum: string }> {
  return fs
    .readdirSync(dir, { withFileTypes: true })
    .filter((d) => d.isDirectory() && !applied.has(d.name))
    .map((d) => d.name)
    .sort()
    .map((name) => {
      const sql = fs.readFileSync(path.join(dir, name, 'migration.sql'), 'utf8');
      return { name, sql, checksum: crypto.createHash('sha256').update(sql).digest('hex') };
    });
}

/**
 * The PostgreSQL form of applyMigrations. Several bot processes may start at once: each takes a
 * session advisory lock first, so one applies the pending migrations (each in its own
 * transaction) and the others, once they get the lock, find nothing left to do. Recorded in
 * `_prisma_migrations` as Prisma itself records them, so `prisma migrate status` agrees.
 */
export async function applyPostgresMigrations(url: string, dir: string = PG_MIGRATIONS_DIR): Promise<string[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK.toString()]);
    await client.query(`CREATE TABLE IF NOT EXISTS "_prisma_migrations" (
      "id" VARCHAR(36) PRIMARY KEY NOT NULL,
      "checksum" VARCHAR(64) NOT NULL,
      "finished_at" TIMESTAMPTZ,
      "migration_name" VARCHAR(255) NOT NULL,
      "logs" TEXT,
      "rolled_back_at" TIMESTAMPTZ,
      "started_at" TIMESTAMPTZ NOT NULL DEFAULT now(),
      "applied_steps_count" INTEGER NOT NULL DEFAULT 0
    )`);
    const { rows } = await client.query<{ migration_name: string }>(
      'SELECT migration_name FROM "_prisma_migrations" WHERE finished_at IS NOT NULL AND rolled_back_at IS NULL',
    );
    const pending = pendingMigrations(dir, new Set(rows.map((r) => r.migration_name)));
    for (const m of pending) {
      const startedAt = new Date();
      await client.query('BEGIN');
      try {
        await client.query(m.sql);
        await client.query(
          `INSERT INTO "_prisma_migrations" (id, checksum, finished_at, migration_name, started_at, applied_steps_count) VALUES ($1, $2, now(), $3, $4, 1)`,
          [crypto.randomUUID(), m.checksum, m.name, startedAt],
        );
        await client.query('COMMIT');
      } catch (error) {
        await client.query('ROLLBACK');
        throw error;
      }
    }
    return pending.map((m) => m.name);
  } finally {
    // closing the session releases the advisory lock too
    await client.end();
  }
}

/**
 * Applies the committed migrations (prisma/migrations/<name>/migration.sql) that the database
 * has not seen yet, each in its own transaction, and records them in Prisma's own
 * `_prisma_migrations` table so that `prisma migrate status` agrees. Runs at every start:
 * a fresh machine needs no separate database step. Returns the names it applied.
 */
export function applyMigrations(url: string | undefined, dir: string = MIGRATIONS_DIR): string[] {
  if (databaseEngine(url) === 'postgresql') throw new Error('applyMigrations is for SQLite: use migrateDatabase');
  const file = databaseFileUrl(url).slice('file:'.length);
  const sqlite = new Database(file);
  try {
    sqlite.pragma('journal_mode = WAL');
    sqlite.exec(`CREATE TABLE IF NOT EXISTS "_prisma_migrations" (
      "id" TEXT PRIMARY KEY NOT NULL,
      "checksum" TEXT NOT NULL,
      "finished_at" DATETIME,
      "migration_name" TEXT NOT NULL,
      "logs" TEXT,
      "rolled_back_at" DATETIME,
      "started_at" DATETIME NOT NULL DEFAULT current_timestamp,
      "applied_steps_count" INTEGER UNSIGNED NOT NULL DEFAULT 0
    )`);
    const applied = new Set(
      sqlite
        .prepare('SELECT migration_name FROM _prisma_migrations WHERE finished_at IS NOT NULL AND rolled_back_at IS NULL')
        .all()
        .map((row) => (row as { migration_name: string }).migration_name),
    );
    const pending = pendingMigrations(dir, applied);
    const record = sqlite.prepare(
      `INSERT INTO _prisma_migrations (id, checksum, finished_at, migration_name, started_at, applied_steps_count)
       VALUES (?, ?, ?, ?, ?, 1)`,
    );
    for (const { name, sql, checksum } of pending) {
      const startedAt = Date.now();
      sqlite.transaction(() => {
        sqlite.exec(sql);
        record.run(crypto.randomUUID(), checksum, Date.now(), name, startedAt);
      })();
    }
    return pending.map((m) => m.name);
  } finally {
    sqlite.close();
  }
}
