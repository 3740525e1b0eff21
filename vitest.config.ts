import { defineConfig } from 'vitest/config';

/** Tests that need PostgreSQL alone (*.pg.test.ts) run only in the 'postgres' project. */
const POSTGRES_ONLY = 'tests/**/*.pg.test.ts';

export default defineConfig({
  test: {
    // end-to-end flows keep to Telegram's budgets (one message a second into a private chat)
    testTimeout: 120_000,
    hookTimeout: 30_000,
    pool: 'forks',
    // the end-to-end flows mostly wait (Telegram's one message a second into a chat): more files
    // at once than cores keeps the whole suite near a quarter of an hour on two cores
    maxWorkers: 4,
    // `include` is per project: a project that extends the root would add to the root's list
    projects: [
      { extends: true, test: { name: 'sqlite', include: ['tests/**/*.test.ts'], exclude: [POSTGRES_ONLY, 'node_modules/**'] } },
      // The same end-to-end, digest and job tests on a real PostgreSQL server (a fresh database
      // per test; tests/support/postgres.ts), plus the PostgreSQL-only tests.
      {
        extends: true,
        test: {
          name: 'postgres',
          include: ['tests/e2e/**/*.test.ts', 'tests/services/*.test.ts', 'tests/jobs/scheduler.test.ts', POSTGRES_ONLY],
          globalSetup: ['tests/support/postgresSetup.ts'],
          env: { VILLAGE_DESK_TEST_ENGINE: 'postgresql' },
        },
      },
      // Every end-to-end flow again on a hostile network: Telegram's flood limits, 502s,
      // dropped connections (src/emulator/hostile.ts; tests/support/app.ts reads the variable).
      { extends: true, test: { name: 'hostile', include: ['tests/e2e/**/*.test.ts'], exclude: [POSTGRES_ONLY, 'node_modules/**'], env: { VILLAGE_DESK_HOSTILE: '1' } } },
    ],
  },
});
