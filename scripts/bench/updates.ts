/**
 * Phase 1: inbound updates through the whole stack. The stand-in (tests/standin) and the
 * scripted users live in this process; the bot runs in a forked child (scripts/bench/child.ts).
 *
 * Burst: N updates from U users are queued at once (users interleaved, so each getUpdates
 * batch of 100 holds 100 different users) and timed from the first push to the bot's last
 * answer (the stand-in's `sentAt`). Latency per update = its push time to its answer's sentAt
 * (the k-th answer in a chat belongs to the k-th update: every step of the mix is answered
 * with exactly one message, and the bot serialises per user). In a burst the latency is
 * mostly queueing; a paced run (fixed rate, open loop) shows the latency under normal load.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { BotApiStandIn, type ScriptedUser } from '../../src/emulator/server.ts';
import { Texts } from '../../src/i18n/index.ts';
import { plainText } from '../../src/i18n/text.ts';
import type { ChildInit, ChildMemory } from './child.ts';
import { percentile, round, sleep } from './util.ts';

const CHILD = path.join(path.dirname(fileURLToPath(import.meta.url)), 'child.mjs');

/** What each scripted user does, in a loop: the commands a villager uses most, and plain text. */
const MIX = ['/start', '/my', '/help', 'سالام، سۇ يەنە كەلمىدى', '/my', '你好，请问怎么报告问题', '/help', '/my', 'hello?', '/my'];

/** The bot in a child process, with a small IPC protocol. */
export class BotProcess {
  private constructor(
    private readonly child: ChildProcess,
    readonly exited: Promise<number | null>,
  ) {}

  static async start(init: ChildInit, timeoutMs = 60_000): Promise<BotProcess> {
    const child = fork(CHILD, [], {
      // BENCH_CHILD_NODE_ARGS adds node flags to the bot process only, e.g. "--cpu-prof --cpu-prof-dir=tmp/prof"
      // plain node over dist/, as `npm start` runs the bot (no TypeScript loader in that process)
      execArgv: ['--expose-gc', ...(process.env.BENCH_CHILD_NODE_ARGS ?? '').split(' ').filter(Boolean)],
      env: { ...process.env, BENCH_CHILD: JSON.stringify(init) },
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    const p = new BotProcess(child, exited);
    await p.waitFor('ready', timeoutMs, `the ${init.mode} bot did not start within ${timeoutMs} ms`);
    return p;
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  private waitFor<T>(type: string, timeoutMs: number, what: string): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        cleanup();
        reject(new Error(what));
      }, timeoutMs);
      const onMessage = (m: { type?: string }): void => {
        if (m.type === type) {
          cleanup();
          resolve(m as T);
        }
      };
      const onExit = (code: number | null): void => {
        cleanup();
        reject(new Error(`${what} (child exited with ${code})`));
      };
      const cleanup = (): void => {
        clearTimeout(timer);
        this.child.off('message', onMessage);
        this.child.off('exit', onExit);
      };
      this.child.on('message', onMessage);
      this.child.once('exit', onExit);
    });
  }

  async memory(gc: boolean): Promise<ChildMemory> {
    const answer = this.waitFor<ChildMemory>('mem', 10_000, 'no memory answer from the bot process');
    this.child.send({ type: 'mem', gc });
    return answer;
  }

  /** Stops the bot (graceful, then SIGKILL after 10 s). */
  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    try {
      this.child.send({ type: 'stop' });
    } catch {
      // channel already closed
    }
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 10_000);
    await this.exited;
    clearTimeout(timer);
  }

  /** Hard stop (watchdog). */
  kill(): void {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGKILL');
  }
}

interface Push {
  chatId: number;
  /** index of the expected answer among the chat's bot messages */
  index: number;
  at: number;
}

export interface RunFigures {
  updates: number;
  answered: number;
  /** answers that are the bot's "internal error" sentence */
  errorAnswers: number;
  seconds: number;
  updatesPerSecond: number;
  latencyMs: { p50: number; p90: number; p99: number; max: number };
  /** getUpdates calls that returned updates during the run, and their mean size */
  getUpdatesBatches: number;
  meanBatch: number;
  /** CPU time the bot process used per update during the run (ms) */
  botCpuMsPerUpdate?: number;
}

export interface BotFigures {
  mode: 'app' | 'bare';
  users: number;
  startupMs: number;
  /** 'sqlite' or 'postgresql' (the bare bot has no database) */
  engine?: string;
  burst: RunFigures;
  paced?: RunFigures & { targetRate: number };
  /** a burst of first-time users, each sending /start once */
  firstContact?: RunFigures;
  memory?: { afterStartup: ChildMemory; afterStartupNoGc: ChildMemory; afterBench: ChildMemory; afterBenchNoGc: ChildMemory };
}

class Driver {
  private readonly expected = new Map<number, number>();
  private readonly errorTexts: string[];

  constructor(
    readonly standin: BotApiStandIn,
    readonly users: ScriptedUser[],
  ) {
    for (const u of users) this.expected.set(u.id, standin.messages(u.id).length);
    const texts = new Texts();
    this.errorTexts = (['ug', 'zh', 'en'] as const).map((l) => plainText(texts.forLocale(l)('errors:internal')).slice(0, 24));
  }

  private step = new Map<number, number>();

  push(user: ScriptedUser, pushes: Push[]): void {
    const k = this.step.get(user.id) ?? 0;
    this.step.set(user.id, k + 1);
    const index = this.expected.get(user.id)!;
    this.expected.set(user.id, index + 1);
    const at = Date.now();
    user.sendText(MIX[k % MIX.length]!);
    pushes.push({ chatId: user.id, index, at });
  }

  /** Waits (polling every 5 ms, cheaply: per chat) until every push has its answer. */
  async settle(pushes: readonly Push[], timeoutMs: number): Promise<void> {
    const need = new Map<number, number>();
    for (const p of pushes) need.set(p.chatId, Math.max(need.get(p.chatId) ?? 0, p.index + 1));
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      let done = true;
      for (const [chatId, n] of need) {
        if (this.standin.messages(chatId).length < n) {
          done = false;
          break;
        }
      }
      if (done || Date.now() > deadline) return;
      await sleep(5);
    }
  }

  figures(pushes: readonly Push[], fromMs: number): RunFigures {
    const latencies: number[] = [];
    let last = 0;
    let errors = 0;
    for (const p of pushes) {
      const m = this.standin.messages(p.chatId)[p.index];
      if (m === undefined) continue;
      latencies.push(m.sentAt - p.at);
      if (m.sentAt > last) last = m.sentAt;
      if (this.errorTexts.some((e) => m.text.startsWith(e))) errors++;
    }
    const first = pushes[0]?.at ?? 0;
    const seconds = Math.max(0.001, (last - first) / 1000);
    const batches = this.standin
      .callsTo('getUpdates')
      .filter((c) => c.at >= fromMs && Array.isArray(c.result) && c.result.length > 0)
      .map((c) => (c.result as unknown[]).length);
    return {
      updates: pushes.length,
      answered: latencies.length,
      errorAnswers: errors,
      seconds: round(seconds, 2),
      updatesPerSecond: Math.round(latencies.length / seconds),
      latencyMs: { p50: percentile(latencies, 50), p90: percentile(latencies, 90), p99: percentile(latencies, 99), max: percentile(latencies, 100) },
      getUpdatesBatches: batches.length,
      meanBatch: round(batches.length === 0 ? 0 : batches.reduce((a, b) => a + b, 0) / batches.length, 1),
    };
  }

  async burst(n: number, timeoutMs: number): Promise<RunFigures> {
    const fromMs = Date.now();
    const pushes: Push[] = [];
    const perUser = Math.ceil(n / this.users.length);
    outer: for (let k = 0; k < perUser; k++) {
      for (const u of this.users) {
        if (pushes.length >= n) break outer;
        this.push(u, pushes);
      }
    }
    await this.settle(pushes, timeoutMs);
    return this.figures(pushes, fromMs);
  }

  /** Open loop at `rate` updates/s (users in turn): latency without a backlog. */
  async paced(n: number, rate: number, timeoutMs: number): Promise<RunFigures & { targetRate: number }> {
    const fromMs = Date.now();
    const pushes: Push[] = [];
    const t0 = performance.now();
    let u = 0;
    while (pushes.length < n) {
      const due = Math.min(n, Math.floor(((performance.now() - t0) / 1000) * rate) + 1);
      while (pushes.length < due) this.push(this.users[u++ % this.users.length]!, pushes);
      await sleep(1);
    }
    await this.settle(pushes, timeoutMs);
    return { ...this.figures(pushes, fromMs), targetRate: rate };
  }
}

export interface UpdateBenchOptions {
  mode: 'app' | 'bare';
  updates: number;
  users: number;
  warmup: number;
  paced?: { updates: number; rate: number };
  /** how many first-time users send /start at once (after the paced run) */
  firstContact?: number;
  /** the app's database; default a fresh SQLite file */
  databaseUrl?: string;
  timeoutMs: number;
  workDir: string;
  log: (s: string) => void;
  /** lets the watchdog kill the child */
  onChild?: (p: BotProcess | undefined) => void;
}

/** Runs one bot (app or bare) against a fresh stand-in and a fresh database. */
export async function benchUpdates(o: UpdateBenchOptions): Promise<BotFigures> {
  const standin = await BotApiStandIn.start({ botUsername: 'village_desk_bench_bot' });
  const dbDir = fs.mkdtempSync(path.join(o.workDir, `bench-${o.mode}-`));
  let bot: BotProcess | undefined;
  try {
    const t0 = performance.now();
    bot = await BotProcess.start({ mode: o.mode, token: standin.token, apiRoot: standin.apiRoot, databaseUrl: o.databaseUrl ?? `file:${path.join(dbDir, 'ledger.db')}` });
    o.onChild?.(bot);
    await standin.waitUntil(() => standin.callsTo('getUpdates').length > 0, { timeoutMs: 30_000, description: 'the bot never polled' });
    const startupMs = Math.round(performance.now() - t0);
    o.log(`${o.mode}: started in ${startupMs} ms (pid ${bot.pid})`);

    let memory: BotFigures['memory'];
    let afterStartupNoGc: ChildMemory | undefined;
    let afterStartup: ChildMemory | undefined;
    if (o.mode === 'app') {
      await sleep(1000);
      afterStartupNoGc = await bot.memory(false);
      afterStartup = await bot.memory(true);
    }

    // warm-up: other users, so that JIT, connection pool and statement caches are warm
    const warmUsers = Array.from({ length: Math.min(o.warmup, 50) }, (_, i) =>
      standin.user({ id: 500_000 + i, firstName: `Warm${i}`, languageCode: i % 3 === 2 ? 'zh' : 'ug' }),
    );
    const warm = new Driver(standin, warmUsers);
    const w = await warm.burst(o.warmup, o.timeoutMs);
    if (w.answered < w.updates) throw new Error(`${o.mode}: warm-up answered ${w.answered}/${w.updates}`);

    const users = Array.from({ length: o.users }, (_, i) =>
      standin.user({ id: 100_000 + i, firstName: `Villager${i}`, languageCode: i % 3 === 2 ? 'zh' : 'ug' }),
    );
    const driver = new Driver(standin, users);
    const cpu0 = (await bot.memory(false)).cpuMs;
    const burst = await driver.burst(o.updates, o.timeoutMs);
    burst.botCpuMsPerUpdate = round(((await bot.memory(false)).cpuMs - cpu0) / Math.max(1, burst.answered), 2);
    o.log(`${o.mode}: burst ${burst.answered}/${burst.updates} answered in ${burst.seconds} s = ${burst.updatesPerSecond} updates/s, p50 ${burst.latencyMs.p50} ms, p99 ${burst.latencyMs.p99} ms, bot CPU ${burst.botCpuMsPerUpdate} ms/update`);
    let paced: BotFigures['paced'];
    if (o.paced) {
      await sleep(300);
      paced = await driver.paced(o.paced.updates, o.paced.rate, o.timeoutMs);
      o.log(`${o.mode}: paced ${paced.targetRate}/s: ${paced.answered}/${paced.updates} answered, p50 ${paced.latencyMs.p50} ms, p99 ${paced.latencyMs.p99} ms`);
    }
    let firstContact: RunFigures | undefined;
    if (o.firstContact) {
      await sleep(300);
      const newcomers = Array.from({ length: o.firstContact }, (_, i) =>
        standin.user({ id: 200_000 + i, firstName: `Newcomer${i}`, languageCode: i % 3 === 2 ? 'zh' : 'ug' }),
      );
      // every user's first update is /start (MIX[0])
      firstContact = await new Driver(standin, newcomers).burst(o.firstContact, o.timeoutMs);
      o.log(`${o.mode}: first contact, ${firstContact.answered}/${firstContact.updates} new users answered in ${firstContact.seconds} s = ${firstContact.updatesPerSecond} updates/s, p99 ${firstContact.latencyMs.p99} ms`);
    }
    if (o.mode === 'app' && afterStartup && afterStartupNoGc) {
      await sleep(500);
      const afterBenchNoGc = await bot.memory(false);
      const afterBench = await bot.memory(true);
      memory = { afterStartup, afterStartupNoGc, afterBench, afterBenchNoGc };
    }
    const result: BotFigures = { mode: o.mode, users: o.users, startupMs, burst };
    if (paced) result.paced = paced;
    if (firstContact) result.firstContact = firstContact;
    if (o.mode === 'app') result.engine = o.databaseUrl?.startsWith('postgres') ? 'postgresql' : 'sqlite';
    if (memory) result.memory = memory;
    return result;
  } finally {
    await bot?.stop().catch(() => undefined);
    o.onChild?.(undefined);
    await standin.stop();
    fs.rmSync(dbDir, { recursive: true, force: true });
  }
}
