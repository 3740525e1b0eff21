/**
 * `npm run jobs -- <reminders|escalations|followups|digest|cleanup|all> [--at <ISO 8601 time>]`
 *
 * Runs the same job code as the scheduler once, as of the given time (default now), delivers
 * what it put in the outbox, prints a one-line summary per job and exits. For operators
 * catching up after downtime, and for tests. When a running bot holds the scheduler lease,
 * the messages are left to its dispatcher (so nothing is sent twice).
 */
import fs from 'node:fs';
import { Telegraf } from 'telegraf';
import { ConfigError, loadConfig } from '../config.ts';
import { createLogger } from '../logger.ts';
import { applyMigrations } from '../db/migrate.ts';
import { openDatabase } from '../db/client.ts';
import { Texts } from '../i18n/index.ts';
import { createServices } from '../services/index.ts';
import { OutboxDispatcher } from '../notify/dispatcher.ts';
import { isJobName, JOB_NAMES, runJob, type JobName } from './run.ts';
import { SCHEDULER_LEASE } from './scheduler.ts';
import type { Clock } from '../domain/time.ts';

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
  applyMigrations(config.DATABASE_URL);
  const db = await openDatabase(config.DATABASE_URL);
  // the job runs "as of --at"; delivery happens now
  const realStart = Date.now();
  const clock: Clock = { now: () => new Date(at.getTime() + (Date.now() - realStart)) };
  const services = createServices({ db, clock, texts: new Texts(), config });
  try {
    await services.catalog.seedDefaults(clock.now());
    for (const name of names) console.log(await runJob(name, at, services));
    const lease = services.lease(`jobs-cli-${process.pid}`);
    if (await lease.acquire(SCHEDULER_LEASE)) {
      const bot = new Telegraf(config.BOT_TOKEN, { telegram: { apiRoot: config.TELEGRAM_API_ROOT } });
      const dispatcher = new OutboxDispatcher({ db, api: bot.telegram, clock, logger });
      const result = await dispatcher.drain();
      await lease.release(SCHEDULER_LEASE);
      console.log(`delivered: ${result.sent} sent, ${result.dead} undeliverable, ${result.pending} waiting (quiet hours or retries)`);
    } else {
      console.log('delivered: left to the running bot, which holds the scheduler lease');
    }
    return 0;
  } finally {
    await db.$disconnect();
  }
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
