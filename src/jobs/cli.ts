/**
 * `npm run jobs -- <reminders|escalations|followups|digest|cleanup|all> [--at <ISO 8601 time>]`
 *
 * Runs the same job code as the scheduler once, as of the given time (default now), delivers
 * what it put in the outbox, prints a one-line summary per job and exits. For operators
 * catching up after downtime, and for tests. When a running bot holds the scheduler lease,
 * the messages are left to its dispatcher (so nothing is sent twice).
 */
import fs from 'node:fs';
import os from 'node:os';
import { Telegraf } from 'telegraf';
import { ConfigError, loadConfig } from '../config.ts';
import { createLogger } from '../logger.ts';
import { migrateDatabase } from '../db/migrate.ts';
import { openDatabase } from '../db/client.ts';
import { Texts } from '../i18n/index.ts';
import { createServices } from '../services/index.ts';
import { OutboxDispatcher } from '../notify/dispatcher.ts';
import { isJobName, JOB_NAMES, runJob, type JobName } from './run.ts';
import { SCHEDULER_LEASE } from './scheduler.ts';
import type { Clock } from '../domain/time.ts';
import type { LeaseService } from '../services/lease.ts';

const USAGE = `usage: npm run jobs -- <${JOB_NAMES.join('|')}|all> [--at <ISO 8601 time>]`;

export async function jobsCli(argv: string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const [which, ...rest] = argv;
  let at = new Date();
  for (let i = 0; i < rest.length; i += 1) {
    if (rest[i] === '--at' && rest[i + 1]) {
      at = new Date(rest[i + 1]!);
      i += 1;
    } else {
      console.error(`unknown argument "${rest[i]}"\n${USAGE}`);
      return 2;
    }
  }
  if (Number.isNaN(at.getTime())) {
    console.error(`--at must be an ISO 8601 time such as 2026-11-30T10:00:00+06:00\n${USAGE}`);
    return 2;
  }
  const names: JobName[] | null = which === 'all' ? ['cleanup', 'reminders', 'escalations', 'followups', 'digest'] : which && isJobName(which) ? [which] : null;
  if (!names) {
    console.error(USAGE);
    return 2;
  }
  const config = loadConfig(env);
  const logger = createLogger(env.LOG_LEVEL ?? 'warn');
  await migrateDatabase(config.DATABASE_URL);
  const db = await openDatabase(config.DATABASE_URL);
  // the job runs "as of --at"; delivery happens now
  const realStart = Date.now();
  const clock: Clock = { now: () => new Date(at.getTime() + (Date.now() - realStart)) };
  const services = createServices({ db, clock, texts: new Texts(), config });
  try {
    await services.catalog.seedDefaults(clock.now());
    for (const name of names) console.log(await runJob(name, at, services));
    const lease = services.lease(cliHolder(process.pid));
    if ((await lease.acquire(SCHEDULER_LEASE)) || (await takeOverFromDeadCli(lease))) {
      // renewed while the outbox drains (retries can take minutes), given back however it ends
      const renew = setInterval(() => void lease.acquire(SCHEDULER_LEASE).catch(() => undefined), 10_000);
      try {
        const bot = new Telegraf(config.BOT_TOKEN, { telegram: { apiRoot: config.TELEGRAM_API_ROOT } });
        const dispatcher = new OutboxDispatcher({ db, api: bot.telegram, clock, logger });
        const result = await dispatcher.drain();
        console.log(`delivered: ${result.sent} sent, ${result.dead} undeliverable, ${result.pending} waiting (quiet hours or retries)`);
      } finally {
        clearInterval(renew);
        await lease.release(SCHEDULER_LEASE);
      }
    } else {
      console.log('delivered: left to the running bot, which holds the scheduler lease');
    }
    return 0;
  } finally {
    await services.close();
  }
}

/** The lease holder name of a jobs CLI process on this host. */
function cliHolder(pid: number): string {
  return `jobs-cli-${os.hostname()}-${pid}`;
}

/**
 * A jobs CLI that was killed keeps the lease until it runs out; a later run on the same host
 * takes it over at once when that process is gone.
 */
async function takeOverFromDeadCli(lease: LeaseService): Promise<boolean> {
  const holder = await lease.currentHolder(SCHEDULER_LEASE);
  const prefix = `jobs-cli-${os.hostname()}-`;
  if (!holder?.startsWith(prefix)) return false;
  const pid = Number(holder.slice(prefix.length));
  try {
    process.kill(pid, 0);
    return false; // still running
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ESRCH') return false;
  }
  return lease.takeOver(SCHEDULER_LEASE, holder);
}

if (import.meta.url === `file://${process.argv[1]}`) {
  if (fs.existsSync('.env')) process.loadEnvFile('.env');
  jobsCli(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (error) => {
      console.error(error instanceof ConfigError ? error.message : error);
      process.exit(error instanceof ConfigError ? 2 : 1);
    },
  );
}
