import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { BotApiStandIn } from '../../src/emulator/server.ts';
import { startApp, type App } from '../../src/main.ts';
import { TestClock } from './clock.ts';
import { pino } from 'pino';
import { createDatabase } from './postgres.ts';
import { postgresServerUrl, testEngine } from './engine.ts';

export const ADMIN_ID = 900_001;

/**
 * A fresh database: a file in a temporary folder, or, in the vitest project 'postgres', a new
 * database on the throwaway PostgreSQL server (tests/support/postgres.ts).
 */
export function tempDatabaseUrl(): { url: string; dir: string } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'village-desk-'));
  if (testEngine() === 'postgresql') return { url: createDatabase(postgresServerUrl()), dir };
  return { url: `file:${path.join(dir, 'ledger.db')}`, dir };
}

export interface Harness {
  standin: BotApiStandIn;
  app: App;
  clock: TestClock;
  env: NodeJS.ProcessEnv;
  /** stops the bot (not the stand-in) and starts it again on the same database: a restart */
  restart(): Promise<void>;
  stop(): Promise<void>;
}

/** The real bot, wired by main's startApp, polling a local Bot API stand-in. */
export async function startHarness(options: { clock?: TestClock; env?: NodeJS.ProcessEnv } = {}): Promise<Harness> {
  const standin = await BotApiStandIn.start({ botUsername: 'village_desk_bot' });
  const { url, dir } = tempDatabaseUrl();
  const clock = options.clock ?? new TestClock('2026-11-02T04:00:00Z', { flowing: true });
  const env: NodeJS.ProcessEnv = {
    BOT_TOKEN: standin.token,
    TELEGRAM_API_ROOT: standin.apiRoot,
    DATABASE_URL: url,
    TIMEZONE: 'Asia/Urumqi',
    DEFAULT_LOCALE: 'ug',
    ADMIN_TELEGRAM_IDS: String(ADMIN_ID),
    LOG_LEVEL: 'silent',
    ...options.env,
  };
  const logger = pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' });
  let app = await startApp({ env, clock, logger });
  const harness: Harness = {
    standin,
    clock,
    env,
    get app() {
      return app;
    },
    async restart() {
      await app.stop();
      app = await startApp({ env, clock, logger });
    },
    async stop() {
      await app.stop();
      await standin.stop();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
  return harness;
}
