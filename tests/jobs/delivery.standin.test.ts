import os from 'node:os';
/**
 * The reminder round of the jobs CLI (`npm run jobs -- reminders --at …`) against the Bot API
 * stand-in: 200 owners with overdue reports, Telegram's flood limits on, injected 502s, and a
 * SIGKILL in the middle of a round. Every owner gets their reminder, within the limits, and a
 * rerun for the same moment owes nothing new.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { openDatabase, type Db } from '../../src/db/client.ts';
import { applyMigrations } from '../../src/db/migrate.ts';
import { jobsCli } from '../../src/jobs/cli.ts';
import { SCHEDULER_LEASE } from '../../src/jobs/scheduler.ts';
import { BotApiStandIn } from '../../src/emulator/server.ts';
import { tempDatabaseUrl } from '../support/app.ts';
import { reportNumbersIn, seedOverdueLedger, type SeededLedger } from '../support/ledger.ts';

/** Monday 10:00 in Urumqi: outside the quiet hours, so the reminders are due at once. */
const AT = '2026-11-09T10:00:00+06:00';
const OWNERS = 200;
/** The dispatcher's default number of sends in flight. */
const CONCURRENCY = 8;
const ROOT = fileURLToPath(new URL('../..', import.meta.url));

let standin: BotApiStandIn;
let db: Db;
let dir: string;
let ledger: SeededLedger;
let env: NodeJS.ProcessEnv;

beforeEach(async () => {
  const temp = tempDatabaseUrl();
  dir = temp.dir;
  applyMigrations(temp.url);
  db = await openDatabase(temp.url);
  ledger = await seedOverdueLedger(db, new Date(AT), { owners: OWNERS });
  standin = await BotApiStandIn.start();
  for (const o of ledger.owners) standin.user({ id: o.telegramId, firstName: o.firstName, languageCode: o.locale });
  env = {
    BOT_TOKEN: standin.token,
    TELEGRAM_API_ROOT: standin.apiRoot,
    DATABASE_URL: temp.url,
    TIMEZONE: 'Asia/Urumqi',
    LOG_LEVEL: 'silent',
  };
});

afterEach(async () => {
  vi.restoreAllMocks();
  await standin.stop();
  await db.$disconnect();
  fs.rmSync(dir, { recursive: true, force: true });
});

/** Runs the CLI in this process; returns its exit code and the summary lines it printed. */
async function runJobsCli(): Promise<{ code: number; lines: string[] }> {
  const lines: string[] = [];
  const spy = vi.spyOn(console, 'log').mockImplementation((...args: unknown[]) => {
    lines.push(args.map(String).join(' '));
  });
  try {
    return { code: await jobsCli(['reminders', '--at', AT], env), lines };
  } finally {
    spy.mockRestore();
  }
}

/** Each owner's chat holds `atLeast` (exactly, unless `allowDuplicates`) reminders, each listing exactly their overdue reports. */
function expectEveryOwnerReminded(opts: { allowDuplicates?: boolean } = {}): { duplicates: number } {
  let duplicates = 0;
  for (const o of ledger.owners) {
    const texts = standin.messages(o.telegramId).map((m) => m.text);
    if (opts.allowDuplicates) expect(texts.length, `owner ${o.telegramId}`).toBeGreaterThanOrEqual(1);
    else expect(texts, `owner ${o.telegramId}`).toHaveLength(1);
    for (const text of texts) {
      expect(text, `owner ${o.telegramId}`).toContain(o.locale === 'ug' ? 'مۆھلىتى ئۆتكەن' : '已超期');
      expect(reportNumbersIn(text), `owner ${o.telegramId}`).toEqual(o.numbers);
    }
    duplicates += Math.max(0, texts.length - 1);
  }
  // nothing went anywhere else
  expect(standin.stats().delivered).toBe(OWNERS + duplicates);
  return { duplicates };
}

async function expectOutboxAllSent(): Promise<void> {
  const byStatus = await db.outboxMessage.groupBy({ by: ['status'], _count: { _all: true } });
  expect(byStatus.map((g) => [g.status, g._count._all])).toEqual([['sent', OWNERS]]);
}

/** The stand-in stayed within Telegram's limits: no delivery over them, at most one message per chat. */
function expectWithinLimits(): { globalPerSecond: number } {
  expect(standin.limitViolations()).toEqual([]);
  const rates = standin.maxObservedRate();
  expect(rates.globalPerSecond).toBeLessThanOrEqual(30);
  return { globalPerSecond: rates.globalPerSecond };
}

interface CliChild {
  child: ChildProcess;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  output(): string;
}

/** `node --import tsx src/jobs/cli.ts reminders --at AT` as a separate process. */
function spawnJobsCli(): CliChild {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/jobs/cli.ts', 'reminders', '--at', AT], {
    cwd: ROOT,
    env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout?.on('data', (chunk: Buffer) => (out += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (out += chunk.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code, signal) => resolve({ code, signal }));
  });
  return { child, exited, output: () => out };
}

/** Resolves when `probe` holds (re-checked after every stand-in API call); rejects at the deadline or if the child exits first. */
async function waitForDeliveries(cli: CliChild, probe: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const early = cli.exited.then(({ code, signal }) => {
    throw new Error(`the CLI exited (code ${code}, signal ${signal}) before ${what}:\n${cli.output()}`);
  });
  early.catch(() => undefined);
  await Promise.race([standin.waitUntil(() => probe(), { timeoutMs, description: () => `${what}: not within ${timeoutMs} ms (delivered ${standin.stats().delivered})\n${cli.output()}` }), early]);
}

describe('jobs CLI reminder round against the Bot API stand-in', () => {
  it('should remind 200 owners exactly once within the flood limits, and owe nothing more when run again', async () => {
    standin.configure({ floodLimits: true });
    const started = Date.now();
    const first = await runJobsCli();
    const ms = Date.now() - started;
    expect(first.code).toBe(0);
    expect(first.lines).toEqual([
      `reminders: ${OWNERS} owners reminded of ${ledger.reports} overdue reports`,
      `delivered: ${OWNERS} sent, 0 undeliverable, 0 waiting (quiet hours or retries)`,
    ]);
    expectEveryOwnerReminded();
    const { globalPerSecond } = expectWithinLimits();
    await expectOutboxAllSent();
    const s = standin.stats();
    console.info(`[jobs a] ${OWNERS} reminders in ${ms} ms, max ${globalPerSecond}/s, 429s ${s.tooManyRequests}`);

    // the same moment again: idempotent
    const again = await runJobsCli();
    expect(again.code).toBe(0);
    expect(again.lines).toEqual(['reminders: 0 owners reminded of 0 overdue reports', 'delivered: 0 sent, 0 undeliverable, 0 waiting (quiet hours or retries)']);
    expectEveryOwnerReminded();
    await expectOutboxAllSent();
    expect((await db.report.findMany({ select: { reminderCount: true } })).every((r) => r.reminderCount === 1)).toBe(true);
  }, 120_000);

  it('should still remind every owner exactly once when 10% of sends answer 502', async () => {
    standin.configure({ floodLimits: true, failureRate: 0.1, seed: 7 });
    const started = Date.now();
    const { code, lines } = await runJobsCli();
    const ms = Date.now() - started;
    expect(code).toBe(0);
    expect(lines.at(-1)).toBe(`delivered: ${OWNERS} sent, 0 undeliverable, 0 waiting (quiet hours or retries)`);
    expectEveryOwnerReminded();
    const { globalPerSecond } = expectWithinLimits();
    await expectOutboxAllSent();
    const s = standin.stats();
    expect(s.injectedFailures).toBeGreaterThan(5);
    const retried = await db.outboxMessage.count({ where: { attempts: { gt: 1 } } });
    expect(retried).toBeGreaterThan(0);
    console.info(`[jobs b] ${OWNERS} reminders in ${ms} ms, ${s.injectedFailures} injected 502s, 429s ${s.tooManyRequests}, max ${globalPerSecond}/s, ${retried} rows needed a retry`);
  }, 120_000);

  it('should deliver every reminder after the CLI is killed mid-round and run again', async () => {
    standin.configure({ floodLimits: true });
    const started = Date.now();
    const first = spawnJobsCli();
    await waitForDeliveries(first, () => standin.stats().delivered >= 20, 60_000, '20 reminders delivered');
    first.child.kill('SIGKILL');
    const killed = await first.exited;
    expect(killed.signal).toBe('SIGKILL');
    const atKill = standin.stats().delivered;
    expect(atKill).toBeGreaterThanOrEqual(20);
    expect(atKill).toBeLessThan(OWNERS);
    const pendingAtKill = await db.outboxMessage.count({ where: { status: 'pending' } });
    expect(pendingAtKill).toBeGreaterThan(0);

    // The dead process still holds the scheduler lease; the next run sees that its holder is
    // gone and takes the lease over at once (instead of waiting out the 30 s).
    const lease = await db.lease.findUnique({ where: { name: SCHEDULER_LEASE } });
    expect(lease?.holder).toBe(`jobs-cli-${os.hostname()}-${first.child.pid}`);

    const second = spawnJobsCli();
    const done = await second.exited;
    const ms = Date.now() - started;
    expect(done, second.output()).toEqual({ code: 0, signal: null });
    expect(second.output()).toContain('reminders: 0 owners reminded of 0 overdue reports');
    expect(second.output()).toMatch(/delivered: \d+ sent, 0 undeliverable, 0 waiting/);

    const { duplicates } = expectEveryOwnerReminded({ allowDuplicates: true });
    expect(duplicates).toBeLessThanOrEqual(CONCURRENCY);
    await expectOutboxAllSent();
    const { globalPerSecond } = expectWithinLimits();
    console.info(
      `[jobs c] killed after ${atKill} deliveries (${pendingAtKill} rows pending), rerun finished after ${ms} ms in all; ${duplicates} duplicate reminders, max ${globalPerSecond}/s, 429s ${standin.stats().tooManyRequests}`,
    );
  }, 120_000);
});
