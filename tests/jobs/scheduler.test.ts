import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { Scheduler } from '../../src/jobs/scheduler.ts';
import { OutboxDispatcher } from '../../src/notify/dispatcher.ts';
import { loadConfig } from '../../src/config.ts';
import { testLedger, type TestLedger } from '../support/services.ts';

const logger = pino({ level: 'silent' });
let l: TestLedger;
beforeEach(async () => {
  l = await testLedger();
});
afterEach(async () => {
  await l.close();
});

function scheduler(holder: string): Scheduler {
  const config = loadConfig({ BOT_TOKEN: '1:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA', REMINDER_CRON: '0 10 * * *' });
  const dispatcher = new OutboxDispatcher({ db: l.db, api: { callApi: async () => true }, clock: l.clock, logger, pollMs: 50 });
  return new Scheduler({ config, jobs: l.services.jobs, digests: l.services.digests, dispatcher, lease: l.services.lease(holder), logger, clock: l.clock });
}

describe('Scheduler', () => {
  it('should run in only one of two processes on the same database, and move to the other when it stops', async () => {
    const first = scheduler('process-1');
    const second = scheduler('process-2');
    await first.start();
    await second.start();
    expect([first.isActive, second.isActive]).toEqual([true, false]);
    await second.tick();
    expect(second.isActive).toBe(false);
    await first.stop();
    await second.tick();
    expect(second.isActive).toBe(true);
    await second.stop();
  });
});
