import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
/** A throwaway PostgreSQL server on 127.0.0.1, in a temporary folder removed by stop(). */
export interface PostgresCluster {
  /** the superuser's URL to the `postgres` database */
  url: string;
  stop(): void;
}

/** Raised when no server can be started: the PostgreSQL suite fails with this reason, never skips. */
export class PostgresUnavailableError extends Error {
  override readonly name = 'PostgresUnavailableError';
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/**
 * initdb + pg_ctl start. initdb refuses to run as root, so as root the server runs as the
 * `postgres` system user (Debian's package creates it) and the folder is handed to it.
 * Durability is switched off: the data dies with the test run.
 */
export async function startPostgresCluster(): Promise<PostgresCluster> {
  const root = process.getuid?.() === 0;
  const as = (cmd: string, args: string[]) => (root ? ['runuser', ['-u', 'postgres', '--', pgProgram(cmd), ...args]] : [pgProgram(cmd), args]) as [string, string[]];
  const run = (cmd: string, args: string[]) => {
    const [c, a] = as(cmd, args);
    try {
      return execFileSync(c, a, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    } catch (error) {
      const e = error as { stderr?: string; message: string };
      throw new PostgresUnavailableError(`PostgreSQL test server: ${cmd} failed: ${(e.stderr || e.message).trim()} (install Debian's postgresql package; .ci/run does)`);
    }
  };
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'village-desk-pg-'));
  fs.chmodSync(dir, 0o755);
  if (root) {
    try {
      execFileSync('chown', ['postgres', dir]);
    } catch {
      fs.rmSync(dir, { recursive: true, force: true });
      throw new PostgresUnavailableError('PostgreSQL test server: no `postgres` system user to run it as (install Debian\'s postgresql package; .ci/run does)');
    }
  }
  const data = path.join(dir, 'data');
  const port = await freePort();
  try {
    run('initdb', ['-D', data, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--locale=C', '--no-sync']);
    const options = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=300`;
    run('pg_ctl', ['-D', data, '-o', options, '-l', path.join(dir, 'server.log'), '-w', '-t', '60', 'start']);
  } catch (error) {
    fs.rmSync(dir, { recursive: true, force: true });
    throw error;
  }
  return {
    url: `postgresql://postgres@127.0.0.1:${port}/postgres`,
    stop() {
      try {
        run('pg_ctl', ['-D', data, '-m', 'immediate', '-w', 'stop']);
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}

let counter = 0;

/**
 * A PostgreSQL program: from the PATH, else from Debian's versioned folder
 * (/usr/lib/postgresql/<version>/bin), where the package puts initdb and pg_ctl.
 */
export function pgProgram(name: string): string {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    if (dir && fs.existsSync(path.join(dir, name))) return path.join(dir, name);
  }
  const base = '/usr/lib/postgresql';
  const versions = fs.existsSync(base) ? fs.readdirSync(base).sort((a, b) => Number(b) - Number(a)) : [];
  for (const v of versions) if (fs.existsSync(path.join(base, v, 'bin', name))) return path.join(base, v, 'bin', name);
  return name;
}

/** A new, empty database on the server at `adminUrl`; returns its URL. Synchronous (psql), for tempDatabaseUrl(). */
export function createDatabase(adminUrl: string): string {
  const name = `vd_${process.pid}_${Date.now().toString(36)}_${(counter++).toString(36)}`;
  execFileSync(pgProgram('psql'), [adminUrl, '-v', 'ON_ERROR_STOP=1', '-q', '-c', `CREATE DATABASE ${name}`], { stdio: ['ignore', 'ignore', 'pipe'] });
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return url.href;
}
