import { inject } from 'vitest';
import type { Engine } from '../../src/db/url.ts';
import { PostgresUnavailableError } from './postgres.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    /** the throwaway server's superuser URL, provided by tests/support/postgresSetup.ts */
    postgresUrl: string;
  }
}

/** The engine tests run on: 'postgresql' in the vitest project 'postgres' (VILLAGE_DESK_TEST_ENGINE). */
export function testEngine(): Engine {
  return process.env.VILLAGE_DESK_TEST_ENGINE === 'postgresql' ? 'postgresql' : 'sqlite';
}

/** The throwaway server of this test run; fails (never skips) when there is none. */
export function postgresServerUrl(): string {
  const url = inject('postgresUrl');
  if (!url) throw new PostgresUnavailableError('no PostgreSQL test server: run these tests through the vitest project "postgres"');
  return url;
}

