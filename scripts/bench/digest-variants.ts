/**
 * Optional companion of `npm run bench` (not part of it): how fast the digest's heavy queries
 * could be at 1,000,000 reports. Needs tmp/bench-ledger-1000000.db (made by `npm run bench`).
 *
 *   npx tsx scripts/bench/digest-variants.ts
 *
 * Works on a copy (tmp/bench-digest-variants.db, deleted at the end) with one extra index,
 * Report(closedAt). Records the SQL and arguments DigestService.figures('week') really runs,
 * then times, on a plain better-sqlite3 connection, each query that reads the whole ledger:
 *   as is          — the service's SQL;
 *   NOT INDEXED    — the same, forcing one sequential table scan;
 *   candidates     — the same, restricted to the rows that can count (filed, resolved or due
 *                    in the period, closed after T or not closed): a UNION of index ranges.
 * and checks that every variant returns exactly the same rows.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { openLedger } from './ledger.ts';
import { NOW } from './seed.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const SOURCE = path.join(ROOT, 'tmp', 'bench-ledger-1000000.db');
const COPY = path.join(ROOT, 'tmp', 'bench-digest-variants.db');

function ms(t0: number): number {
  return Math.round(performance.now() - t0);
}

async function main(): Promise<void> {
  if (!fs.existsSync(SOURCE)) throw new Error(`${SOURCE} is missing: run npm run bench first`);
  const src = new Database(SOURCE);
  src.pragma('wal_checkpoint(TRUNCATE)');
  src.close();
  for (const s of ['', '-wal', '-shm']) fs.rmSync(COPY + s, { force: true });
  fs.copyFileSync(SOURCE, COPY);
  try {
    const db = new Database(COPY);
    let t0 = performance.now();
    db.exec('CREATE INDEX "Report_closedAt_idx" ON "Report"("closedAt")');
    console.log(`CREATE INDEX Report(closedAt) on 1,000,000 reports: ${ms(t0)} ms`);
    const ledger = await openLedger(`file:${COPY}`);
    t0 = performance.now();
    await ledger.services.digests.figures('week', NOW);
    console.log(`figures('week') as is, with the extra index present: ${ms(t0)} ms`);
    const queries = [...ledger.queries];
    await ledger.close();
    const heavy = queries.filter((q) => /FROM "Report" WHERE createdAt < \?/.test(q.sql));
    let totals = { asIs: 0, notIndexed: 0, candidates: 0 };
    for (const q of heavy) {
      const label = /GROUP BY (\w+)/.exec(q.sql)?.[1] ?? 'counts';
      const [s, , t] = q.args as [number, number, number];
      const candidates = `id IN (SELECT id FROM "Report" WHERE createdAt >= ${s} UNION SELECT id FROM "Report" WHERE resolvedAt >= ${s}
        UNION SELECT id FROM "Report" WHERE dueAt >= ${s} UNION SELECT id FROM "Report" WHERE closedAt >= ${t}
        UNION SELECT id FROM "Report" WHERE closedAt IS NULL)`;
      const variants = {
        asIs: q.sql,
        notIndexed: q.sql.replace('FROM "Report" WHERE', 'FROM "Report" NOT INDEXED WHERE'),
        candidates: q.sql.replace('FROM "Report" WHERE createdAt < ?', `FROM "Report" NOT INDEXED WHERE createdAt < ? AND ${candidates}`),
      };
      const out: string[] = [];
      let reference = '';
      for (const [name, sql] of Object.entries(variants) as Array<[keyof typeof totals, string]>) {
        const t1 = performance.now();
        const rows = JSON.stringify(db.prepare(sql).all(...q.args));
        const took = ms(t1);
        totals = { ...totals, [name]: totals[name] + took };
        if (name === 'asIs') reference = rows;
        out.push(`${name} ${took} ms${name !== 'asIs' ? (rows === reference ? ' (same rows)' : ' (DIFFERENT ROWS)') : ''}`);
      }
      console.log(`${label.padEnd(10)} ${out.join(' · ')}`);
    }
    console.log(`all ${heavy.length} heavy queries: as is ${totals.asIs} ms · NOT INDEXED ${totals.notIndexed} ms · candidates ${totals.candidates} ms`);
    db.close();
  } finally {
    for (const s of ['', '-wal', '-shm']) fs.rmSync(COPY + s, { force: true });
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
