/**
 * `npm run demo [-- --port 8080]`: Village Desk without Telegram. Starts the Bot API emulator
 * with its web chat, a demo ledger under ./data/demo (never the production database), and the
 * real bot as `npm start` runs it, pointed at the emulator. Ctrl+C stops all of it.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { BotApiStandIn } from '../emulator/server.ts';
import { WebChat, type WebChatPerson } from '../emulator/web/webChat.ts';
import { DAY_MS, zonedParts, zonedTime } from '../domain/time.ts';
import { BotProcess } from './botProcess.ts';
import { DEMO_TOKEN, GROUP_SPEAKER, PAGE_PEOPLE } from './people.ts';
import { DEMO_SEED_VERSION, seedDemo } from './seed.ts';

/** The project's root, whether this runs from src/ (tsx, tests) or from dist/. */
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const TIMEZONE = 'Asia/Urumqi';
/** Jobs "as of a later day" run at this local time: after the day's reminders, outside quiet hours. */
const JOBS_TIME = { hour: 11, minute: 5 };

export interface DemoOptions {
  /** port on 127.0.0.1; 0 picks a free one (tests) */
  port: number;
  /** folder of the demo's database (default ./data/demo) */
  dataDir?: string;
  /** where the bot's and the demo's log lines go (default: the terminal) */
  log?: (line: string) => void;
}

export interface Demo {
  url: string;
  emulator: BotApiStandIn;
  stop(): Promise<void>;
}

/** Starts the emulator, the page, the seeded ledger and the bot; resolves when the bot polls. */
export async function startDemo(options: DemoOptions): Promise<Demo> {
  const log = options.log ?? ((line: string) => console.log(line));
  const dataDir = options.dataDir ?? path.join(ROOT, 'data', 'demo');
  const database = path.join(dataDir, 'village-desk.db');
  let web: WebChat | undefined;
  const emulator = await BotApiStandIn.start({
    token: DEMO_TOKEN,
    port: options.port,
    botUsername: 'village_desk_demo_bot',
    botFirstName: 'Village Desk',
    routes: (req, res, url) => (web ? web.handle(req, res, url) : Promise.resolve(false)),
  });
  const users = new Map(
    PAGE_PEOPLE.filter((p) => p.role !== 'group').map((p) => [p.key, emulator.user({ id: p.id, firstName: p.name, languageCode: p.languageCode })]),
  );
  const groupPerson = PAGE_PEOPLE.find((p) => p.role === 'group')!;
  const group = emulator.group({ id: groupPerson.id, title: groupPerson.name, type: 'supergroup', botStatus: 'administrator' });
  const speaker = users.get(GROUP_SPEAKER)!;
  group.setMember(speaker, 'member');
  const people: WebChatPerson[] = PAGE_PEOPLE.map((p) => ({
    key: p.key,
    name: p.name,
    role: p.role,
    language: p.languageCode === 'ug' ? 'ug' : 'zh',
    user: p.role === 'group' ? speaker : users.get(p.key)!,
    ...(p.role === 'group' ? { group } : {}),
  }));

  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    BOT_TOKEN: DEMO_TOKEN,
    TELEGRAM_API_ROOT: emulator.apiRoot,
    DATABASE_URL: `file:${database}`,
    TIMEZONE,
    ADMIN_TELEGRAM_IDS: String(PAGE_PEOPLE.find((p) => p.role === 'admin')!.id),
    LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn',
  };
  const bot = new BotProcess({ root: ROOT, env, log: (line) => log(`[bot] ${line}`) });

  /** (Re)starts the bot and waits until it polls the emulator. */
  const startBot = async (): Promise<void> => {
    const since = Date.now();
    bot.start();
    await emulator.waitUntil(() => emulator.callsTo('getUpdates').some((c) => c.at >= since), {
      timeoutMs: 30_000,
      description: 'the bot did not start polling within 30 s (see the [bot] lines above)',
    });
  };
  const freshLedger = async (): Promise<void> => {
    await useSeededLedger(dataDir, database);
  };

  web = new WebChat(emulator, people, {
    async runJobs(when) {
      const at = jobsTime(when);
      await bot.stop(); // the jobs run with the scheduler lease, as they would on a server
      try {
        const lines = await bot.runJobs(at);
        return [`${at.toISOString()}`, ...lines];
      } finally {
        await startBot();
      }
    },
    async reset() {
      await bot.stop();
      emulator.forgetHistory();
      await freshLedger();
      await startBot();
    },
  });

  try {
    await freshLedger();
    await startBot();
  } catch (error) {
    await bot.stop();
    await emulator.stop();
    throw error;
  }
  return {
    url: emulator.apiRoot,
    emulator,
    async stop() {
      await bot.stop();
      await emulator.stop();
    },
  };
}

/** The moment the jobs run as of: N days on (or the given date) at JOBS_TIME, local time. */
function jobsTime(when: { days: number } | { date: string }): Date {
  let y: number, m: number, d: number;
  if ('date' in when) [y, m, d] = when.date.split('-').map(Number) as [number, number, number];
  else ({ year: y, month: m, day: d } = zonedParts(new Date(Date.now() + when.days * DAY_MS), TIMEZONE));
  return zonedTime(y, m, d, JOBS_TIME.hour, JOBS_TIME.minute, TIMEZONE);
}

/**
 * Puts a freshly seeded ledger at `database`. Seeding takes seconds, so the seeded ledger of
 * the day is kept as a template next to it and copied (a new day, seed version or migration seeds again).
 */
async function useSeededLedger(dataDir: string, database: string): Promise<void> {
  fs.mkdirSync(dataDir, { recursive: true });
  const migrations = fs.readdirSync(path.join(ROOT, 'prisma', 'migrations')).filter((n) => /^\d/.test(n)).sort();
  const day = new Date().toISOString().slice(0, 10);
  const template = path.join(dataDir, `seeded-${day}-v${DEMO_SEED_VERSION}-${migrations.length}-${migrations.at(-1) ?? 'none'}.db`);
  if (!fs.existsSync(template)) {
    for (const old of fs.readdirSync(dataDir).filter((n) => n.startsWith('seeded-'))) fs.rmSync(path.join(dataDir, old), { force: true });
    const building = `${template}.building`;
    for (const suffix of ['', '-wal', '-shm']) fs.rmSync(building + suffix, { force: true });
    await seedDemo(`file:${building}`, new Date());
    fs.renameSync(building, template);
  }
  for (const suffix of ['', '-wal', '-shm', '-journal']) fs.rmSync(database + suffix, { force: true });
  fs.copyFileSync(template, database);
}

function parsePort(argv: string[]): number {
  const i = argv.findIndex((a) => a === '--port' || a.startsWith('--port='));
  if (i < 0) return 8080;
  const raw = argv[i]!.includes('=') ? argv[i]!.split('=')[1] : argv[i + 1];
  const port = Number(raw);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    console.error(`--port must be a port number (0 to 65535), got "${raw ?? ''}"`);
    process.exit(2);
  }
  return port;
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  if (argv.includes('--help') || argv.includes('-h')) {
    console.log('usage: npm run demo [-- --port 8080]\nVillage Desk with a local Telegram stand-in and a web chat; no token, no internet.');
    return;
  }
  const started = Date.now();
  let demo: Demo;
  try {
    demo = await startDemo({ port: parsePort(argv) });
  } catch (error) {
    const e = error as NodeJS.ErrnoException;
    console.error(e.code === 'EADDRINUSE' ? `port ${parsePort(argv)} is in use: choose another with npm run demo -- --port 8081` : `the demo could not start: ${e.message}`);
    process.exit(1);
  }
  console.log(`\nVillage Desk demo is running (${((Date.now() - started) / 1000).toFixed(1)} s): open ${demo.url}/ in a browser.`);
  console.log('Act as a villager, a cadre, a leader, an administrator or the leaders\' group. Press Ctrl+C to stop.\n');
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    console.log(`\n${signal}: stopping the bot and the emulator…`);
    demo.stop().then(
      () => {
        console.log('stopped.');
        process.exit(0);
      },
      (error: unknown) => {
        console.error(error);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => stop('Ctrl+C'));
  process.on('SIGTERM', () => stop('SIGTERM'));
}

if (import.meta.url === `file://${process.argv[1]}`) void main();
