/**
 * Start-up times, as a user sees them: `npx tsx scripts/bench/startup.ts [--runs=5]`.
 *
 * - `npm start` with a token, against a local emulator, on an empty database (all migrations
 *   applied): from spawning the command to the bot's first getUpdates;
 * - the same through `node dist/main.js` (without npm), and the old start (`npm run build &&
 *   node dist/main.js`, tsc on every start) for comparison;
 * - `npm run demo`: from spawning to the line that gives the address, with the day's seeded
 *   ledger already made (and once without it, which seeds); then Ctrl+C (SIGINT) to exit, and
 *   a check that no process of the demo is left.
 * Whole-process wall-clock times, medians of the runs. Prints a table (Markdown).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { BotApiStandIn } from '../../src/emulator/server.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const runs = Number(process.argv.find((a) => a.startsWith('--runs='))?.slice('--runs='.length) ?? 5);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/** Stops a detached child's whole process group and waits for the child to be gone. */
async function stopGroup(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  await new Promise<void>((resolve) => {
    child.once('exit', () => resolve());
    process.kill(-child.pid!, 'SIGTERM');
  });
}

function groupAlive(pid: number): boolean {
  try {
    process.kill(-pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function timeBotStart(command: string, args: string[]): Promise<number> {
  const standIn = await BotApiStandIn.start();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vd-start-'));
  const t0 = performance.now();
  const child = spawn(command, args, {
    cwd: ROOT,
    detached: true,
    stdio: 'ignore',
    env: { ...process.env, BOT_TOKEN: standIn.token, TELEGRAM_API_ROOT: standIn.apiRoot, DATABASE_URL: `file:${path.join(dir, 'ledger.db')}`, LOG_LEVEL: 'warn' },
  });
  try {
    await standIn.waitUntil(() => standIn.callsTo('getUpdates').length > 0, { timeoutMs: 60_000 });
    return performance.now() - t0;
  } finally {
    await stopGroup(child);
    await standIn.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

async function timeDemo(): Promise<{ up: number; down: number; leftovers: boolean }> {
  const t0 = performance.now();
  const child = spawn('npm', ['run', 'demo', '--', '--port', '0'], { cwd: ROOT, detached: true, stdio: ['ignore', 'pipe', 'inherit'] });
  const up = await new Promise<number>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (c: Buffer) => {
      out += c.toString('utf8');
      if (out.includes('demo is running')) resolve(performance.now() - t0);
    });
    child.once('exit', () => reject(new Error(`the demo ended before it was up:\n${out}`)));
  });
  child.stdout!.resume();
  // as Ctrl+C in a terminal: SIGINT to the whole foreground group (npm, the demo, the bot)
  const t1 = performance.now();
  process.kill(-child.pid!, 'SIGINT');
  while (groupAlive(child.pid!) && performance.now() - t1 < 15_000) await new Promise((r) => setTimeout(r, 20));
  return { up, down: performance.now() - t1, leftovers: groupAlive(child.pid!) };
}

async function main(): Promise<void> {
  const build = spawnSync(process.execPath, ['scripts/build-if-stale.mjs'], { cwd: ROOT, stdio: 'inherit' });
  if (build.status !== 0) process.exit(1);
  const rows: Array<[string, number[]]> = [];
  const measure = async (label: string, n: number, run: () => Promise<number>) => {
    const xs: number[] = [];
    for (let i = 0; i < n; i++) xs.push(await run());
    rows.push([label, xs]);
    console.error(`${label}: ${xs.map((x) => Math.round(x)).join(', ')} ms`);
  };
  await measure('npm start (built, empty database: migrations applied)', runs, () => timeBotStart('npm', ['start']));
  await measure('node dist/main.js (same, without npm)', runs, () => timeBotStart(process.execPath, ['dist/main.js']));
  await measure('before: npm run build && node dist/main.js (tsc on every start)', Math.min(runs, 3), () =>
    timeBotStart('sh', ['-c', 'npm run build --silent && exec node dist/main.js']),
  );
  for (const f of fs.existsSync(path.join(ROOT, 'data', 'demo')) ? fs.readdirSync(path.join(ROOT, 'data', 'demo')) : []) {
    if (f.startsWith('seeded-')) fs.rmSync(path.join(ROOT, 'data', 'demo', f));
  }
  const demos: Array<{ up: number; down: number; leftovers: boolean }> = [];
  for (let i = 0; i < runs + 1; i++) demos.push(await timeDemo());
  rows.push(['npm run demo, first of the day (seeds the demo ledger)', [demos[0]!.up]]);
  rows.push(['npm run demo (seeded ledger of the day kept)', demos.slice(1).map((d) => d.up)]);
  rows.push(['npm run demo: Ctrl+C until every process of it has ended', demos.map((d) => d.down)]);
  console.log(`\n| what | median | runs (ms) |\n|---|---:|---|`);
  for (const [label, xs] of rows) console.log(`| ${label} | ${(median(xs) / 1000).toFixed(2)} s | ${xs.map((x) => Math.round(x)).join(', ')} |`);
  console.log(`\nprocesses left after Ctrl+C: ${demos.some((d) => d.leftovers) ? 'YES (a bug)' : 'none'}`);
}

void main();
