import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    // end-to-end flows keep to Telegram's budgets (one message a second into a private chat)
    testTimeout: 120_000,
    hookTimeout: 30_000,
    pool: 'forks',
    projects: [
      { extends: true, test: { name: 'default', include: ['tests/**/*.test.ts'] } },
      // Every end-to-end flow again on a hostile network: Telegram's flood limits, 502s,
      // dropped connections (src/emulator/hostile.ts; tests/support/app.ts reads the variable).
      { extends: true, test: { name: 'hostile', include: ['tests/e2e/**/*.test.ts'], env: { VILLAGE_DESK_HOSTILE: '1' } } },
    ],
  },
});
