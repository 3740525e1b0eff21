import type { Db } from '../db/client.ts';
import { isStaff } from '../domain/lifecycle.ts';
import { startOfLocalDay, type Clock } from '../domain/time.ts';
import type { User } from '../domain/types.ts';

/** Whether someone may file one more report today, and their limit. */
export type ReportAllowance = { kind: 'allowed' } | { kind: 'refused'; limit: number };

/**
 * How many reports one person may file per local day (REPORTS_PER_DAY, STAFF_REPORTS_PER_DAY):
 * a resident's share of the ledger, so that one account cannot bury the village's reports.
 * Staff file for households and get the higher limit. A report joined as "me too" is not filed.
 */
export class ReportQuota {
  constructor(private readonly deps: { db: Db; clock: Clock; timeZone: string; perDay: number; staffPerDay: number }) {}

  async allowance(reporter: User): Promise<ReportAllowance> {
    const { db, clock, timeZone } = this.deps;
    const limit = isStaff(reporter.role) ? this.deps.staffPerDay : this.deps.perDay;
    const since = startOfLocalDay(clock.now(), timeZone);
    const filed = await db.report.count({ where: { reporterId: reporter.id, createdAt: { gte: since } } });
    return filed < limit ? { kind: 'allowed' } : { kind: 'refused', limit };
  }
}
