import cron, { type ScheduledTask } from 'node-cron';
import type { Config } from '../config.ts';
import type { Logger } from '../logger.ts';
import type { Clock } from '../domain/time.ts';
import type { OutboxDispatcher } from '../notify/dispatcher.ts';
import type { LeaseService } from '../services/lease.ts';
import { runJob, type JobName } from './run.ts';
import type { JobService } from '../services/jobs.ts';
import type { DigestService } from '../services/digest.ts';
import { isPostgresUrl } from '../backup/ledgerBackup.ts';
import { backupInChildProcess } from '../backup/child.ts';

export const SCHEDULER_LEASE = 'scheduler';

/**
 * The cron schedules (in TIMEZONE) and the outbox dispatcher, active only in the process that
 * holds the scheduler lease. Every process tries to take the lease every few seconds; the
 * holder renews it, so a second process stays idle until the first one stops or dies.
 */
export class Scheduler {
  private tasks: ScheduledTask[] = [];
  private timer: NodeJS.Timeout | undefined;
  private active = false;
  private stopping = false;

  constructor(
    private readonly deps: {
      config: Config;
      jobs: JobService;
      digests: DigestService;
      dispatcher: OutboxDispatcher;
      lease: LeaseService;
      logger: Logger;
      clock: Clock;
    },
  ) {}

  get isActive(): boolean {
    return this.active;
  }

  async start(): Promise<void> {
    await this.tick();
    // renewed three times per lease: a late renewal or two does not hand the lease over
    this.timer = setInterval(() => void this.tick(), Math.max(500, Math.floor(this.deps.lease.ttlMs / 3)));
    this.timer.unref();
  }

  /** Takes or renews the lease, and starts or stops the schedules to match. */
  async tick(): Promise<void> {
    if (this.stopping) return;
    let holds = false;
    try {
      holds = await this.deps.lease.acquire(SCHEDULER_LEASE);
    } catch (error) {
      this.deps.logger.warn({ err: error }, 'could not renew the scheduler lease');
    }
    if (holds && !this.active) this.activate();
    else if (!holds && this.active) await this.deactivate();
  }

  private activate(): void {
    const { config, logger } = this.deps;
    const schedules: Array<[JobName, string]> = [
      ['reminders', config.REMINDER_CRON],
      ['escalations', config.ESCALATION_CRON],
      ['followups', config.FOLLOWUP_CRON],
      ['digest', config.DIGEST_CRON],
      ['cleanup', config.CLEANUP_CRON],
    ];
    this.tasks = schedules.map(([name, expression]) =>
      cron.schedule(expression, () => this.run(name), { timezone: config.TIMEZONE, name, noOverlap: true }),
    );
    if (isPostgresUrl(config.DATABASE_URL)) logger.info('no scheduled backup: the ledger is on PostgreSQL, back it up with pg_dump (README)');
    else this.tasks.push(cron.schedule(config.BACKUP_CRON, () => this.backup(), { timezone: config.TIMEZONE, name: 'backup', noOverlap: true }));
    this.deps.dispatcher.start();
    this.active = true;
    logger.info({ holder: this.deps.lease.holder }, 'this process runs the scheduler and the outbox');
  }

  private async deactivate(): Promise<void> {
    for (const task of this.tasks) await task.stop();
    this.tasks = [];
    await this.deps.dispatcher.stop();
    this.active = false;
    this.deps.logger.warn('scheduler lease lost: schedules and outbox stopped here');
  }

  /** Runs one job now (errors are logged, never thrown into cron). */
  async run(name: JobName): Promise<void> {
    try {
      const summary = await runJob(name, this.deps.clock.now(), this.deps);
      this.deps.logger.info({ job: name }, summary);
    } catch (error) {
      this.deps.logger.error({ err: error, job: name }, 'scheduled job failed');
    }
  }

  /** The nightly backup (BACKUP_CRON): the same as `npm run backup`, in a child process so the bot keeps answering; one log line. */
  async backup(): Promise<void> {
    const { config, logger, clock } = this.deps;
    try {
      const r = await backupInChildProcess({ databaseUrl: config.DATABASE_URL, dir: config.BACKUP_DIR, keep: config.BACKUP_KEEP, now: clock.now() });
      logger.info({ job: 'backup', file: r.file, bytes: r.bytes, reports: r.tables['Report'], ms: r.ms, removed: r.removed.length }, 'backup written and checked');
    } catch (error) {
      logger.error({ err: error, job: 'backup' }, 'scheduled backup failed');
    }
  }

  async stop(): Promise<void> {
    this.stopping = true;
    if (this.timer) clearInterval(this.timer);
    if (this.active) await this.deactivate();
    await this.deps.lease.release(SCHEDULER_LEASE).catch(() => undefined);
  }
}
