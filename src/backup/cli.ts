/**
 * `npm run backup` and `npm run restore -- <file>`: the SQLite ledger's backups (README, "Backups
 * and restore"). Settings from the environment or .env: DATABASE_URL, BACKUP_DIR, BACKUP_KEEP.
 * Exit status 0 done, 1 refused or failed (the message says why; nothing was changed), 2 usage.
 */
import fs from 'node:fs';
import { ConfigError, loadBackupConfig } from '../config.ts';
import { BackupError, backupLedger, restoreLedger, type LedgerFileSummary } from './ledgerBackup.ts';

const USAGE = 'usage: npm run backup | npm run restore -- <backup file>';

const describe = (s: LedgerFileSummary) =>
  `${(s.bytes / 1024).toFixed(0)} KiB, ${Object.entries(s.tables)
    .filter(([name]) => !name.startsWith('_'))
    .map(([name, n]) => `${name} ${n}`)
    .join(', ')}`;

export async function backupCli(argv: string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const [command, ...rest] = argv;
  try {
    const config = loadBackupConfig(env);
    if (command === 'backup' && rest.length === 0) {
      const r = await backupLedger({ databaseUrl: config.DATABASE_URL, dir: config.BACKUP_DIR, keep: config.BACKUP_KEEP, now: new Date() });
      console.log(`backup written and checked (integrity ok): ${r.file}`);
      console.log(`  ${describe(r)}; ${r.ms} ms`);
      if (r.removed.length > 0) console.log(`  older backups removed (BACKUP_KEEP=${config.BACKUP_KEEP}): ${r.removed.join(', ')}`);
      return 0;
    }
    if (command === 'restore' && rest.length === 1) {
      const r = await restoreLedger({ databaseUrl: config.DATABASE_URL, file: rest[0]!, now: new Date() });
      console.log(`restored ${r.restored.file} (integrity ok) into ${r.target}`);
      console.log(`  ${describe(r.restored)}`);
      console.log(r.setAside ? `  the replaced database was kept as ${r.setAside}` : '  there was no database there before');
      return 0;
    }
    console.error(USAGE);
    return 2;
  } catch (error) {
    if (error instanceof BackupError || error instanceof ConfigError) {
      console.error(error.message);
      return 1;
    }
    throw error;
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  if (fs.existsSync('.env')) process.loadEnvFile('.env');
  backupCli(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (error: unknown) => {
      console.error(error);
      process.exit(1);
    },
  );
}
