import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { outbox, person, report, testLedger, village, type TestLedger } from '../support/services.ts';
import { DAY_MS, HOUR_MS } from '../../src/domain/time.ts';

// Monday 2026-11-09 10:00 in Urumqi (UTC+6)
const MONDAY_10 = new Date('2026-11-09T04:00:00Z');
const days = (n: number) => n * DAY_MS;
const before = (ms: number) => new Date(MONDAY_10.getTime() - ms);

let l: TestLedger;
let owner: { id: number; telegramId: number };
let otherOwner: { id: number; telegramId: number };
let leader: { id: number; telegramId: number };
let reporter: { id: number; telegramId: number };
let aqsu: number;

beforeEach(async () => {
  l = await testLedger(MONDAY_10.toISOString());
  owner = await person(l.db, 'cadre', '王磊', 'zh');
  otherOwner = await person(l.db, 'cadre', 'Memet', 'ug');
  leader = await person(l.db, 'leader', '张', 'zh');
  reporter = await person(l.db, 'resident', 'Ayshem', 'ug');
  aqsu = await village(l.db, 'aqsu', 'ئاقسۇ', '阿克苏村');
});
afterEach(async () => {
  await l.close();
});

describe('reminders', () => {
  it('should send each owner one message listing only their overdue reports', async () => {
    const late1 = await report(l.db, { reporterId: reporter.id, ownerId: owner.id, placeId: aqsu, createdAt: before(days(5)), dueAt: before(days(3) + HOUR_MS) });
    const late2 = await report(l.db, { reporterId: reporter.id, ownerId: owner.id, categoryCode: 'roads', createdAt: before(days(2)), dueAt: before(HOUR_MS) });
    await report(l.db, { reporterId: reporter.id, ownerId: owner.id, createdAt: before(days(1)), dueAt: new Date(MONDAY_10.getTime() + DAY_MS) }); // not due yet
    await report(l.db, { reporterId: reporter.id, ownerId: owner.id, status: 'resolved', createdAt: before(days(9)), dueAt: before(days(5)) }); // resolved
    await report(l.db, { reporterId: reporter.id, ownerId: otherOwner.id, status: 'in_progress', createdAt: before(days(9)), dueAt: before(days(1)) });

    expect(await l.services.jobs.reminders(MONDAY_10)).toEqual({ owners: 2, reports: 3 });
    const sent = await outbox(l.db);
    expect(sent.map((m) => m.chatId).sort()).toEqual([owner.telegramId, otherOwner.telegramId].sort());
    const mine = sent.find((m) => m.chatId === owner.telegramId)!;
    expect(mine.text).toContain('您有2个问题已超期');
    expect(mine.text).toContain(`#${late1.number} · 饮水 · 阿克苏村 · 超期3天`);
    expect(mine.text).toContain(`#${late2.number} · 道路 · — · 超期1天`);
    expect(mine.priority).toBe(1);
    expect(mine.notBefore).toEqual(MONDAY_10);
    expect(JSON.stringify(mine.keyboard)).toContain(`r:${late1.number}:open`);
    const theirs = sent.find((m) => m.chatId === otherOwner.telegramId)!;
    expect(theirs.text).toMatch(/^\u200F⏰ <b>سىزدە مۆھلىتى ئۆتكەن/);
    const counts = await l.db.report.findMany({ select: { number: true, reminderCount: true }, orderBy: { number: 'asc' } });
    expect(counts.map((c) => c.reminderCount)).toEqual([1, 1, 0, 0, 1]);
  });

  it('should owe nothing twice when run again for the same day', async () => {
    await report(l.db, { reporterId: reporter.id, ownerId: owner.id, createdAt: before(days(5)), dueAt: before(days(1)) });
    await l.services.jobs.reminders(MONDAY_10);
    expect(await l.services.jobs.reminders(new Date(MONDAY_10.getTime() + HOUR_MS))).toEqual({ owners: 0, reports: 0 });
    expect(await outbox(l.db)).toHaveLength(1);
    expect((await l.db.report.findFirstOrThrow()).reminderCount).toBe(1);
    // the next day it is owed again
    expect((await l.services.jobs.reminders(new Date(MONDAY_10.getTime() + DAY_MS))).owners).toBe(1);
  });

  it('should hold reminders found during quiet hours until 09:00', async () => {
    await report(l.db, { reporterId: reporter.id, ownerId: owner.id, createdAt: before(days(5)), dueAt: before(days(1)) });
    const night = new Date('2026-11-09T16:30:00Z'); // 22:30 local
    await l.services.jobs.reminders(night);
    expect((await outbox(l.db))[0]!.notBefore).toEqual(new Date('2026-11-10T03:00:00Z')); // 09:00 local next day
  });

  it('should owe nothing when nothing is overdue', async () => {
    await report(l.db, { reporterId: reporter.id, ownerId: owner.id, createdAt: before(days(1)), dueAt: new Date(MONDAY_10.getTime() + HOUR_MS) });
    expect(await l.services.jobs.reminders(MONDAY_10)).toEqual({ owners: 0, reports: 0 });
    expect(await outbox(l.db)).toEqual([]);
  });
});

describe('escalations', () => {
  it('should escalate to the leaders once per report and level', async () => {
    const long = await report(l.db, { reporterId: reporter.id, ownerId: owner.id, createdAt: before(days(9)), dueAt: before(days(4) + HOUR_MS) });
    const nagged = await report(l.db, { reporterId: reporter.id, ownerId: owner.id, createdAt: before(days(3)), dueAt: before(days(1)), reminderCount: 3 });
    await report(l.db, { reporterId: reporter.id, ownerId: owner.id, createdAt: before(days(4)), dueAt: before(days(2)) }); // overdue, not yet escalated

    expect(await l.services.jobs.escalations(MONDAY_10)).toEqual({ reports: 2 });
    const first = await outbox(l.db);
    expect(first).toHaveLength(1);
    expect(first[0]!.chatId).toBe(leader.telegramId);
    expect(first[0]!.text).toContain('2个问题长期超期');
    expect(first[0]!.text).toContain(`#${long.number} · 饮水 · — · 王磊 · 超期4天（第1级）`);
    expect(first[0]!.text).toContain(`#${nagged.number}`);

    // same moment again: nothing new
    expect(await l.services.jobs.escalations(MONDAY_10)).toEqual({ reports: 0 });
    // three days later the long one reaches level 2; the others stay where they are
    expect(await l.services.jobs.escalations(new Date(MONDAY_10.getTime() + days(3)))).toEqual({ reports: 2 });
    const levels = await l.db.report.findMany({ orderBy: { number: 'asc' }, select: { escalationLevel: true } });
    expect(levels.map((r) => r.escalationLevel)).toEqual([2, 1, 1]);
    const events = await l.db.reportEvent.findMany({ where: { kind: 'escalated' } });
    expect(events).toHaveLength(4);
  });

  it('should go to the leaders group when one is bound', async () => {
    await l.services.settings.bindLeadersGroup(-100777, 'ug');
    await report(l.db, { reporterId: reporter.id, ownerId: null, status: 'new', createdAt: before(days(9)), dueAt: before(days(5)) });
    await l.services.jobs.escalations(MONDAY_10);
    const sent = await outbox(l.db);
    expect(sent.map((m) => m.chatId)).toEqual([-100777]);
    expect(sent[0]!.text).toContain('مەسئۇلى يوق');
  });
});

describe('satisfaction follow-up', () => {
  it('should remind the reporter once after 3 days and close as no answer after 7', async () => {
    const r = await report(l.db, { reporterId: reporter.id, ownerId: owner.id, status: 'resolved', createdAt: before(days(6)), dueAt: before(days(4)), resolvedAt: before(days(3) + HOUR_MS) });
    expect(await l.services.jobs.followups(MONDAY_10)).toEqual({ reminded: 1, closed: 0 });
    const sent = await outbox(l.db);
    expect(sent).toHaveLength(1);
    expect(sent[0]!.chatId).toBe(reporter.telegramId);
    expect(sent[0]!.text).toContain('رازىمۇسىز');
    expect(JSON.stringify(sent[0]!.keyboard)).toContain(`r:${r.number}:yes`);
    expect(await l.services.jobs.followups(new Date(MONDAY_10.getTime() + DAY_MS))).toEqual({ reminded: 0, closed: 0 });
    expect(await l.services.jobs.followups(new Date(MONDAY_10.getTime() + days(4)))).toEqual({ reminded: 0, closed: 1 });
    const closed = await l.db.report.findUniqueOrThrow({ where: { id: r.id } });
    expect(closed).toMatchObject({ status: 'closed', satisfaction: 'no_answer' });
    const event = await l.db.reportEvent.findFirstOrThrow({ where: { reportId: r.id, toStatus: 'closed' } });
    expect(event.actorId).toBeNull();
  });
});

describe('cleanup', () => {
  it('should drop drafts older than 24 hours and expired invitations', async () => {
    const drafts = l.services.drafts;
    await drafts.save(reporter.id, 'report', { step: 'category' });
    await l.services.invites.create({ id: leader.id, telegramId: leader.telegramId, displayName: '张', locale: 'zh', role: 'admin', unreachableAt: null }, 'cadre');
    expect(await l.services.jobs.cleanup(new Date(MONDAY_10.getTime() + 23 * HOUR_MS))).toMatchObject({ drafts: 0, invites: 0 });
    expect(await l.services.jobs.cleanup(new Date(MONDAY_10.getTime() + 25 * HOUR_MS))).toMatchObject({ drafts: 1, invites: 0 });
    expect(await l.services.jobs.cleanup(new Date(MONDAY_10.getTime() + 73 * HOUR_MS))).toMatchObject({ invites: 1 });
  });
});

describe('scheduler lease', () => {
  it('should let only one process hold the lease until it runs out or is released', async () => {
    const a = l.services.lease('process-a', l.clock);
    const b = l.services.lease('process-b', l.clock);
    expect(await a.acquire('scheduler')).toBe(true);
    expect(await b.acquire('scheduler')).toBe(false);
    expect(await a.acquire('scheduler')).toBe(true); // renewal
    l.clock.advance(31_000);
    expect(await b.acquire('scheduler')).toBe(true); // a stopped renewing
    expect(await a.acquire('scheduler')).toBe(false);
    await b.release('scheduler');
    expect(await a.acquire('scheduler')).toBe(true);
  });
});
