import { execSync } from 'node:child_process';
/**
 * Village Desk benchmark: `npm run bench` (about 6–8 minutes; the first run also seeds a
 * 1,000,000-report database into tmp/, kept for later runs) or `npm run bench -- --quick`
 * (about a minute, smaller sizes: a smoke run, its size-dependent targets are not judged).
 *
 * Options: --quick · --fresh (re-seed the ledger databases) · --only=updates,dbcost,outbox,
 * export,reminders,digest (a subset; default all).
 *
 * Everything runs on this machine and talks only to 127.0.0.1 (the Bot API stand-in of
 * tests/standin). Figures are medians and ratios from one run; the machine is shared, so
 * compare within a run, never across machines. Prints a table and writes tmp/bench-results.json.
 * See docs/BENCHMARKS.md.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { benchUpdates, type BotFigures, type BotProcess } from './bench/updates.ts';
import { benchDbCost, type CallCost } from './bench/dbcost.ts';
import { benchOutbox, type OutboxFigures } from './bench/outbox.ts';
import { ensureLedgerDb, NOW, type SeededDb } from './bench/seed.ts';
import { benchDigest, benchExport, benchReminders, openLedger, type DigestFiguresBench, type ExportFigures, type ReminderFigures } from './bench/ledger.ts';
import { gc, round } from './bench/util.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const TMP = path.join(ROOT, 'tmp');
const RESULTS = path.join(TMP, 'bench-results.json');
const PHASES = ['updates', 'dbcost', 'outbox', 'export', 'reminders', 'digest'] as const;
type Phase = (typeof PHASES)[number];

const args = process.argv.slice(2);
const quick = args.includes('--quick');
const fresh = args.includes('--fresh');
const onlyArg = args.find((a) => a.startsWith('--only='));
const only = new Set<Phase>(onlyArg ? (onlyArg.slice('--only='.length).split(',') as Phase[]) : PHASES);
for (const a of args) {
  if (a !== '--quick' && a !== '--fresh' && !a.startsWith('--only=')) {
    console.error(`unknown option ${a}\nusage: npm run bench [-- --quick] [--fresh] [--only=${PHASES.join(',')}]`);
    process.exit(2);
  }
}
for (const p of only) {
  if (!PHASES.includes(p)) {
    console.error(`unknown phase ${p}; phases: ${PHASES.join(', ')}`);
    process.exit(2);
  }
}

const SETTINGS = quick
  ? { updates: 500, users: 200, warmup: 50, paced: { updates: 200, rate: 100 }, outboxRows: 120, outboxChats: 60, dbcostIterations: 300, small: 10_000, large: 100_000, runsSmall: 1, runsLarge: 1, digestRuns: 1, deadlineMin: 4 }
  : { updates: 5_000, users: 2_000, warmup: 200, paced: { updates: 1_000, rate: 100 }, outboxRows: 600, outboxChats: 300, dbcostIterations: 1_000, small: 100_000, large: 1_000_000, runsSmall: 3, runsLarge: 3, digestRuns: 3, deadlineMin: 15 };
// At most 2.5 updates per user in a burst: every answer goes through the send limiter, and a
// private chat takes 3 at once, then 1 a second (as Telegram does). More per user would measure
// Telegram's budget, not the bot.

const started = Date.now();
const log = (s: string): void => console.log(`[${((Date.now() - started) / 1000).toFixed(0).padStart(4)} s] ${s}`);

function git(...a: string[]): string {
  try {
    return execFileSync('git', a, { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return '';
  }
}

interface Results {
  meta: Record<string, unknown>;
  updates?: { app?: BotFigures; bare?: BotFigures; appToBare?: number };
  dbcost?: CallCost[];
  outbox?: OutboxFigures;
  databases?: SeededDb[];
  exports?: ExportFigures[];
  reminders?: ReminderFigures[];
  digest?: DigestFiguresBench[];
  memory?: Record<string, unknown>;
  targets?: TargetRow[];
  errors: Array<{ phase: string; error: string }>;
  totalSeconds?: number;
  aborted?: boolean;
}

interface TargetRow {
  what: string;
  measured: string;
  target: string;
  verdict: 'pass' | 'miss' | 'info' | 'n/a';
}

const results: Results = {
  meta: {
    date: new Date().toISOString(),
    mode: quick ? 'quick' : 'full',
    node: process.version,
    nproc: os.availableParallelism(),
    cpu: os.cpus()[0]?.model ?? 'unknown',
    memTotalMB: Math.round(os.totalmem() / 1048576),
    loadAvgAtStart: os.loadavg().map((x) => round(x, 2)),
    commit: git('rev-parse', '--short', 'HEAD'),
    dirtySrc: git('status', '--porcelain', '--', 'src') !== '',
    benchNow: NOW.toISOString(),
    settings: SETTINGS,
    gc: 'bot process: node --expose-gc (forked); bench process: --expose-gc set at run time (v8.setFlagsFromString)',
  },
  errors: [],
};

let currentChild: BotProcess | undefined;

function writeResults(): void {
  fs.mkdirSync(TMP, { recursive: true });
  fs.writeFileSync(RESULTS, `${JSON.stringify(results, null, 2)}\n`);
}

// The run bounds itself: past the deadline the bot process is killed and what was measured is written.
const watchdog = setTimeout(() => {
  log(`deadline of ${SETTINGS.deadlineMin} min passed: stopping`);
  results.aborted = true;
  currentChild?.kill();
  results.totalSeconds = round((Date.now() - started) / 1000, 1);
  writeResults();
  process.exit(3);
}, SETTINGS.deadlineMin * 60_000);

async function phase<T>(name: string, fn: () => Promise<T>): Promise<T | undefined> {
  try {
    return await fn();
  } catch (error) {
    const text = error instanceof Error ? `${error.message}\n${error.stack ?? ''}` : String(error);
    log(`phase ${name} failed: ${text.split('\n')[0]}`);
    results.errors.push({ phase: name, error: text.slice(0, 2000) });
    return undefined;
  }
}

const ROOT_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

async function main(): Promise<void> {
  log(`Village Desk benchmark (${quick ? 'quick' : 'full'}) on ${results.meta.nproc} cores, Node ${process.version}, commit ${results.meta.commit}${results.meta.dirtySrc ? ' (src has uncommitted changes)' : ''}`);
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'village-desk-bench-'));
  try {
    if (only.has('updates')) {
      // the bot process runs the compiled app, as `npm start` does
      execSync('npm run build', { cwd: ROOT_DIR, stdio: 'ignore' });
      results.updates = {};
      const timeoutMs = quick ? 60_000 : 180_000;
      for (const mode of ['app', 'bare'] as const) {
        const figures = await phase(`updates:${mode}`, () =>
          benchUpdates({
            mode,
            updates: SETTINGS.updates,
            users: SETTINGS.users,
            warmup: SETTINGS.warmup,
            paced: SETTINGS.paced,
            timeoutMs,
            workDir: work,
            log,
            onChild: (p) => (currentChild = p),
          }),
        );
        if (figures) results.updates[mode] = figures;
      }
      const { app, bare } = results.updates;
      if (app && bare) results.updates.appToBare = round(app.burst.updatesPerSecond / bare.burst.updatesPerSecond, 2);
      writeResults();
    }
    if (only.has('dbcost')) {
      log('cost of one database call on the update path:');
      const c = await phase('dbcost', () => benchDbCost({ iterations: SETTINGS.dbcostIterations, workDir: work, log }));
      if (c) results.dbcost = c;
    }
    if (only.has('outbox')) {
      const f = await phase('outbox', () => benchOutbox({ rows: SETTINGS.outboxRows, chats: SETTINGS.outboxChats, workDir: work, timeoutMs: 120_000, log }));
      if (f) results.outbox = f;
      writeResults();
    }
    const needSmall = only.has('export') || only.has('reminders');
    const needLarge = only.has('reminders') || only.has('digest');
    results.databases = [];
    results.exports = [];
    results.reminders = [];
    results.digest = [];
    if (needSmall) {
      const small = await phase('seed:small', async () => ensureLedgerDb(TMP, SETTINGS.small, { fresh, log }));
      if (small) {
        results.databases.push(small);
        log(`ledger of ${small.reports.toLocaleString('en')} reports: ${small.reused ? 'reused' : `seeded in ${round(small.seedSeconds, 1)} s`} (${small.fileMB} MB)`);
        await phase('ledger:small', async () => {
          const ledger = await openLedger(small.url);
          try {
            if (only.has('export')) {
              for (const format of ['xlsx', 'csv'] as const) {
                const f = await phase(`export:${format}`, () => benchExport(ledger, format, log));
                if (f) results.exports!.push(f);
              }
            }
            if (only.has('reminders')) {
              const r = await phase('reminders:small', () => benchReminders(ledger, small.reports, SETTINGS.runsSmall, log));
              if (r) results.reminders!.push(r);
            }
          } finally {
            await ledger.close();
          }
        });
      }
      writeResults();
    }
    if (needLarge) {
      const large = await phase('seed:large', async () => ensureLedgerDb(TMP, SETTINGS.large, { fresh, log }));
      if (large) {
        results.databases.push(large);
        log(`ledger of ${large.reports.toLocaleString('en')} reports: ${large.reused ? 'reused' : `seeded in ${round(large.seedSeconds, 1)} s`} (${large.fileMB} MB)`);
        await phase('ledger:large', async () => {
          const ledger = await openLedger(large.url);
          try {
            if (only.has('reminders')) {
              const r = await phase('reminders:large', () => benchReminders(ledger, large.reports, SETTINGS.runsLarge, log));
              if (r) results.reminders!.push(r);
              writeResults();
            }
            if (only.has('digest')) {
              for (const kind of ['week', 'month'] as const) {
                const d = await phase(`digest:${kind}`, () => benchDigest(ledger, kind, SETTINGS.digestRuns, log));
                if (d) results.digest!.push(d);
              }
            }
          } finally {
            await ledger.close();
          }
        });
      }
    }
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
  gc();
  const app = results.updates?.app;
  results.memory = {
    appIdleAfterStartupMB: app?.memory?.afterStartup.rssMB,
    appIdleAfterStartupNoGcMB: app?.memory?.afterStartupNoGc.rssMB,
    appAfterUpdatesMB: app?.memory?.afterBench.rssMB,
    appAfterUpdatesNoGcMB: app?.memory?.afterBenchNoGc.rssMB,
    appHeapUsedAfterUpdatesMB: app?.memory?.afterBench.heapUsedMB,
    appPeakRssMB: app?.memory?.afterBench.maxRssMB,
    bareBotIdleNote: 'not measured (the bare bot is the throughput ceiling only)',
    benchProcessPeakRssMB: round((process.resourceUsage().maxRSS * 1024) / 1048576, 1),
    benchProcessRssAtEndMB: round(process.memoryUsage.rss() / 1048576, 1),
  };
  results.meta.loadAvgAtEnd = os.loadavg().map((x) => round(x, 2));
  results.totalSeconds = round((Date.now() - started) / 1000, 1);
  results.targets = targets();
  writeResults();
  printTable(results.targets);
  if (results.errors.length > 0) log(`${results.errors.length} phase(s) failed: ${results.errors.map((e) => e.phase).join(', ')}`);
  log(`results written to ${path.relative(ROOT, RESULTS)} (${results.totalSeconds} s in all)`);
}

function targets(): TargetRow[] {
  const rows: TargetRow[] = [];
  const sizeJudged = !quick; // the quick run uses smaller databases: its size targets are not judged
  const verdict = (ok: boolean, judged = true): TargetRow['verdict'] => (judged ? (ok ? 'pass' : 'miss') : 'n/a');
  const u = results.updates;
  if (u?.app) {
    const a = u.app.burst;
    rows.push({ what: `updates/s, real app (${a.updates} updates, ${u.app.users} users, burst)`, measured: `${a.updatesPerSecond}/s (${a.answered}/${a.updates} answered)`, target: '≥ 1,000/s', verdict: verdict(a.updatesPerSecond >= 1000 && a.answered === a.updates) });
    rows.push({ what: 'latency in that burst, push → answer', measured: `p50 ${a.latencyMs.p50} ms · p99 ${a.latencyMs.p99} ms`, target: '—', verdict: 'info' });
    if (u.app.paced) rows.push({ what: `latency at ${u.app.paced.targetRate} updates/s (paced), limiter on every answer`, measured: `p50 ${u.app.paced.latencyMs.p50} ms · p99 ${u.app.paced.latencyMs.p99} ms`, target: 'p99 < 20 ms', verdict: verdict(u.app.paced.latencyMs.p99 < 20 && u.app.paced.answered === u.app.paced.updates) });
    if (a.botCpuMsPerUpdate !== undefined) rows.push({ what: 'bot CPU per update, real app', measured: `${a.botCpuMsPerUpdate} ms`, target: '—', verdict: 'info' });
  }
  if (u?.bare) {
    const b = u.bare.burst;
    rows.push({ what: 'updates/s, bare telegraf echo (ceiling)', measured: `${b.updatesPerSecond}/s (p50 ${b.latencyMs.p50} ms, CPU ${b.botCpuMsPerUpdate ?? '?'} ms/update)`, target: '—', verdict: 'info' });
  }
  if (u?.appToBare !== undefined) rows.push({ what: 'real app / bare ceiling', measured: `${u.appToBare}`, target: '≥ 0.5', verdict: verdict(u.appToBare >= 0.5) });
  const o = results.outbox;
  if (o) {
    rows.push({ what: `outbox: ${o.rows} messages to ${o.chats} chats, 429 limits on`, measured: `${o.messagesPerSecond}/s = ${Math.round((o.messagesPerSecond / o.ceilingPerSecond) * 100)}% of 30/s; busiest second ${o.maxPerSecond}`, target: '≤ 30/s, near it', verdict: 'info' });
    rows.push({ what: 'outbox: 429 answers / limit violations', measured: `${o.tooManyRequests} / ${o.limitViolations} (sent ${o.sent}, dead ${o.dead}, pending ${o.pending})`, target: '0 / 0, all sent', verdict: verdict(o.tooManyRequests === 0 && o.limitViolations === 0 && o.sent === o.rows) });
  }
  for (const r of results.reminders ?? []) {
    const isMillion = r.reports >= 1_000_000;
    rows.push({ what: `reminder scan over ${r.reports.toLocaleString('en')} reports (${r.overdueRows.toLocaleString('en')} overdue), as the job runs it`, measured: `${r.scanInJobMs} ms (alone: Prisma ${r.scanPrismaMs} ms, SQLite ${r.scanSqliteMs} ms)`, target: isMillion ? '< 2,000 ms' : '—', verdict: isMillion ? verdict(r.scanInJobMs < 2000, sizeJudged) : 'info' });
    rows.push({ what: `reminders() job over ${r.reports.toLocaleString('en')} (${r.owners} owners)`, measured: `${r.remindersMs} ms (median of ${r.runs}); longest event-loop freeze ${r.maxEventLoopStallMs} ms`, target: '—', verdict: 'info' });
  }
  for (const d of results.digest ?? []) {
    const size = results.databases?.find((x) => x.reports === SETTINGS.large)?.reports ?? SETTINGS.large;
    rows.push({ what: `digest figures '${d.kind}' over ${size.toLocaleString('en')} reports`, measured: `${d.medianMs} ms (median of ${d.runs}, ${d.queries} queries); longest event-loop freeze ${d.maxEventLoopStallMs} ms`, target: '≤ 2,000 ms', verdict: verdict(d.medianMs <= 2000, sizeJudged) });
  }
  for (const e of results.exports ?? []) {
    rows.push({ what: `export ${e.format} of ${e.rows.toLocaleString('en')} rows`, measured: `${e.seconds} s (${e.rowsPerSecond.toLocaleString('en')} rows/s, ${e.fileMB} MB), peak RSS +${e.peakRssDeltaMB} MB (heap kept after gc ${e.heapRetainedMB} MB); longest event-loop freeze ${e.maxEventLoopStallMs} ms`, target: '—', verdict: 'info' });
  }
  const m = results.memory;
  if (m?.appIdleAfterStartupMB !== undefined) {
    rows.push({ what: 'app idle RSS after startup (after gc)', measured: `${m.appIdleAfterStartupMB} MB (no gc: ${m.appIdleAfterStartupNoGcMB} MB)`, target: '< 150 MB', verdict: verdict((m.appIdleAfterStartupMB as number) < 150) });
    rows.push({ what: 'app RSS after the update benchmark (after gc)', measured: `${m.appAfterUpdatesMB} MB (no gc: ${m.appAfterUpdatesNoGcMB} MB; heap ${m.appHeapUsedAfterUpdatesMB} MB)`, target: '< 150 MB', verdict: verdict((m.appAfterUpdatesMB as number) < 150) });
    rows.push({ what: 'app peak RSS', measured: `${m.appPeakRssMB} MB`, target: '—', verdict: 'info' });
  }
  if (m) rows.push({ what: 'bench process peak RSS (stand-in, seeding, 1M queries, exports)', measured: `${m.benchProcessPeakRssMB} MB`, target: '—', verdict: 'info' });
  return rows;
}

function printTable(rows: TargetRow[]): void {
  const w = [Math.max(...rows.map((r) => r.what.length), 6), Math.max(...rows.map((r) => r.measured.length), 8), Math.max(...rows.map((r) => r.target.length), 6)];
  const line = (a: string, b: string, c: string, d: string): string => `${a.padEnd(w[0]!)} │ ${b.padEnd(w[1]!)} │ ${c.padEnd(w[2]!)} │ ${d}`;
  console.log('');
  console.log(line('what', 'measured', 'target', 'verdict'));
  console.log('─'.repeat(w[0]! + w[1]! + w[2]! + 16));
  for (const r of rows) console.log(line(r.what, r.measured, r.target, r.verdict));
  console.log('');
}

main()
  .catch((error: unknown) => {
    results.errors.push({ phase: 'main', error: String(error) });
    writeResults();
    console.error(error);
    process.exitCode = 1;
  })
  .finally(() => {
    clearTimeout(watchdog);
    currentChild?.kill();
  });
