import type { Db } from '../db/client.ts';
import type { Clock } from '../domain/time.ts';
import type { Locale, Texts } from '../i18n/index.ts';
import { Notices } from '../notify/notices.ts';
import { AdminService } from './admin.ts';
import { CatalogService } from './catalog.ts';
import { DraftService } from './drafts.ts';
import { InviteService } from './invites.ts';
import { ReportService } from './reports.ts';
import { SettingsService } from './settings.ts';
import { UpdateLog } from './updates.ts';
import { UserService } from './users.ts';

/** Every use case of Village Desk, wired over one database and one clock. */
export interface Services {
  db: Db;
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
}

export interface ServiceOptions {
  db: Db;
  clock: Clock;
  texts: Texts;
  timeZone: string;
  defaultLocale: Locale;
  adminIds: readonly number[];
  /** called when a committed change owes messages (wakes the dispatcher) */
  onOwed?: () => void;
}

export function createServices(o: ServiceOptions): Services {
  const notices = new Notices({ texts: o.texts, timeZone: o.timeZone, defaultLocale: o.defaultLocale });
  const settings = new SettingsService({ db: o.db, defaultLocale: o.defaultLocale });
  return {
    db: o.db,
    clock: o.clock,
    texts: o.texts,
    timeZone: o.timeZone,
    defaultLocale: o.defaultLocale,
    notices,
    settings,
    users: new UserService({ db: o.db, clock: o.clock, adminIds: o.adminIds }),
    catalog: new CatalogService({ db: o.db }),
    drafts: new DraftService({ db: o.db, clock: o.clock }),
    reports: new ReportService({ db: o.db, clock: o.clock, notices, settings, onOwed: o.onOwed ?? (() => undefined) }),
    invites: new InviteService({ db: o.db, clock: o.clock }),
    admin: new AdminService({ db: o.db, clock: o.clock }),
    updates: new UpdateLog({ db: o.db }),
  };
}
