import { execSync } from 'node:child_process';
/**
 * Village Desk benchmark: `npm run bench` (about 6–8 minutes; the first run also seeds a
 * 1,000,000-report database into tmp/, kept for later runs) or `npm run bench -- --quick`
 * (about a minute, smaller sizes: a smoke run, its size-dependent targets are not judged).
 *
 * Options: --quick · --fresh (re-seed the ledger databases) · --only=updates,dbcost,outbox,
  * export,reminders,digest,flood (a subset; default all) · --engine=sqlite|postgresql (default both:
  * the PostgreSQL column runs the app, the outbox and the ledger phases on a throwaway server) ·
  * --pg-large (also copy the 1,000,000-report ledger to PostgreSQL; several minutes).
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
import { benchFlood, type FloodFigures } from './bench/flood.ts';
import { benchPostgresLedger, freshDatabase, startPostgresCluster, type PostgresCluster, type PostgresLedgerFigures } from './bench/postgres.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const TMP = path.join(ROOT, 'tmp');
const RESULTS = path.join(TMP, 'bench-results.json');
const PHASES = ['updates', 'dbcost', 'outbox', 'export', 'reminders', 'digest', 'flood'] as const;
type Phase = (typeof PHASES)[number];

const args = process.argv.slice(2);
const quick = args.includes('--quick');
const fresh = args.includes('--fresh');
const onlyArg = args.find((a) => a.startsWith('--only='));
const engineArg = args.find((a) => a.startsWith('--engine='))?.slice('--engine='.length);
const engines = new Set(engineArg ? engineArg.split(',') : ['sqlite', 'postgresql']);
const pgLarge = args.includes('--pg-large');
const only = new Set<Phase>(onlyArg ? (onlyArg.slice('--only='.length).split(',') as Phase[]) : PHASES);
for (const a of args) {
  if (a !== '--quick' && a !== '--fresh' && a !== '--pg-large' && !a.startsWith('--only=') && !a.startsWith('--engine=')) {
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
  ? { flood: { messages: 1_000, updates: 100, rate: 20 }, updates: 500, users: 200, warmup: 50, paced: { updates: 200, rate: 100 }, outboxRows: 120, outboxChats: 60, dbcostIterations: 300, small: 10_000, large: 100_000, runsSmall: 1, runsLarge: 1, digestRuns: 1, deadlineMin: 4 }
  : { flood: { messages: 5_000, updates: 300, rate: 20 }, updates: 5_000, users: 2_000, warmup: 200, paced: { updates: 1_000, rate: 100 }, outboxRows: 600, outboxChats: 300, dbcostIterations: 1_000, small: 100_000, large: 1_000_000, runsSmall: 3, runsLarge: 3, digestRuns: 3, deadlineMin: 35 };
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
  updates?: { app?: BotFigures; appPg?: BotFigures; bare?: BotFigures; appToBare?: number; firstContactToBare?: number };
  outboxPg?: OutboxFigures;
  postgresLedger?: PostgresLedgerFigures[];
  dbcost?: CallCost[];
  outbox?: OutboxFigures;
  databases?: SeededDb[];
  exports?: ExportFigures[];
  reminders?: ReminderFigures[];
  digest?: DigestFiguresBench[];
  memory?: Record<string, unknown>;
  flood?: FloodFigures;
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
  let cluster: PostgresCluster | undefined;
  if (engines.has('postgresql')) {
    cluster = await startPostgresCluster();
    log(`PostgreSQL column: a throwaway server at ${cluster.url}`);
  }
  try {
    if (only.has('updates')) {
      // the bot process runs the compiled app, as `npm start` does
      execSync('npm run build', { cwd: ROOT_DIR, stdio: 'ignore' });
      results.updates = {};
      const timeoutMs = quick ? 60_000 : 180_000;
      const runs = [
        ...(engines.has('sqlite') ? [{ mode: 'app' as const, key: 'app' as const, databaseUrl: undefined }] : []),
        ...(cluster ? [{ mode: 'app' as const, key: 'appPg' as const, databaseUrl: freshDatabase(cluster) }] : []),
        { mode: 'bare' as const, key: 'bare' as const, databaseUrl: undefined },
      ];
      for (const { mode, key, databaseUrl } of runs) {
        const figures = await phase(`updates:${key}`, () =>
          benchUpdates({
            mode,
            databaseUrl,
            firstContact: 300,
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
        if (figures) results.updates[key] = figures;
      }
      const { app, bare } = results.updates;
      if (app && bare) results.updates.appToBare = round(app.burst.updatesPerSecond / bare.burst.updatesPerSecond, 2);
      if (app?.firstContact && bare?.firstContact) results.updates.firstContactToBare = round(app.firstContact.updatesPerSecond / bare.firstContact.updatesPerSecond, 2);
      writeResults();
    }
    if (only.has('flood')) {
      if (!only.has('updates')) execSync('npm run build', { cwd: ROOT_DIR, stdio: 'ignore' });
      const f = await phase('flood', () =>
        benchFlood({ flood: SETTINGS.flood.messages, updates: SETTINGS.flood.updates, rate: SETTINGS.flood.rate, workDir: work, timeoutMs: quick ? 60_000 : 120_000, log, onChild: (p) => (currentChild = p) }),
      );
      if (f) results.flood = f;
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
      if (cluster) {
        const g = await phase('outbox:postgresql', () => benchOutbox({ rows: SETTINGS.outboxRows, chats: SETTINGS.outboxChats, workDir: work, timeoutMs: 120_000, log, databaseUrl: freshDatabase(cluster!) }));
        if (g) results.outboxPg = g;
      }
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
        if (cluster) {
          const p = await phase('postgresql:small', () => benchPostgresLedger(cluster!, small.url, small.reports, SETTINGS.runsSmall, log));
          if (p) (results.postgresLedger ??= []).push(p);
        }
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
        if (cluster && (pgLarge || quick)) {
          const p = await phase('postgresql:large', () => benchPostgresLedger(cluster!, large.url, large.reports, SETTINGS.runsLarge, log));
          if (p) (results.postgresLedger ??= []).push(p);
        }
      }
    }
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
    cluster?.stop();
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
  for (const [label, f] of [['SQLite', u?.app], ['PostgreSQL', u?.appPg], ['bare telegraf', u?.bare]] as const) {
    if (f?.firstContact) rows.push({ what: `first contact: ${f.firstContact.updates} new users send /start at once, ${label}`, measured: `${f.firstContact.updatesPerSecond}/s (${f.firstContact.answered}/${f.firstContact.updates} answered, p99 ${f.firstContact.latencyMs.p99} ms)`, target: '—', verdict: 'info' });
  }
  if (u?.firstContactToBare !== undefined) rows.push({ what: 'first contact, SQLite app / bare', measured: `${u.firstContactToBare}`, target: '≥ 0.5', verdict: verdict(u.firstContactToBare >= 0.5) });
  if (u?.appPg) {
    const a = u.appPg.burst;
    rows.push({ what: `updates/s, real app on PostgreSQL (burst, as above)`, measured: `${a.updatesPerSecond}/s (${a.answered}/${a.updates} answered; p50 ${a.latencyMs.p50} ms, p99 ${a.latencyMs.p99} ms)`, target: '—', verdict: 'info' });
    if (u.appPg.paced) rows.push({ what: `latency at ${u.appPg.paced.targetRate} updates/s on PostgreSQL (paced)`, measured: `p50 ${u.appPg.paced.latencyMs.p50} ms · p99 ${u.appPg.paced.latencyMs.p99} ms`, target: 'p99 < 20 ms', verdict: verdict(u.appPg.paced.latencyMs.p99 < 20) });
  }
  if (results.outboxPg) {
    const g = results.outboxPg;
    rows.push({ what: `outbox on PostgreSQL: ${g.rows} messages, 429 limits on`, measured: `${g.messagesPerSecond}/s; 429s ${g.tooManyRequests}, violations ${g.limitViolations} (sent ${g.sent})`, target: '≥ 29/s, ≤ 1% 429', verdict: verdict(g.messagesPerSecond >= 29 && g.tooManyRequests <= g.rows / 100) });
  }
  for (const p of results.postgresLedger ?? []) {
    const judged = sizeJudged && p.reports >= 1_000_000;
    rows.push({ what: `PostgreSQL, ${p.reports.toLocaleString('en')} reports (copied in ${p.transferSeconds} s): reminder scan (${p.overdueRows.toLocaleString('en')} overdue)`, measured: `${p.scanMs} ms; reminders() ${p.remindersMs} ms`, target: p.reports >= 1_000_000 ? '< 2,000 ms' : '—', verdict: p.reports >= 1_000_000 ? verdict(p.scanMs < 2000, judged) : 'info' });
    rows.push({ what: `PostgreSQL, ${p.reports.toLocaleString('en')} reports: digest figures week / month`, measured: `${p.digestWeekMs} ms / ${p.digestMonthMs} ms (median of ${p.runs})`, target: p.reports >= 1_000_000 ? '≤ 2,000 ms' : '—', verdict: p.reports >= 1_000_000 ? verdict(Math.max(p.digestWeekMs, p.digestMonthMs) <= 2000, judged) : 'info' });
  }
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
  const fl = results.flood;
  if (fl) {
    for (const r of fl.runs) {
      rows.push({ what: `villagers' latency at ${fl.rate} updates/s: ${r.label}`, measured: `p50 ${r.latencyMs.p50} ms · p99 ${r.latencyMs.p99} ms (${r.answered}/${r.updates} answered${r.flood ? `; ${r.toFlooder} messages to the flooder` : ''})`, target: r.label.endsWith('gate on') ? 'all answered, p99 < 1,000 ms' : '—', verdict: r.label.endsWith('gate on') ? verdict(r.answered === r.updates && r.latencyMs.p99 < 1000) : 'info' });
    }
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
