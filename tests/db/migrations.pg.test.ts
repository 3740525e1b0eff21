import { execFileSync } from 'node:child_process';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { migrateDatabase } from '../../src/db/migrate.ts';
import { createDatabase } from '../support/postgres.ts';
import { postgresServerUrl } from '../support/engine.ts';

const cli = (args: string[], env: NodeJS.ProcessEnv = process.env) =>
  execFileSync(process.execPath, args, { encoding: 'utf8', env, stdio: ['ignore', 'pipe', 'pipe'] });

/** Tables, columns, constraints and indexes of a PostgreSQL database, normalised for comparison. */
async function shape(url: string): Promise<string[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const columns = await client.query(
      `SELECT table_name, column_name, data_type, is_nullable, column_default FROM information_schema.columns
       WHERE table_schema = 'public' AND table_name <> '_prisma_migrations' ORDER BY table_name, column_name`,
    );
    const indexes = await client.query(`SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = 'public' AND tablename <> '_prisma_migrations' ORDER BY indexname`);
    const constraints = await client.query(
      `SELECT conname, pg_get_constraintdef(oid) AS def FROM pg_constraint WHERE connamespace = 'public'::regnamespace AND conname NOT LIKE '\\_prisma%' ORDER BY conname`,
    );
    return [...columns.rows, ...indexes.rows, ...constraints.rows].map((r) => JSON.stringify(r));
  } finally {
    await client.end();
  }
}

describe('PostgreSQL migrations', () => {
  it('should keep prisma/postgresql/schema.prisma generated from prisma/schema.prisma', () => {
    expect(() => cli(['scripts/pg-schema.mjs', '--check'])).not.toThrow();
  });

  it('should be applied once when several processes start at the same time (advisory lock)', async () => {
    const url = createDatabase(postgresServerUrl());
    const results = await Promise.all([migrateDatabase(url), migrateDatabase(url), migrateDatabase(url), migrateDatabase(url)]);
    const applied = results.flat();
    expect(applied.length).toBeGreaterThan(0);
    expect(new Set(applied).size).toBe(applied.length);
    expect(results.filter((r) => r.length > 0)).toHaveLength(1);
    expect(await migrateDatabase(url)).toEqual([]);

    // exactly the schema Prisma derives from the model: a forgotten PostgreSQL migration shows up here
    const script = cli(['scripts/prisma.mjs', 'migrate', 'diff', '--from-empty', '--to-schema-datamodel', 'prisma/postgresql/schema.prisma', '--script']);
    const fresh = createDatabase(postgresServerUrl());
    const client = new pg.Client({ connectionString: fresh });
    await client.connect();
    await client.query(script);
    await client.end();
    expect(await shape(url)).toEqual(await shape(fresh));

    // and recorded where the Prisma CLI looks
    const status = cli(['scripts/prisma.mjs', 'migrate', 'status', '--config', 'prisma/postgresql/prisma.config.ts'], { ...process.env, DATABASE_URL: url });
    expect(status).toMatch(/Database schema is up to date/);
  });
});
