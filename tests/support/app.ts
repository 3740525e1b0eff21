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
  // The bot keeps to Telegram's budgets (a private chat: 3 at once, then one a second), so a
  // message can wait behind a few others: every wait is four times the stand-in's default.
  const waitUntil = standin.waitUntil.bind(standin);
  standin.waitUntil = (probe, opts = {}) => waitUntil(probe, { ...opts, timeoutMs: (opts.timeoutMs ?? 5000) * 4 });
  const hostile = hostileMode(standin);
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
      const failures = hostile ? await hostileFailures(standin) : [];
      await app.stop();
      await standin.stop();
      fs.rmSync(dir, { recursive: true, force: true });
      if (failures.length > 0) throw new Error(`hostile network mode:\n${failures.join('\n')}`);
    },
  };
  return harness;
}

// ───────────── hostile network mode (the vitest project 'hostile') ─────────────

let hostileRuns = 0;

/**
 * With VILLAGE_DESK_HOSTILE=1 the stand-in enforces Telegram's flood limits, answers 10% of
 * calls 502 and drops some connections; the flows and their assertions stay the same.
 */
function hostileMode(standin: BotApiStandIn): boolean {
  if (process.env.VILLAGE_DESK_HOSTILE !== '1') return false;
  standin.beHostile({ seed: ++hostileRuns }); // each test its own dice, the same on every run
  return true;
}

const internalError = ['ug', 'zh', 'en'].map((lng) => (JSON.parse(fs.readFileSync(`locales/${lng}/errors.json`, 'utf8')) as { internal: string }).internal);

/**
 * What hostile mode requires at the end of every test: no lost answer, no "query is too old",
 * no answer replaced by "something went wrong", no call that ignored a retry_after. Answers
 * still on their way (the test's last step did not wait for them) get a few seconds.
 */
async function hostileFailures(standin: BotApiStandIn): Promise<string[]> {
  const network = standin.hostile!;
  const tooOld = () => standin.callsTo('answerCallbackQuery').filter((c) => /query is too old/.test(c.description ?? ''));
  await standin
    .waitUntil(() => network.lostAnswers().length === 0 && standin.unansweredCallbackQueries().length === 0, { timeoutMs: 2500 })
    .catch(() => undefined);
  // "something went wrong" after Telegram refused something for good (a 400 a test injects) is the right answer
  const refusedBefore = (at: number, chat: unknown) => standin.calls.some((c) => c.at <= at && (c.errorCode === 400 || c.errorCode === 403) && c.params['chat_id'] === chat);
  const wrong = standin.calls.filter((c) => c.ok && internalError.some((s) => String(c.params['text'] ?? '').includes(s)) && !refusedBefore(c.at, c.params['chat_id']));
  const failures = [
    ...network.lostAnswers().map((a) => `lost answer: ${a}`),
    ...standin.unansweredCallbackQueries().map((q) => `callback query never answered: ${q.data} in chat ${q.chatId}`),
    ...tooOld().map((c) => `"query is too old": ${JSON.stringify(c.params)}`),
    ...wrong.map((c) => `"something went wrong" in chat ${String(c.params['chat_id'] ?? '')} (${c.method})`),
    ...network.ignored.map((s) => `ignored retry_after: ${s}`),
  ];
  return failures;
}
