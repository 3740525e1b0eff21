/**
 * `npx tsx scripts/bench/backup.ts [reports]` (not part of `npm run bench`): how long a backup
 * takes on a seeded ledger (default 100,000 reports, tmp/bench-ledger-100000.db, seeded on first
 * use) and how long it holds the event loop of the process that asks for it: in-process (as
 * `npm run backup` does) and in a child process (as the running bot's nightly job does).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { backupLedger } from '../../src/backup/ledgerBackup.ts';
import { backupInChildProcess } from '../../src/backup/child.ts';
import { ensureLedgerDb } from './seed.ts';
import { round } from './util.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const reports = Number(process.argv[2] ?? 100_000);
const db = await ensureLedgerDb(path.join(ROOT, 'tmp'), reports, { fresh: false, log: console.log });
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'village-desk-backup-bench-'));
try {
  for (const [how, backup] of [
    ['in this process (npm run backup)', backupLedger],
    ['in a child process (the nightly job)', backupInChildProcess],
  ] as const) {
    for (let run = 1; run <= 3; run += 1) {
      let last = performance.now();
      let stall = 0;
      const timer = setInterval(() => {
        const now = performance.now();
        stall = Math.max(stall, now - last - 5);
        last = now;
      }, 5);
      const t0 = performance.now();
      const r = await backup({ databaseUrl: db.url, dir, keep: 1, now: new Date(Date.UTC(2026, 0, run)) });
      clearInterval(timer);
      // the last stretch ends with the promise, before the timer could fire again
      stall = Math.max(stall, performance.now() - last - 5);
      console.log(`${how}, run ${run}: ${reports.toLocaleString('en')} reports, ${round(r.bytes / 1048576, 1)} MB: ${Math.round(performance.now() - t0)} ms in all (copy and checks ${r.ms} ms); longest event-loop freeze here ${Math.round(stall)} ms`);
    }
  }
} finally {
  fs.rmSync(dir, { recursive: true, force: true });
}
