/**
 * The PostgreSQL column of the benchmark: a throwaway server (tests/support/postgres.ts) on
 * 127.0.0.1, a fresh database per phase. The ledger phases copy the seeded SQLite ledger with
 * `npm run migrate-data`'s transfer, so both engines answer over the same rows.
 */
import { OPEN_STATUSES } from '../../src/domain/lifecycle.ts';
import { loadConfig } from '../../src/config.ts';
import { migrateDatabase } from '../../src/db/migrate.ts';
import { openDatabase } from '../../src/db/client.ts';
import { transferLedger } from '../../src/db/transfer.ts';
import { Texts } from '../../src/i18n/index.ts';
import { createServices } from '../../src/services/index.ts';
import { createDatabase, startPostgresCluster, type PostgresCluster } from '../../tests/support/postgres.ts';
import { NOW } from './seed.ts';
import { median, round, timed } from './util.ts';

export { startPostgresCluster, type PostgresCluster };

/** A new, empty database on the bench's server. */
export function freshDatabase(cluster: PostgresCluster): string {
  return createDatabase(cluster.url);
}

export interface PostgresLedgerFigures {
  reports: number;
  transferSeconds: number;
  overdueRows: number;
  scanMs: number;
  remindersMs: number;
  digestWeekMs: number;
  digestMonthMs: number;
  runs: number;
}

/** The reminder scan, the reminders job and the digest figures over a copy of a seeded ledger. */
export async function benchPostgresLedger(cluster: PostgresCluster, sqliteUrl: string, reports: number, runs: number, log: (s: string) => void): Promise<PostgresLedgerFigures> {
  const url = freshDatabase(cluster);
  const t = await timed(() => transferLedger(sqliteUrl, url));
  log(`postgresql: ${reports.toLocaleString('en')} reports copied in ${round(t.ms / 1000, 1)} s`);
  const db = await openDatabase(url);
  await db.$executeRawUnsafe('ANALYZE');
  await migrateDatabase(url);
  const config = loadConfig({ BOT_TOKEN: '7000000001:AAStandIn_VillageDesk_token_0123456789', DATABASE_URL: url, TIMEZONE: 'Asia/Urumqi', LOG_LEVEL: 'silent' });
  const services = createServices({ db, clock: { now: () => new Date(NOW) }, texts: new Texts(), config });
  try {
    const scans: number[] = [];
    const jobs: number[] = [];
    const weeks: number[] = [];
    const months: number[] = [];
    let overdueRows = 0;
    for (let i = 0; i < runs; i++) {
      const s = await timed(async () => {
        let n = 0;
        for await (const chunk of services.hot.overdue(OPEN_STATUSES, NOW.getTime())) n += chunk.length;
        return n;
      });
      overdueRows = s.value;
      scans.push(s.ms);
      jobs.push((await timed(() => services.jobs.reminders(new Date(NOW)))).ms);
      weeks.push((await timed(() => services.digests.figures('week', new Date(NOW)))).ms);
      months.push((await timed(() => services.digests.figures('month', new Date(NOW)))).ms);
      log(`postgresql ${reports.toLocaleString('en')}: scan ${round(s.ms, 0)} ms (${overdueRows} overdue), reminders ${round(jobs.at(-1)!, 0)} ms, digest week ${round(weeks.at(-1)!, 0)} ms, month ${round(months.at(-1)!, 0)} ms`);
    }
    return {
      reports,
      transferSeconds: round(t.ms / 1000, 1),
      overdueRows,
      scanMs: round(median(scans), 0),
      remindersMs: round(median(jobs), 0),
      digestWeekMs: round(median(weeks), 0),
      digestMonthMs: round(median(months), 0),
      runs,
    };
  } finally {
    await services.close();
  }
}
