import { setImmediate, setTimeout as sleep } from 'node:timers/promises';
import Database from 'better-sqlite3';
import pg from 'pg';
import { databaseEngine, databaseFileUrl } from './url.ts';

/** A user row as the hot path reads it (timestamps are unix milliseconds). */
export interface UserRow {
  id: number;
  telegramId: number;
  displayName: string;
  locale: string | null;
  role: string;
  unreachableAt: number | null;
}

/** An update taken for handling (HotPath.claimUpdate). */
export interface UpdateClaim {
  done(): Promise<void>;
}

const NOTHING_TO_DO: UpdateClaim = { done: async () => undefined };

/** A user as first contact creates them. */
export interface NewUser {
  telegramId: number;
  displayName: string;
  role: string;
  locale: string | null;
  nowMs: number;
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

/** One overdue report, as the reminder and escalation scan reads it (only what the messages need). */
export interface OverdueRow {
  id: number;
  number: number;
  ownerId: number | null;
  dueAt: number;
  reminderCount: number;
  escalationLevel: number;
  categoryId: number;
  placeId: number | null;
}

/**
 * What every update does to the ledger, on a connection (or pool) of its own, with hand-written
 * statements: claim its id, find its sender, read and write their conversation, list /my; and
 * the chunked scan for overdue reports. One implementation per engine (openHotPath).
 */
export interface HotPath {
  /**
   * Takes an update for handling, once across every process sharing the database: null when it
   * was handled already. `done()` records it as handled; an update whose process died before
   * that is handled by the next delivery (PostgreSQL; on SQLite, one process, it is recorded here).
   */
  claimUpdate(updateId: number, atMs: number): Promise<UpdateClaim | null>;
  userByTelegramId(telegramId: number): Promise<UserRow | undefined>;
  /** First contact: inserts the user unless they exist (another process may be first), then reads them. */
  createUser(user: NewUser): Promise<UserRow | undefined>;
  draftData(userId: number, flow: string, nowMs: number): Promise<string | undefined>;
  activeFlow(userId: number, nowMs: number): Promise<string | undefined>;
  saveDraft(userId: number, flow: string, data: string, nowMs: number, expiresMs: number): Promise<void>;
  clearDrafts(userId: number, flow?: string): Promise<number>;
  /** A user's own and joined reports, newest first, with their category. */
  reportSummaries(userId: number, limit: number): Promise<ReportSummaryRow[]>;
  /** Open reports in one of `statuses` due before `nowMs`, in chunks, unordered. */
  overdue(statuses: readonly string[], nowMs: number): AsyncGenerator<OverdueRow[]>;
  /** Reads a large result in chunks without holding the event loop (the SQL is the engine's own). */
  scan<T>(sql: string, params: readonly unknown[], chunk?: number): AsyncGenerator<T[]>;
  close(): Promise<void>;
}

/** The hot path for DATABASE_URL's engine. */
export function openHotPath(url: string | undefined): HotPath {
  return databaseEngine(url) === 'postgresql' ? new PostgresHotPath(url!) : new SqliteHotPath(url);
}

const inList = (values: readonly string[]) => values.map((v) => `'${v.replace(/'/g, "''")}'`).join(',');

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
export class SqliteHotPath implements HotPath {
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
      createUser: s(`INSERT INTO "User" ("telegramId", "displayName", "locale", "role", "createdAt", "updatedAt") VALUES (?, ?, ?, ?, ?, ?)
                     ON CONFLICT ("telegramId") DO NOTHING`),
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

  /** One process per SQLite file: the id is recorded as the update is taken. */
  async claimUpdate(updateId: number, atMs: number): Promise<UpdateClaim | null> {
    return (await this.write(() => this.stmt.claim.run(updateId, atMs).changes === 1)) ? NOTHING_TO_DO : null;
  }

  async userByTelegramId(telegramId: number): Promise<UserRow | undefined> {
    return this.stmt.user.get(telegramId) as UserRow | undefined;
  }

  async createUser(u: NewUser): Promise<UserRow | undefined> {
    await this.write(() => this.stmt.createUser.run(u.telegramId, u.displayName, u.locale, u.role, u.nowMs, u.nowMs));
    return this.userByTelegramId(u.telegramId);
  }

  async draftData(userId: number, flow: string, nowMs: number): Promise<string | undefined> {
    return (this.stmt.draft.get(userId, flow, nowMs) as { data: string } | undefined)?.data;
  }

  async activeFlow(userId: number, nowMs: number): Promise<string | undefined> {
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

  async reportSummaries(userId: number, limit: number): Promise<ReportSummaryRow[]> {
    return this.stmt.summaries.all({ user: userId, limit }) as ReportSummaryRow[];
  }

  overdue(statuses: readonly string[], nowMs: number): AsyncGenerator<OverdueRow[]> {
    return this.scan<OverdueRow>(
      `SELECT id, number, ownerId, dueAt, reminderCount, escalationLevel, categoryId, placeId FROM "Report"
       WHERE status IN (${inList(statuses)}) AND dueAt < ?`,
      [nowMs],
    );
  }

  async close(): Promise<void> {
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

/** The advisory lock namespace of update ids ('VD' 3). */
const UPDATE_LOCKS = 0x5644_0003;

/** An instant given in unix milliseconds as parameter n, as the timestamp(3) columns hold it (UTC). */
const at = (n: number) => `(to_timestamp($${n}::float8 / 1000) AT TIME ZONE 'UTC')`;
/** A timestamp column read back as unix milliseconds. */
const ms = (column: string) => `(EXTRACT(EPOCH FROM ${column}) * 1000)::float8`;

/**
 * The PostgreSQL form: the same statements on a small pool of its own, prepared once per
 * connection (named statements). Shared by every process on the database, so an update
 * delivered to two processes is claimed by one of them.
 */
export class PostgresHotPath implements HotPath {
  private readonly pool: pg.Pool;
  /** one connection per update being handled: each holds that update's lock (claimUpdate) */
  private readonly updateLocks: pg.Pool;

  constructor(url: string) {
    this.pool = new pg.Pool({ connectionString: url, max: 5, application_name: 'village-desk-hot' });
    this.updateLocks = new pg.Pool({ connectionString: url, max: 20, application_name: 'village-desk-updates' });
    // an idle connection that drops (a database restart) must not end the process
    this.pool.on('error', () => undefined);
    this.updateLocks.on('error', () => undefined);
  }

  private async query<R extends pg.QueryResultRow>(name: string, text: string, values: unknown[]): Promise<pg.QueryResult<R>> {
    return this.pool.query<R>({ name, text, values });
  }

  /**
   * While an update is handled, its process holds a session advisory lock on its id, on a
   * connection of its own; the id is recorded as handled before the lock is let go. A second
   * delivery (to this or another process) waits for the lock, then finds the record and is
   * ignored. A process that dies mid-update loses its connection, and with it the lock, without
   * a record: the next delivery handles the update (at least once, never lost).
   */
  async claimUpdate(updateId: number, atMs: number): Promise<UpdateClaim | null> {
    const client = await this.updateLocks.connect();
    const unlock = async (error?: unknown) => {
      await client.query('SELECT pg_advisory_unlock($1, $2)', [UPDATE_LOCKS, updateId | 0]).catch((e: unknown) => (error ??= e));
      client.release(error instanceof Error ? error : undefined);
    };
    try {
      await client.query('SELECT pg_advisory_lock($1, $2)', [UPDATE_LOCKS, updateId | 0]);
      const seen = await client.query({ name: 'seen', text: 'SELECT 1 FROM "ProcessedUpdate" WHERE "updateId" = $1', values: [updateId] });
      if (seen.rowCount !== 0) {
        await unlock();
        return null;
      }
    } catch (error) {
      await unlock(error);
      throw error;
    }
    return {
      done: async () => {
        try {
          await client.query({ name: 'handled', text: `INSERT INTO "ProcessedUpdate" ("updateId", "at") VALUES ($1, ${at(2)}) ON CONFLICT DO NOTHING`, values: [updateId, atMs] });
        } finally {
          await unlock();
        }
      },
    };
  }

  async userByTelegramId(telegramId: number): Promise<UserRow | undefined> {
    const r = await this.query<{ id: number; telegramId: string; displayName: string; locale: string | null; role: string; unreachableAt: number | null }>(
      'user',
      `SELECT "id", "telegramId", "displayName", "locale", "role", ${ms('"unreachableAt"')} AS "unreachableAt" FROM "User" WHERE "telegramId" = $1`,
      [telegramId],
    );
    const row = r.rows[0];
    return row ? { ...row, telegramId: Number(row.telegramId) } : undefined;
  }

  async createUser(u: NewUser): Promise<UserRow | undefined> {
    await this.query(
      'createUser',
      `INSERT INTO "User" ("telegramId", "displayName", "locale", "role", "createdAt", "updatedAt") VALUES ($1, $2, $3, $4, ${at(5)}, ${at(5)})
       ON CONFLICT ("telegramId") DO NOTHING`,
      [u.telegramId, u.displayName, u.locale, u.role, u.nowMs],
    );
    return this.userByTelegramId(u.telegramId);
  }

  async draftData(userId: number, flow: string, nowMs: number): Promise<string | undefined> {
    const r = await this.query<{ data: string }>('draft', `SELECT "data" FROM "Draft" WHERE "userId" = $1 AND "flow" = $2 AND "expiresAt" > ${at(3)}`, [userId, flow, nowMs]);
    return r.rows[0]?.data;
  }

  async activeFlow(userId: number, nowMs: number): Promise<string | undefined> {
    const r = await this.query<{ flow: string }>(
      'active',
      `SELECT "flow" FROM "Draft" WHERE "userId" = $1 AND "expiresAt" > ${at(2)} ORDER BY "updatedAt" DESC LIMIT 1`,
      [userId, nowMs],
    );
    return r.rows[0]?.flow;
  }

  async saveDraft(userId: number, flow: string, data: string, nowMs: number, expiresMs: number): Promise<void> {
    await this.query(
      'saveDraft',
      `INSERT INTO "Draft" ("userId", "flow", "data", "updatedAt", "expiresAt") VALUES ($1, $2, $3, ${at(4)}, ${at(5)})
       ON CONFLICT ("userId", "flow") DO UPDATE SET "data" = excluded."data", "updatedAt" = excluded."updatedAt", "expiresAt" = excluded."expiresAt"`,
      [userId, flow, data, nowMs, expiresMs],
    );
  }

  async clearDrafts(userId: number, flow?: string): Promise<number> {
    const r = flow
      ? await this.query('clearFlow', 'DELETE FROM "Draft" WHERE "userId" = $1 AND "flow" = $2', [userId, flow])
      : await this.query('clearAll', 'DELETE FROM "Draft" WHERE "userId" = $1', [userId]);
    return r.rowCount ?? 0;
  }

  async reportSummaries(userId: number, limit: number): Promise<ReportSummaryRow[]> {
    const r = await this.query<ReportSummaryRow>(
      'summaries',
      `SELECT r."number", r."status", ${ms('r."dueAt"')} AS "dueAt", c."code", c."nameUg", c."nameZh", c."nameEn"
       FROM "Report" r JOIN "Category" c ON c."id" = r."categoryId"
       WHERE r."id" IN (SELECT "id" FROM "Report" WHERE "reporterId" = $1 UNION SELECT "reportId" FROM "ReportFollower" WHERE "userId" = $1)
       ORDER BY r."number" DESC LIMIT $2`,
      [userId, limit],
    );
    return r.rows;
  }

  overdue(statuses: readonly string[], nowMs: number): AsyncGenerator<OverdueRow[]> {
    return this.scan<OverdueRow>(
      `SELECT "id", "number", "ownerId", ${ms('"dueAt"')} AS "dueAt", "reminderCount", "escalationLevel", "categoryId", "placeId" FROM "Report"
       WHERE "status" IN (${inList(statuses)}) AND "dueAt" < ${at(1)}`,
      [nowMs],
    );
  }

  /** A server-side cursor in a read-only transaction, fetched chunk by chunk. */
  async *scan<T>(sql: string, params: readonly unknown[], chunk = 2000): AsyncGenerator<T[]> {
    const client = await this.pool.connect();
    let broken: unknown;
    try {
      await client.query('BEGIN READ ONLY');
      await client.query({ text: `DECLARE hot_scan NO SCROLL CURSOR FOR ${sql}`, values: [...params] });
      for (;;) {
        const { rows } = await client.query(`FETCH ${chunk} FROM hot_scan`);
        if (rows.length > 0) yield rows as T[];
        if (rows.length < chunk) break;
      }
    } catch (error) {
      broken = error;
      throw error;
    } finally {
      // also when the reader stopped early: the connection goes back to the pool outside a transaction
      await client.query('ROLLBACK').catch((error: unknown) => (broken ??= error));
      client.release(broken instanceof Error ? broken : undefined);
    }
  }

  async close(): Promise<void> {
    await this.pool.end();
    await this.updateLocks.end();
  }
}
