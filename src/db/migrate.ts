import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { databaseFileUrl } from './url.ts';

const MIGRATIONS_DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), '../../prisma/migrations');

/**
 * Applies the committed migrations (prisma/migrations/<name>/migration.sql) that the database
 * has not seen yet, each in its own transaction, and records them in Prisma's own
 * `_prisma_migrations` table so that `prisma migrate status` agrees. Runs at every start:
 * a fresh machine needs no separate database step. Returns the names it applied.
 */
export function applyMigrations(url: string | undefined, dir: string = MIGRATIONS_DIR): string[] {
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
    const pending = fs
      .readdirSync(dir, { withFileTypes: true })
      .filter((d) => d.isDirectory() && !applied.has(d.name))
      .map((d) => d.name)
      .sort();
    const record = sqlite.prepare(
      `INSERT INTO _prisma_migrations (id, checksum, finished_at, migration_name, started_at, applied_steps_count)
       VALUES (?, ?, ?, ?, ?, 1)`,
    );
    for (const name of pending) {
      const sql = fs.readFileSync(path.join(dir, name, 'migration.sql'), 'utf8');
      const checksum = crypto.createHash('sha256').update(sql).digest('hex');
      const startedAt = Date.now();
      sqlite.transaction(() => {
        sqlite.exec(sql);
        record.run(crypto.randomUUID(), checksum, Date.now(), name, startedAt);
      })();
    }
    return pending;
  } finally {
    sqlite.close();
  }
}
