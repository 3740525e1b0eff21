/**
 * Errors that mean "the ledger cannot be written right now" rather than "this update is wrong":
 * a full disk, a database or file system that became read-only, an I/O error. They come from
 * better-sqlite3 (SqliteError.code), from Prisma (PrismaClientKnownRequestError.code carries the
 * SQLite code through the driver adapter) or from PostgreSQL (SQLSTATE 53100 disk_full,
 * 53200 out_of_memory is not ours, 25006 read_only_sql_transaction). They pass when space or
 * write access is back: nothing needs restarting.
 */
const SQLITE = /^SQLITE_(FULL|READONLY|IOERR|CANTOPEN)/;
const POSTGRES = new Set(['53100', '25006']);
const MESSAGES = /database or disk is full|attempt to write a readonly database|disk I\/O error|no space left on device|read-only file system/i;

/** True when the error (or its cause) says the ledger cannot be written at the moment. */
export function isStorageUnavailable(error: unknown, depth = 0): boolean {
  if (typeof error !== 'object' || error === null || depth > 4) return false;
  const { code, message, cause } = error as { code?: unknown; message?: unknown; cause?: unknown };
  if (typeof code === 'string' && (SQLITE.test(code) || POSTGRES.has(code))) return true;
  // Prisma sometimes keeps the driver's code only in the message ("... database or disk is full")
  if (typeof message === 'string' && MESSAGES.test(message)) return true;
  return isStorageUnavailable(cause, depth + 1);
}

/** The first line of what the database said, for a log line that stays one line. */
export function storageReason(error: unknown): string {
  const { code, message } = (error ?? {}) as { code?: unknown; message?: unknown };
  const text = typeof message === 'string' ? (message.split('\n').map((l) => l.trim()).filter((l) => MESSAGES.test(l))[0] ?? message.split('\n')[0]) : String(error);
  return typeof code === 'string' ? `${code}: ${text}` : (text ?? '');
}
