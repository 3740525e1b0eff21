import { setImmediate, setTimeout as sleep } from 'node:timers/promises';
import Database from 'better-sqlite3';
import { databaseFileUrl } from './url.ts';

/** A user row as the hot path reads it (timestamps are unix milliseconds). */
export interface UserRow {
  id: number;
  telegramId: number;
  displayName: string;
  locale: string | null;
  role: string;
  unreachableAt: number | null;
}

/** What /my shows of a report. */
export interface ReportSummaryRow {
  number: number;
  status: string;
  dueAt: number;
  code: string;
  nameUg: string | null;
  nameZh: string | null;
  nameEn: string | null;
}

const BUSY_RETRIES = 400;

/**
 * Prepared statements on a second connection to the ledger for what every update does: claim
 * its id, find its sender, read and write their conversation. Through the Prisma client each of
 * these costs about half a millisecond of CPU; here a few microseconds (docs/BENCHMARKS.md).
 *
 * Writes are single statements. The connection does not wait for the write lock synchronously
 * (busy_timeout 0): a Prisma transaction in this same process may hold the lock across awaits,
 * and a blocking wait would stop the very event loop that transaction needs to finish. A busy
 * write is retried after a short asynchronous pause instead.
 */
export class HotPath {
  private readonly sqlite: Database.Database;
  private readonly stmt;

  constructor(url: string | undefined) {
    this.sqlite = new Database(databaseFileUrl(url).slice('file:'.length));
    this.sqlite.pragma('journal_mode = WAL');
    this.sqlite.pragma('synchronous = NORMAL');
    this.sqlite.pragma('busy_timeout = 0');
    const s = (sql: string) => this.sqlite.prepare(sql);
    this.stmt = {
      claim: s('INSERT OR IGNORE INTO "ProcessedUpdate" ("updateId", "at") VALUES (?, ?)'),
      user: s('SELECT id, telegramId, displayName, locale, role, unreachableAt FROM "User" WHERE telegramId = ?'),
      draft: s('SELECT data FROM "Draft" WHERE userId = ? AND flow = ? AND expiresAt > ?'),
      active: s('SELECT flow FROM "Draft" WHERE userId = ? AND expiresAt > ? ORDER BY updatedAt DESC LIMIT 1'),
      saveDraft: s(`INSERT INTO "Draft" ("userId", "flow", "data", "updatedAt", "expiresAt") VALUES (?, ?, ?, ?, ?)
                    ON CONFLICT ("userId", "flow") DO UPDATE SET "data" = excluded."data", "updatedAt" = excluded."updatedAt", "expiresAt" = excluded."expiresAt"`),
      clearFlow: s('DELETE FROM "Draft" WHERE userId = ? AND flow = ?'),
      clearAll: s('DELETE FROM "Draft" WHERE userId = ?'),
      // two index lookups (own, joined) rather than an OR that would scan the ledger
      summaries: s(`SELECT r.number, r.status, r.dueAt, c.code, c.nameUg, c.nameZh, c.nameEn
                    FROM "Report" r JOIN "Category" c ON c.id = r.categoryId
                    WHERE r.id IN (SELECT id FROM "Report" WHERE reporterId = @user
                                   UNION SELECT reportId FROM "ReportFollower" WHERE userId = @user)
                    ORDER BY r.number DESC LIMIT @limit`),
    };
  }

  /** Runs a one-statement write, retrying asynchronously while another connection holds the lock. */
  private async write<T>(run: () => T): Promise<T> {
    for (let attempt = 0; ; attempt += 1) {
      try {
        return run();
      } catch (error) {
        const code = (error as { code?: string }).code;
        if ((code !== 'SQLITE_BUSY' && code !== 'SQLITE_LOCKED') || attempt >= BUSY_RETRIES) throw error;
        await sleep(Math.min(25, 1 + attempt));
      }
    }
  }

  /** True the first time an update id is claimed. */
  claimUpdate(updateId: number, atMs: number): Promise<boolean> {
    return this.write(() => this.stmt.claim.run(updateId, atMs).changes === 1);
  }

  userByTelegramId(telegramId: number): UserRow | undefined {
    return this.stmt.user.get(telegramId) as UserRow | undefined;
  }

  draftData(userId: number, flow: string, nowMs: number): string | undefined {
    return (this.stmt.draft.get(userId, flow, nowMs) as { data: string } | undefined)?.data;
  }

  activeFlow(userId: number, nowMs: number): string | undefined {
    return (this.stmt.active.get(userId, nowMs) as { flow: string } | undefined)?.flow;
  }

  saveDraft(userId: number, flow: string, data: string, nowMs: number, expiresMs: number): Promise<void> {
    return this.write(() => {
      this.stmt.saveDraft.run(userId, flow, data, nowMs, expiresMs);
    });
  }

  clearDrafts(userId: number, flow?: string): Promise<number> {
    return this.write(() => (flow ? this.stmt.clearFlow.run(userId, flow) : this.stmt.clearAll.run(userId)).changes);
  }

  /** A user's own and joined reports, newest first, with their category. */
  reportSummaries(userId: number, limit: number): ReportSummaryRow[] {
    return this.stmt.summaries.all({ user: userId, limit }) as ReportSummaryRow[];
  }

  close(): void {
    this.sqlite.close();
  }

  /**
   * Reads a large result in chunks on a connection of its own, yielding to the event loop
   * between chunks, so that a scan over a million reports never stops the bot for long.
   * (An open iterator keeps its connection busy, hence the separate, read-only one.)
   */
  async *scan<T>(sql: string, params: readonly unknown[], chunk = 2000): AsyncGenerator<T[]> {
    const reader = new Database(this.sqlite.name, { readonly: true, fileMustExist: true });
    try {
      let rows: T[] = [];
      for (const row of reader.prepare(sql).iterate(...params)) {
        rows.push(row as T);
        if (rows.length >= chunk) {
          yield rows;
          rows = [];
          await setImmediate();
        }
      }
      if (rows.length > 0) yield rows;
    } finally {
      reader.close();
    }
  }
}
