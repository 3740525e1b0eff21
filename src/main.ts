import fs from 'node:fs';
import http from 'node:http';
import type { Telegraf } from 'telegraf';
import { ConfigError, loadConfig, type Config } from './config.ts';
import { createLogger, type Logger } from './logger.ts';
import { migrateDatabase } from './db/migrate.ts';
import { openDatabase, type Db } from './db/client.ts';
import { readiness } from './db/health.ts';
import { Texts } from './i18n/index.ts';
import { systemClock, type Clock } from './domain/time.ts';
import { createServices, type Services } from './services/index.ts';
import { createBot } from './bot/createBot.ts';
import type { BotContext } from './bot/context.ts';
import { registerCommandMenus } from './bot/commands.ts';
import { OutboxDispatcher } from './notify/dispatcher.ts';
import { SendLimiter } from './notify/limiter.ts';
import { TelegramGate } from './notify/telegramGate.ts';
import { outboxHandoff } from './notify/handoff.ts';
import { ungated } from './bot/sendPath.ts';
import { Scheduler } from './jobs/scheduler.ts';
import { digestFeature } from './bot/features/digest.ts';
import { exportFeature } from './bot/features/export.ts';
import { privacyFeature } from './bot/features/privacy.ts';
import os from 'node:os';

/** A running Village Desk: everything main() wired, and how to stop it. */
export interface App {
  config: Config;
  services: Services;
  bot: Telegraf<BotContext>;
  dispatcher: OutboxDispatcher;
  scheduler: Scheduler;
  stop(): Promise<void>;
}

/**
 * Wires config -> logger -> database -> services -> bot -> dispatcher -> scheduler and starts
 * them. Tests call it with their own environment and clock.
 */
export async function startApp(options: { env?: NodeJS.ProcessEnv; clock?: Clock; logger?: Logger } = {}): Promise<App> {
  const config = loadConfig(options.env);
  const logger = options.logger ?? createLogger(config.LOG_LEVEL);
  const clock = options.clock ?? systemClock;
  const applied = await migrateDatabase(config.DATABASE_URL);
  if (applied.length > 0) logger.info({ applied }, 'database migrations applied');
  const db = await openDatabase(config.DATABASE_URL);
  const texts = new Texts();
  let wake = () => {};
  const services = createServices({ db, clock, texts, config, onOwed: () => wake() });
  await services.catalog.seedDefaults(clock.now());
  // one limiter for direct answers (the gate) and the outbox (the dispatcher)
  // (a burst of 50 ms worth, at least 3: at high budgets a smaller one is a timer tick's worth)
  const perSecond = config.TELEGRAM_MESSAGES_PER_SECOND;
  const limiter = new SendLimiter({ globalPerSecond: perSecond, globalBurst: Math.max(3, Math.round(perSecond / 20)) });
  const outbox = outboxHandoff(db, clock, () => wake());
  const gate = new TelegramGate({ limiter, clock, logger, handoff: outbox.handoff });
  const bot = createBot({
    token: config.BOT_TOKEN,
    apiRoot: config.TELEGRAM_API_ROOT,
    services,
    logger,
    extraFeatures: [digestFeature, exportFeature, privacyFeature({ reporterLinkDays: config.RETAIN_REPORTER_LINK_DAYS, deliveredMessagesDays: config.RETAIN_DELIVERED_MESSAGES_DAYS })],
    floodLimits: { perMinute: config.UPDATES_PER_MINUTE, staffPerMinute: config.STAFF_UPDATES_PER_MINUTE, pauseMs: config.FLOOD_PAUSE_SECONDS * 1000 },
    sendPath: { gate, outbox },
  });
  const dispatcher = new OutboxDispatcher({
    db,
    api: ungated(bot.telegram),
    limiter,
    clock,
    logger,
    onGroupUnreachable: async (chatId) => {
      await services.settings.leadersGroupLost(chatId);
    },
  });
  wake = () => dispatcher.wake();
  const scheduler = new Scheduler({
    config,
    jobs: services.jobs,
    digests: services.digests,
    dispatcher,
    lease: services.lease(`${os.hostname()}:${process.pid}:${Math.random().toString(36).slice(2, 8)}`),
    logger,
    clock,
  });

  // start-up calls go through the gate too (bot.telegram is gated): 5xx and network failures are retried
  bot.botInfo = await bot.telegram.getMe().catch((error: unknown) => {
    throw new StartupError('could not reach Telegram (getMe)', error);
  });
  await registerCommandMenus(bot.telegram, texts).catch((error) => logger.warn({ err: error }, 'could not register the command menus'));

  let server: http.Server | undefined;
  if (config.BOT_MODE === 'webhook' && config.WEBHOOK_URL && config.WEBHOOK_SECRET) {
    const url = new URL(config.WEBHOOK_URL);
    await bot.telegram
      .setWebhook(url.href, { secret_token: config.WEBHOOK_SECRET, allowed_updates: ['message', 'callback_query', 'my_chat_member'] })
      .catch((error: unknown) => {
        throw new StartupError('could not set the webhook', error);
      });
    // telegraf's webhook callback refuses requests whose X-Telegram-Bot-Api-Secret-Token differs (403)
    server = http.createServer(withHealth(bot.webhookCallback(url.pathname, { secretToken: config.WEBHOOK_SECRET }), services.db));
    await new Promise<void>((resolve) => server!.listen(config.PORT, resolve));
    logger.info({ port: config.PORT, path: url.pathname }, 'webhook server listening');
  } else {
    // launch() deletes the webhook too, but a failure there would only be logged: fail the start instead
    await bot.telegram.deleteWebhook().catch((error: unknown) => {
      throw new StartupError('could not switch to polling (deleteWebhook)', error);
    });
    void bot.launch({ allowedUpdates: ['message', 'callback_query', 'my_chat_member'] }).catch((error) => {
      logger.fatal({ err: error }, 'polling stopped');
      process.exitCode = 1;
    });
    logger.info({ bot: bot.botInfo.username }, 'polling for updates');
  }
  // the scheduler starts the dispatcher when this process holds the lease
  await scheduler.start();

  return {
    config,
    services,
    bot,
    dispatcher,
    scheduler,
    async stop() {
      await scheduler.stop();
      if (config.BOT_MODE === 'polling') {
        try {
          bot.stop('shutdown');
        } catch {
          // not running
        }
      }
      if (server) await new Promise<void>((resolve) => server!.close(() => resolve()));
      await services.close();
    },
  };
}

/**
 * /healthz (the process answers) and /readyz (its database answers and is fully migrated) next
 * to the webhook, for a load balancer or an orchestrator; everything else goes to the webhook.
 */
function withHealth(webhook: http.RequestListener, db: Db): http.RequestListener {
  return (req, res) => {
    const path = req.url?.split('?')[0];
    if (req.method !== 'GET' || (path !== '/healthz' && path !== '/readyz')) return webhook(req, res);
    const answer = (status: number, body: object) => res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    if (path === '/healthz') return answer(200, { ok: true });
    void readiness(db).then((r) => answer(r.ready ? 200 : 503, r));
  };
}

/** A start that failed for good (after the retries): main() prints one line and exits 1. */
export class StartupError extends Error {
  override readonly name = 'StartupError';
  readonly code = 'startup_failed';
  constructor(what: string, override readonly cause: unknown) {
    super(`${what}: ${cause instanceof Error ? cause.message : String(cause)}`);
  }
}

async function main(): Promise<void> {
  // a .env file next to package.json, if there is one (the environment wins)
  if (fs.existsSync('.env')) process.loadEnvFile('.env');
  let app: App;
  try {
    app = await startApp();
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(error.message);
      process.exit(2);
    }
    // one clear line and a failure status, so that a supervisor restarts the bot
    console.error(`Village Desk could not start: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  }
  const shutdown = (signal: string) => {
    console.log(`received ${signal}, stopping`);
    app.stop().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once('SIGINT', () => shutdown('SIGINT'));
  process.once('SIGTERM', () => shutdown('SIGTERM'));
}

if (import.meta.url === `file://${process.argv[1]}`) {
  process.on('unhandledRejection', (reason) => console.error('unhandled rejection', reason));
  void main();
}
