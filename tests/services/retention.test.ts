import crypto from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testLedger, type TestLedger } from '../support/services.ts';
import { simulateLedger } from '../support/simulate.ts';
import { startDraft } from '../../src/domain/draft.ts';
import { toUser } from '../../src/db/mappers.ts';
import { FINAL_STATUSES } from '../../src/domain/lifecycle.ts';
import { ERASED_TELEGRAM_ID } from '../../src/domain/privacy.ts';
import { DAY_MS } from '../../src/domain/time.ts';
import { RetentionService } from '../../src/services/retention.ts';
import type { LedgerRow } from '../../src/export/ledgerExport.ts';
import { loadConfig } from '../../src/config.ts';

// four weeks of reports up to Wednesday 2026-11-25; links are kept 7 days after closing
const NOW = new Date('2026-11-25T09:00:00Z');
let l: TestLedger;

beforeAll(async () => {
  l = await testLedger('2026-10-26T00:00:00Z', { RETAIN_REPORTER_LINK_DAYS: '7' });
  await simulateLedger(l.services, l.clock, { seed: 23, reports: 120, from: new Date('2026-10-28T02:00:00Z'), hours: 24 * 26 });
  // a household filed by a cadre, closed long ago, and a follower on a closed report
  const cadre = toUser(await l.db.user.findFirstOrThrow({ where: { role: 'cadre' }, orderBy: { id: 'asc' } }));
  l.clock.set('2026-10-29T03:00:00Z');
  const categories = await l.services.catalog.categories();
  const draft = { ...startDraft(crypto.randomUUID(), { staff: true }), onBehalf: true, householdLabel: 'No. 14, Aygul', householdPhone: '13800001111', categoryId: categories[0]!.id, description: 'roof', placeId: null, step: 'confirm' as const };
  const { report } = await l.services.reports.submit(cadre, draft);
  await l.services.reports.act(toUser(await l.db.user.findUniqueOrThrow({ where: { id: report.ownerId! } })), report.number, { kind: 'reject', reason: 'not ours' });
  l.clock.set(NOW);
}, 60_000);
afterAll(async () => {
  await l.close();
});

async function exportRows(): Promise<LedgerRow[]> {
  const rows: LedgerRow[] = [];
  for await (const row of l.services.exports.rows({ period: 'all', status: 'all', format: 'csv', locale: 'zh', now: NOW })) rows.push(row);
  return rows;
}

describe('retention', () => {
  it('should erase the reporter links of reports closed before the period, in chunks, and leave digests and exports unchanged', async () => {
    const due = await l.db.report.findMany({ where: { status: { in: [...FINAL_STATUSES] }, closedAt: { lt: new Date(NOW.getTime() - 7 * DAY_MS) } }, select: { id: true } });
    const kept = await l.db.report.findMany({ where: { id: { notIn: due.map((r) => r.id) } }, orderBy: { id: 'asc' } });
    expect(due.length).toBeGreaterThan(10);
    expect(kept.length).toBeGreaterThan(10);
    const figures = { week: await l.services.digests.figures('week', NOW), month: await l.services.digests.figures('month', NOW) };
    const before = await exportRows();
    const eventsBefore = await l.db.reportEvent.count();

    // a small chunk, so that the run takes several transactions
    const retention = new RetentionService({ db: l.db, policy: { reporterLinkDays: 7, deliveredOutboxDays: 3, updateIdDays: 3 }, chunk: 7 });
    expect((await retention.run(NOW)).reporterLinks).toBe(due.length);

    const erased = await l.db.user.findUniqueOrThrow({ where: { telegramId: BigInt(ERASED_TELEGRAM_ID) } });
    const after = await l.db.report.findMany({ where: { id: { in: due.map((r) => r.id) } }, include: { events: true, followers: true } });
    for (const r of after) {
      expect(r).toMatchObject({ reporterId: erased.id, anonymous: true, householdLabel: null, householdPhone: null });
      expect(r.followers).toEqual([]);
      // the history says it happened, never what was erased
      expect(r.events.filter((e) => e.kind === 'link_erased')).toEqual([expect.objectContaining({ note: null, actorId: null })]);
    }
    expect(JSON.stringify(after)).not.toMatch(/Aygul|13800001111/);
    // nothing else moved
    expect(await l.db.report.findMany({ where: { id: { in: kept.map((r) => r.id) } }, orderBy: { id: 'asc' } })).toEqual(kept);
    expect(await l.db.reportEvent.count()).toBe(eventsBefore + due.length);

    expect(await l.services.digests.figures('week', NOW)).toEqual(figures.week);
    expect(await l.services.digests.figures('month', NOW)).toEqual(figures.month);
    const afterRows = await exportRows();
    // the same rows and figures; only the reporter column may say less than before
    const without = (rows: LedgerRow[]) => rows.map(({ reporter: _reporter, ...rest }) => rest);
    expect(without(afterRows)).toEqual(without(before));
    expect(afterRows.filter((r, i) => r.reporter !== before[i]!.reporter).every((r) => r.reporter === '匿名')).toBe(true);

    // a second run has nothing left to do
    expect((await retention.run(NOW)).reporterLinks).toBe(0);
  });

  it('should prune delivered messages and update ids after their days, and nothing pending', async () => {
    const old = new Date(NOW.getTime() - 4 * DAY_MS);
    const recent = new Date(NOW.getTime() - 1 * DAY_MS);
    const base = { chatId: 1n, payload: '{}', notBefore: old, createdAt: old };
    await l.db.outboxMessage.createMany({
      data: [
        ...Array.from({ length: 30 }, () => ({ ...base, status: 'sent', sentAt: old })),
        { ...base, status: 'sent', sentAt: recent },
        { ...base, status: 'dead' },
        { ...base, status: 'pending' },
      ],
    });
    await l.db.processedUpdate.createMany({ data: [...Array.from({ length: 25 }, (_, i) => ({ updateId: BigInt(i + 1), at: old })), { updateId: 999n, at: recent }] });
    const pendingBefore = await l.db.outboxMessage.count({ where: { status: 'pending' } });
    const sentRecent = await l.db.outboxMessage.count({ where: { status: 'sent', sentAt: { gte: new Date(NOW.getTime() - 3 * DAY_MS) } } });

    const result = await l.services.jobs.cleanup(NOW);
    expect(result.retention).toMatchObject({ outbox: expect.any(Number), updateIds: 25 });
    expect(result.retention!.outbox).toBeGreaterThanOrEqual(31);
    expect(await l.db.outboxMessage.count({ where: { status: 'pending' } })).toBe(pendingBefore);
    expect(await l.db.outboxMessage.count({ where: { status: { in: ['sent', 'dead'] } } })).toBe(sentRecent);
    expect((await l.db.processedUpdate.findMany()).map((u) => u.updateId)).toEqual([999n]);
  });
});

describe('retention settings', () => {
  const env = { BOT_TOKEN: '1:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA' };
  it('should default to a year for reporter links and a few days for messages and update ids', () => {
    expect(loadConfig(env)).toMatchObject({ RETAIN_REPORTER_LINK_DAYS: 365, RETAIN_DELIVERED_MESSAGES_DAYS: 3, RETAIN_UPDATE_IDS_DAYS: 3 });
  });
  it('should name each bad value, and keep update ids longer than Telegram re-delivers', () => {
    expect(() => loadConfig({ ...env, RETAIN_REPORTER_LINK_DAYS: 'a year', RETAIN_UPDATE_IDS_DAYS: '1' })).toThrow(
      /RETAIN_REPORTER_LINK_DAYS must be a number of days[\s\S]*RETAIN_UPDATE_IDS_DAYS must be at least 2 day/,
    );
  });
});
