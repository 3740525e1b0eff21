import type { Engine } from './url.ts';

/**
 * The few places where hand-written SQL differs between the engines. Identifiers are always
 * double-quoted (PostgreSQL folds unquoted ones to lower case; SQLite accepts the quotes), and
 * instants are passed as Date parameters, which both drivers bind the way their columns hold
 * them (SQLite: unix milliseconds; PostgreSQL: timestamp(3) in UTC).
 */
export interface SqlDialect {
  engine: Engine;
  /** An instant parameter, numbered ?N, where its type cannot be inferred from a column. */
  instant(n: number): string;
  /** Milliseconds from instant `b` to instant `a`, as a number. */
  msBetween(a: string, b: string): string;
  /** Whole periods of `periodParam` ms from instant `start` to instant `a` (a >= start). */
  periodsSince(a: string, start: string, periodParam: string): string;
  /** SQL written with numbered parameters ?1, ?2 … in the driver's own form, with its arguments. */
  bind(sql: string, params: readonly unknown[]): [string, unknown[]];
}

const sqlite: SqlDialect = {
  engine: 'sqlite',
  instant: (n) => `?${n}`,
  msBetween: (a, b) => `(${a} - ${b})`,
  periodsSince: (a, start, period) => `CAST((${a} - ${start}) / ${period} AS INTEGER)`,
  bind(sql, params) {
    // better-sqlite3 takes numbered parameters only as plain `?`
    const args: unknown[] = [];
    const plain = sql.replace(/\?(\d+)/g, (_, n: string) => {
      args.push(params[Number(n) - 1]);
      return '?';
    });
    return [plain, args];
  },
};

const postgresql: SqlDialect = {
  engine: 'postgresql',
  instant: (n) => `?${n}::timestamp(3)`,
  msBetween: (a, b) => `(EXTRACT(EPOCH FROM (${a} - ${b})) * 1000)`,
  periodsSince: (a, start, period) => `FLOOR(EXTRACT(EPOCH FROM (${a} - ${start})) * 1000 / ${period})::integer`,
  bind: (sql, params) => [sql.replace(/\?(\d+)/g, (_, n: string) => `$${n}`), [...params]],
};

export function dialect(engine: Engine): SqlDialect {
  return engine === 'postgresql' ? postgresql : sqlite;
}
