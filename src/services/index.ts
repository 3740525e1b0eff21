import type { Config } from '../config.ts';
import type { Db } from '../db/client.ts';
import { openHotPath, type HotPath } from '../db/hot.ts';
import { systemClock, type Clock } from '../domain/time.ts';
import type { Locale, Texts } from '../i18n/index.ts';
import { Notices } from '../notify/notices.ts';
import { AdminService } from './admin.ts';
import { CatalogService } from './catalog.ts';
import { DigestService } from './digest.ts';
import { DraftService } from './drafts.ts';
import { InviteService } from './invites.ts';
import { JobService } from './jobs.ts';
import { LeaseService } from './lease.ts';
import { ReportService } from './reports.ts';
import { SettingsService } from './settings.ts';
import { UpdateLog } from './updates.ts';
import { UserService } from './users.ts';
import { ExportService } from './export.ts';
import { ReportQuota } from './quota.ts';
import { PrivacyService } from './privacy.ts';
import { RetentionService } from './retention.ts';

/** Every use case of Village Desk, wired over one database and one clock. */
export interface Services {
  db: Db;
  hot: HotPath;
  clock: Clock;
  texts: Texts;
  timeZone: string;
  defaultLocale: Locale;
  notices: Notices;
  users: UserService;
  catalog: CatalogService;
  drafts: DraftService;
  reports: ReportService;
  invites: InviteService;
  admin: AdminService;
  settings: SettingsService;
  updates: UpdateLog;
  jobs: JobService;
  digests: DigestService;
  exports: ExportService;
  /** reports per person per day */
  quota: ReportQuota;
  privacy: PrivacyService;
  retention: RetentionService;
  /** closes both database connections */
  close(): Promise<void>;
  /** the scheduler lease, held under a name for this process (on real time unless a clock is given) */
  lease(holder: string, clock?: Clock): LeaseService;
}

export interface ServiceOptions {
  db: Db;
  /** the hot-path connection; by default opened on config.DATABASE_URL */
  hot?: HotPath;
  clock: Clock;
  texts: Texts;
  config: Pick<Config, 'DATABASE_URL' | 'TIMEZONE' | 'DEFAULT_LOCALE' | 'ADMIN_TELEGRAM_IDS' | 'QUIET_HOURS_START' | 'QUIET_HOURS_END' | 'ESCALATE_AFTER_DAYS' | 'SCHEDULER_LEASE_SECONDS'> &
    Partial<Pick<Config, 'REPORTS_PER_DAY' | 'STAFF_REPORTS_PER_DAY'>> &
    Pick<Config, 'RETAIN_REPORTER_LINK_DAYS' | 'RETAIN_DELIVERED_MESSAGES_DAYS' | 'RETAIN_UPDATE_IDS_DAYS'>;
  /** called when a committed change owes messages (wakes the dispatcher) */
  onOwed?: () => void;
}

export function createServices(o: ServiceOptions): Services {
  const { db, clock, texts, config } = o;
  const hot = o.hot ?? openHotPath(config.DATABASE_URL);
  const onOwed = o.onOwed ?? (() => undefined);
  const timeZone = config.TIMEZONE;
  const defaultLocale = config.DEFAULT_LOCALE;
  const notices = new Notices({ texts, timeZone, defaultLocale });
  const settings = new SettingsService({ db, clock, notices, defaultLocale, onOwed });
  const reports = new ReportService({ db, hot, clock, notices, settings, onOwed });
  const drafts = new DraftService({ db, hot, clock });
  const invites = new InviteService({ db, clock });
  const updates = new UpdateLog({ db, hot });
  const quietHours = { start: config.QUIET_HOURS_START, end: config.QUIET_HOURS_END };
  const catalog = new CatalogService({ db });
  const digests = new DigestService({ db, clock, catalog, notices, settings, timeZone, quietHours, onOwed });
  const retention = new RetentionService({
    db,
    policy: { reporterLinkDays: config.RETAIN_REPORTER_LINK_DAYS, deliveredOutboxDays: config.RETAIN_DELIVERED_MESSAGES_DAYS, updateIdDays: config.RETAIN_UPDATE_IDS_DAYS },
  });
  return {
    db,
    hot,
    clock,
    texts,
    timeZone,
    defaultLocale,
    notices,
    settings,
    reports,
    drafts,
    invites,
    updates,
    digests,
    users: new UserService({ db, hot, clock, adminIds: config.ADMIN_TELEGRAM_IDS, defaultLocale }),
    catalog,
    admin: new AdminService({ db, clock }),
    jobs: new JobService({ db, hot, catalog, notices, settings, reports, drafts, invites, updates, timeZone, quietHours, escalateAfterDays: config.ESCALATE_AFTER_DAYS, onOwed, retention }),
    exports: new ExportService({ db, catalog, texts, timeZone }),
    quota: new ReportQuota({ db, clock, timeZone, perDay: config.REPORTS_PER_DAY ?? 10, staffPerDay: config.STAFF_REPORTS_PER_DAY ?? 200 }),
    privacy: new PrivacyService({ db, clock, texts, timeZone, reports, onOwed }),
    retention,
    // Process liveness is a matter of real time, whatever time the ledger is run at (the jobs
    // CLI runs "as of --at", tests pin the ledger's clock).
    async close() {
      await hot.close();
      await db.$disconnect();
    },
    lease: (holder, leaseClock = systemClock) => new LeaseService({ db, clock: leaseClock, holder, ttlMs: config.SCHEDULER_LEASE_SECONDS * 1000 }),
  };
}
