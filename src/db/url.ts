import fs from 'node:fs';
import path from 'node:path';

/** Where the ledger lives when DATABASE_URL is not set. */
export const DEFAULT_DATABASE_URL = 'file:./data/village-desk.db';

/**
 * Normalises a SQLite DATABASE_URL ("file:./data/x.db", "file:/abs/x.db" or a bare path)
 * to the "file:<path>" form and makes sure the folder exists, so that a fresh machine
 * needs no manual database step.
 */
export function databaseFileUrl(url: string | undefined): string {
  const raw = url && url.trim() !== '' ? url.trim() : DEFAULT_DATABASE_URL;
  const file = raw.startsWith('file:') ? raw.slice('file:'.length) : raw;
  if (file !== ':memory:') fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
  return `file:${file}`;
}

/** The database engines Village Desk runs on. */
export type Engine = 'sqlite' | 'postgresql';

/** `postgresql://` (or `postgres://`) runs on PostgreSQL; a `file:` URL, a path or nothing on embedded SQLite. */
export function databaseEngine(url: string | undefined): Engine {
  return /^postgres(ql)?:\/\//i.test(url?.trim() ?? '') ? 'postgresql' : 'sqlite';
}
