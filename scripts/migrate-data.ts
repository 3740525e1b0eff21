/**
 * Moves a running township's ledger to PostgreSQL:
 *   npm run migrate-data -- --from file:./data/village-desk.db --to postgresql://user@host/village_desk
 * Stop the bot first (writes after the copy began would stay behind). The target must be a new,
 * empty database; every table is copied with its ids and #N numbers, in one transaction, and the
 * counts on both sides are printed at the end. Exit status: 0 copied and counts equal, 1 failed,
 * 2 refused (bad arguments, missing source, non-empty target).
 */
import { parseArgs } from 'node:util';
import { transferLedger, TransferRefused } from '../src/db/transfer.ts';

async function main(): Promise<number> {
  let from: string | undefined;
  let to: string | undefined;
  try {
    ({ values: { from, to } } = parseArgs({ options: { from: { type: 'string' }, to: { type: 'string' } } }));
  } catch (error) {
    console.error(error instanceof Error ? error.message : String(error));
    return 2;
  }
  if (!from || !to) {
    console.error('usage: npm run migrate-data -- --from file:./data/village-desk.db --to postgresql://user@host:5432/village_desk');
    return 2;
  }
  try {
    const started = Date.now();
    const counts = await transferLedger(from, to, (line) => console.log(`copied ${line}`));
    const width = Math.max(...counts.map((c) => c.table.length));
    console.log(`\n${'table'.padEnd(width)}  ${'source'.padStart(9)}  ${'target'.padStart(9)}`);
    for (const c of counts) console.log(`${c.table.padEnd(width)}  ${String(c.source).padStart(9)}  ${String(c.target).padStart(9)}${c.source === c.target ? '' : '  MISMATCH'}`);
    const ok = counts.every((c) => c.source === c.target);
    console.log(ok ? `\nall ${counts.length} tables copied with identical counts in ${((Date.now() - started) / 1000).toFixed(1)} s` : '\ncounts differ: do not switch over');
    return ok ? 0 : 1;
  } catch (error) {
    if (error instanceof TransferRefused) {
      console.error(`refused: ${error.message}`);
      return 2;
    }
    console.error('migration failed, the target is left as it was:', error);
    return 1;
  }
}

process.exitCode = await main();
