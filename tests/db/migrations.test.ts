import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { applyMigrations } from '../../src/db/migrate.ts';
import { tempDatabaseUrl } from '../support/app.ts';

const { url, dir } = tempDatabaseUrl();
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

/** The tables, columns and indexes of a SQLite database, normalised for comparison. */
function shape(db: Database.Database): string[] {
  const rows = db
    .prepare("SELECT type, name, sql FROM sqlite_master WHERE name NOT LIKE 'sqlite_%' AND name != '_prisma_migrations' AND sql IS NOT NULL ORDER BY type, name")
    .all() as Array<{ type: string; name: string; sql: string }>;
  return rows.map((r) => `${r.type} ${r.name}: ${r.sql.replace(/\s+/g, ' ')}`);
}

describe('migrations', () => {
  it('should apply to an empty database once, and give exactly the schema of prisma/schema.prisma', () => {
    expect(applyMigrations(url).length).toBeGreaterThan(0);
    expect(applyMigrations(url)).toEqual([]);
    // a forgotten migration shows up here: the committed migrations must equal the schema
    const script = execFileSync(process.execPath, ['scripts/prisma.mjs', 'migrate', 'diff', '--from-empty', '--to-schema-datamodel', 'prisma/schema.prisma', '--script'], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    const fresh = new Database(':memory:');
    fresh.exec(script);
    const migrated = new Database(url.slice('file:'.length), { readonly: true });
    expect(shape(migrated)).toEqual(shape(fresh));
    migrated.close();
    fresh.close();
  });

  it('should record applied migrations where the Prisma CLI looks for them', () => {
    const out = execFileSync(process.execPath, ['scripts/prisma.mjs', 'migrate', 'status'], {
      encoding: 'utf8',
      env: { ...process.env, DATABASE_URL: url },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    expect(out).toMatch(/Database schema is up to date/);
    expect(fs.readdirSync(path.join('prisma', 'migrations')).length).toBeGreaterThan(1);
  });
});
