import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testLedger, type TestLedger } from '../support/services.ts';
import { simulateLedger } from '../support/simulate.ts';
import { OPEN_STATUSES, isStatus } from '../../src/domain/lifecycle.ts';
import { median, periodBounds, resolutionRate, responseRate, satisfactionRate, type Answer, type Period, type PeriodKind } from '../../src/domain/rates.ts';

// the ledger is built over four weeks before Wednesday 2026-11-25 15:00 in Urumqi
const NOW = new Date('2026-11-25T09:00:00Z');
let l: TestLedger;

beforeAll(async () => {
  l = await testLedger('2026-10-26T00:00:00Z');
  await simulateLedger(l.services, l.clock, { seed: 11, reports: 160, from: new Date('2026-10-28T02:00:00Z'), hours: 24 * 28 });
  l.clock.set(NOW);
}, 60_000);
afterAll(async () => {
  await l.close();
});

/** The same figures computed in plain JavaScript from every row: what a leader with the spreadsheet would get. */
async function expected(kind: PeriodKind) {
  const reports = await l.db.report.findMany();
  const events = await l.db.reportEvent.findMany();
  const { current, previous } = periodBounds(kind, NOW, 'Asia/Urumqi');
  const inside = (at: Date | null, p: Period) => at !== null && at >= p.start && at < p.end;
  const asOf = (p: Period) => new Date(Math.min(p.end.getTime(), NOW.getTime()));
  const openAt = (r: (typeof reports)[number], t: Date) => r.createdAt < t && (r.closedAt === null || r.closedAt >= t) && (r.resolvedAt === null || r.resolvedAt >= t);
  const counts = (p: Period) => ({
    new: reports.filter((r) => inside(r.createdAt, p)).length,
    open: reports.filter((r) => openAt(r, asOf(p))).length,
    overdue: reports.filter((r) => openAt(r, asOf(p)) && r.dueAt < asOf(p)).length,
    resolved: events.filter((e) => e.toStatus === 'resolved' && inside(e.at, p)).length,
    closed: events.filter((e) => e.toStatus === 'closed' && inside(e.at, p)).length,
  });
  const entries = reports.map((r) => ({ ...r, status: isStatus(r.status) ? r.status : 'new' }));
  const answers = events
    .filter((e) => e.fromStatus === 'resolved' && (e.toStatus === 'closed' || e.toStatus === 'reopened'))
    .map((e) => ({ at: e.at, answer: (e.toStatus === 'reopened' ? 'not_satisfied' : e.actorId === null ? 'no_answer' : 'satisfied') as Answer }));
  const satisfaction = satisfactionRate(answers, current);
  return {
    counts: counts(current),
    previousCounts: counts(previous),
    response: responseRate(entries, current, NOW),
    resolution: resolutionRate(entries, current, NOW),
    satisfaction: satisfaction.rate,
    noAnswer: satisfaction.noAnswer,
    medianAcknowledgeMs: median(reports.filter((r) => inside(r.acknowledgedAt, current)).map((r) => r.acknowledgedAt!.getTime() - r.createdAt.getTime())),
    medianResolveMs: median(reports.filter((r) => inside(r.resolvedAt, current)).map((r) => r.resolvedAt!.getTime() - r.createdAt.getTime())),
    oldest: reports
      .filter((r) => (OPEN_STATUSES as readonly string[]).includes(r.status) && r.dueAt < NOW)
      .sort((a, b) => a.dueAt.getTime() - b.dueAt.getTime())
      .slice(0, 5)
      .map((r) => r.number),
  };
}

describe('digest figures', () => {
  for (const kind of ['today', 'week', 'month'] as const) {
    it(`should compute ${kind}'s figures in the database exactly as they are defined`, async () => {
      const f = await l.services.digests.figures(kind, NOW);
      const e = await expected(kind);
      expect(f.counts).toEqual(e.counts);
      expect(f.previousCounts).toEqual(e.previousCounts);
      expect(f.response).toEqual(e.response);
      expect(f.resolution).toEqual(e.resolution);
      expect(f.satisfaction).toEqual(e.satisfaction);
      expect(f.noAnswer).toBe(e.noAnswer);
      expect(f.medianAcknowledgeMs).toBe(e.medianAcknowledgeMs);
      expect(f.medianResolveMs).toBe(e.medianResolveMs);
      expect(f.oldestOverdue.map((o) => o.number)).toEqual(e.oldest);
    });
  }

  it('should have data to compare in the month (the simulation is not empty)', async () => {
    const e = await expected('month');
    expect(e.counts.new).toBeGreaterThan(50);
    expect(e.response.denominator).toBeGreaterThan(20);
    expect(e.resolution.denominator).toBeGreaterThan(10);
    expect(e.satisfaction.denominator).toBeGreaterThan(5);
    expect(e.oldest.length).toBe(5);
  });

  it('should add up: category and village groups sum to the totals', async () => {
    const f = await l.services.digests.figures('month', NOW);
    const sum = (gs: typeof f.byCategory, k: 'new' | 'open' | 'overdue') => gs.reduce((a, g) => a + g[k], 0);
    for (const k of ['new', 'open', 'overdue'] as const) {
      expect(sum(f.byCategory, k)).toBe(f.counts[k]);
      expect(sum(f.byVillage, k)).toBe(f.counts[k]);
    }
    expect(f.trend).toHaveLength(8);
    expect(f.trend.reduce((a, w) => a + w.created, 0)).toBeGreaterThan(100);
  });

  it('should show "no data" for an empty ledger instead of dividing by zero', async () => {
    const empty = await testLedger(NOW.toISOString());
    try {
      const f = await empty.services.digests.figures('week', NOW);
      expect(f.response.value).toBeNull();
      expect(f.resolution.value).toBeNull();
      expect(f.satisfaction.value).toBeNull();
      expect(f.medianResolveMs).toBeNull();
      const view = await empty.services.digests.render(f, { locale: 'zh' });
      expect(view.parts.join('\n')).toContain('响应率（24小时内受理）：暂无数据');
      expect(view.chart.subarray(1, 4).toString()).toBe('PNG');
    } finally {
      await empty.close();
    }
  });

  it('should render in Uyghur and Chinese without any reporter name', async () => {
    const f = await l.services.digests.figures('month', NOW);
    for (const locale of ['ug', 'zh'] as const) {
      const view = await l.services.digests.render(f, { locale });
      const text = view.parts.join('\n');
      for (const part of view.parts) expect(part.length).toBeLessThanOrEqual(4096);
      for (let i = 0; i < 8; i += 1) expect(text).not.toMatch(new RegExp(`\\bR${i}\\b`));
      expect(text).toContain(locale === 'ug' ? 'ۋاقتىدا قوبۇل قىلىش نىسبىتى' : '响应率');
      expect(view.keyboard?.inline_keyboard[0]).toHaveLength(5);
    }
  });
});

describe('digest rendering', () => {
  it('should split a long digest on line boundaries within Telegram limits', async () => {
    const f = await l.services.digests.figures('month', NOW);
    const many = Array.from({ length: 400 }, (_, i) => ({ id: 10_000 + i, new: i, open: 1, overdue: 0, resolved: 2, resolution: { numerator: 1, denominator: 2, value: 0.5 } }));
    const { renderDigest } = await import('../../src/notify/digestView.ts');
    const names = { ...(await l.services.catalog.nameIndex()), owners: new Map<number, string>() };
    for (let i = 0; i < 400; i += 1) names.places.set(10_000 + i, { id: 10_000 + i, code: `v${i}`, names: { ug: `كەنت ${i}`, zh: `第${i}村` }, parentId: null, active: true });
    const view = await renderDigest({ ...f, byVillage: many }, names, l.services.notices.reader('zh'));
    expect(view.parts.length).toBeGreaterThan(1);
    for (const part of view.parts) expect(part.length).toBeLessThanOrEqual(4096);
    const lines = view.parts.join('\n').split('\n');
    for (let i = 0; i < 400; i += 1) expect(lines).toContain(`第${i}村：${i} · 1 · 0 · 2`);
  });
});
