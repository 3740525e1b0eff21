/**
 * Phase 1b: what one database call of the update path costs, in this process, through the
 * real services (Prisma client + better-sqlite3 driver adapter) and, for comparison, the same
 * statement on a plain better-sqlite3 connection. Explains the update throughput: each update
 * makes several such calls, and the bot's process is CPU-bound.
 */
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { applyMigrations } from '../../src/db/migrate.ts';
import { openDatabase } from '../../src/db/client.ts';
import { loadConfig } from '../../src/config.ts';
import { Texts } from '../../src/i18n/index.ts';
import { createServices } from '../../src/services/index.ts';
import { systemClock } from '../../src/domain/time.ts';
import type { User } from '../../src/domain/types.ts';
import { round } from './util.ts';

export interface CallCost {
  call: string;
  via: 'services (hot path)' | 'better-sqlite3';
  microseconds: number;
}

async function perCall(n: number, fn: (i: number) => unknown): Promise<number> {
  for (let i = 0; i < Math.min(200, n); i++) await fn(i); // warm-up
  const t0 = performance.now();
  for (let i = 0; i < n; i++) await fn(i);
  return round(((performance.now() - t0) * 1000) / n, 0);
}

export async function benchDbCost(o: { iterations: number; workDir: string; log: (s: string) => void }): Promise<CallCost[]> {
  const dir = fs.mkdtempSync(path.join(o.workDir, 'bench-dbcost-'));
  const file = path.join(dir, 'cost.db');
  const url = `file:${file}`;
  applyMigrations(url);
  const db = await openDatabase(url);
  const raw = new Database(file);
  raw.pragma('journal_mode = WAL');
  raw.pragma('synchronous = NORMAL');
  const config = loadConfig({ BOT_TOKEN: '7000000001:AAStandIn_VillageDesk_token_0123456789', DATABASE_URL: url, LOG_LEVEL: 'silent' });
  const services = createServices({ db, clock: systemClock, texts: new Texts(), config });
  try {
    await services.catalog.seedDefaults(new Date());
    const users: User[] = [];
    for (let i = 0; i < 100; i++) users.push(await services.users.identify({ id: 600_000 + i, first_name: `U${i}` }));
    const n = o.iterations;
    let updateId = 1;
    const now = (): Date => new Date();
    const out: CallCost[] = [];
    const add = (call: string, via: CallCost['via'], microseconds: number): void => {
      out.push({ call, via, microseconds });
    };
    // the update path's calls through the services (now on the hot path's prepared statements)
    add('claim update id', 'services (hot path)', await perCall(n, () => services.updates.claim(updateId++, now())));
    add('identify sender', 'services (hot path)', await perCall(n, (i) => services.users.identify({ id: 600_000 + (i % 100), first_name: `U${i % 100}` })));
    add('drafts.active', 'services (hot path)', await perCall(n, (i) => services.drafts.active(users[i % 100]!.id)));
    add('drafts.get', 'services (hot path)', await perCall(n, (i) => services.drafts.get(users[i % 100]!.id, 'report')));
    add('reports.summaries for /my', 'services (hot path)', await perCall(Math.ceil(n / 2), (i) => services.reports.summaries(users[i % 100]!)));
    const claim = raw.prepare(`INSERT OR IGNORE INTO "ProcessedUpdate" ("updateId", "at") VALUES (?, ?)`);
    const user = raw.prepare(`SELECT * FROM "User" WHERE "telegramId" = ?`);
    const draft = raw.prepare(`SELECT "flow" FROM "Draft" WHERE "userId" = ? AND "expiresAt" > ? ORDER BY "updatedAt" DESC LIMIT 1`);
    add('claim update id (same INSERT)', 'better-sqlite3', await perCall(n * 5, () => claim.run(BigInt(10_000_000 + updateId++), Date.now())));
    add('identify sender (same SELECT)', 'better-sqlite3', await perCall(n * 5, (i) => user.get(BigInt(600_000 + (i % 100)))));
    add('drafts.active (same SELECT)', 'better-sqlite3', await perCall(n * 5, (i) => draft.get(users[i % 100]!.id, Date.now())));
    for (const c of out) o.log(`  ${c.via.padEnd(18)} ${String(c.microseconds).padStart(6)} µs  ${c.call}`);
    return out;
  } finally {
    raw.close();
    await services.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
