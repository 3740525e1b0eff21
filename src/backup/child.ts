/**
 * The scheduled backup runs in a child process. SQLite's backup step and the integrity check are
 * synchronous: in the bot's own process they would stop it answering for seconds every night
 * (about 3 s at 100,000 reports, scripts/bench/backup.ts), so the bot forks this file, which makes
 * the backup and sends back the result, and keeps answering meanwhile.
 */
import { fork } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { BackupError, backupLedger, type BackupErrorCode, type BackupResult } from './ledgerBackup.ts';

interface Request {
  databaseUrl: string | undefined;
  dir: string;
  keep: number;
  /** ISO time the backup is named by */
  now: string;
}

type Answer = { ok: true; result: BackupResult } | { ok: false; code?: BackupErrorCode; message: string };

const SELF = fileURLToPath(import.meta.url);
const ENV_KEY = 'VILLAGE_DESK_BACKUP_REQUEST';

/** `backupLedger` in a child process; rejects with BackupError (or Error) as it would. */
export function backupInChildProcess(options: { databaseUrl: string | undefined; dir: string; keep: number; now: Date }): Promise<BackupResult> {
  const request: Request = { databaseUrl: options.databaseUrl, dir: options.dir, keep: options.keep, now: options.now.toISOString() };
  // compiled (dist/*.js) runs as is; the sources need the TypeScript loader the project runs with
  const execArgv = path.extname(SELF) === '.ts' ? ['--import', 'tsx'] : [];
  const child = fork(SELF, [], { execArgv, env: { ...process.env, [ENV_KEY]: JSON.stringify(request) }, stdio: ['ignore', 'ignore', 'pipe', 'ipc'] });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-2000);
  });
  return new Promise<BackupResult>((resolve, reject) => {
    let answered = false;
    child.once('message', (raw) => {
      answered = true;
      const answer = raw as Answer;
      if (answer.ok) resolve(answer.result);
      else reject(answer.code ? new BackupError(answer.code, answer.message) : new Error(answer.message));
    });
    child.once('error', reject);
    child.once('exit', (code, signal) => {
      if (!answered) reject(new Error(`the backup process ended (${signal ?? `exit ${code}`}) without an answer${stderr ? `: ${stderr.trim()}` : ''}`));
    });
  });
}

async function serve(request: Request): Promise<Answer> {
  try {
    return { ok: true, result: await backupLedger({ databaseUrl: request.databaseUrl, dir: request.dir, keep: request.keep, now: new Date(request.now) }) };
  } catch (error) {
    return error instanceof BackupError ? { ok: false, code: error.code, message: error.message } : { ok: false, message: error instanceof Error ? error.message : String(error) };
  }
}

const request = process.env[ENV_KEY];
if (request && process.send && path.resolve(process.argv[1] ?? '') === SELF) {
  void serve(JSON.parse(request) as Request).then((answer) => process.send!(answer, () => process.exit(0)));
}
