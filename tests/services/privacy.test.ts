import crypto from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { testLedger, type TestLedger } from '../support/services.ts';
import { startDraft, type ReportDraft } from '../../src/domain/draft.ts';
import { toUser } from '../../src/db/mappers.ts';
import type { User } from '../../src/domain/types.ts';
import { ERASED_NOTE, ERASED_TELEGRAM_ID } from '../../src/domain/privacy.ts';
import { HOUR_MS } from '../../src/domain/time.ts';
import type { Role } from '../../src/domain/lifecycle.ts';

let l: TestLedger;
let seq = 0;
beforeEach(async () => {
  l = await testLedger('2026-11-09T04:00:00Z');
});
afterEach(async () => {
  await l.close();
});

async function person(role: Role, name: string, locale: 'ug' | 'zh' | 'en' = 'zh'): Promise<User> {
  seq += 1;
  const now = l.clock.now();
  return toUser(await l.db.user.create({ data: { telegramId: BigInt(500_000 + seq), displayName: name, role, locale, createdAt: now, updatedAt: now } }));
}

async function file(reporter: User, extra: Partial<ReportDraft> = {}) {
  const categories = await l.services.catalog.categories();
  const draft: ReportDraft = { ...startDraft(crypto.randomUUID(), { staff: false }), categoryId: categories[0]!.id, description: 'the pipe at the mosque road is broken', placeId: null, step: 'confirm', ...extra };
  return (await l.services.reports.submit(reporter, draft)).report;
}

const later = (hours: number) => l.clock.set(new Date(l.clock.now().getTime() + hours * HOUR_MS));

describe('forgetting a person', () => {
  it('should erase the person and what they sent, keep their reports anonymous, and tell the owner of the open one', async () => {
    const cadre = await person('cadre', '王磊');
    await l.services.admin.setDefaultOwner((await l.services.catalog.categories())[0]!.id, cadre.id);
    const ayshem = await person('resident', 'Ayshem', 'ug');
    const other = await person('resident', 'Other');
    const open = await file(ayshem, { voice: { fileId: 'VOICE-1', duration: 9 }, photos: [{ fileId: 'PHOTO-1' }], location: { latitude: 41.1, longitude: 80.2 } });
    later(1);
    await l.services.reports.act(cadre, open.number, { kind: 'acknowledge' });
    await l.services.reports.act(cadre, open.number, { kind: 'ask', question: 'which house?' });
    later(1);
    await l.services.reports.act(ayshem, open.number, { kind: 'answer', answer: 'the third house, my phone 13912345678' });
    const closed = await file(ayshem);
    await l.services.reports.act(cadre, closed.number, { kind: 'acknowledge' });
    await l.services.reports.act(cadre, closed.number, { kind: 'resolve', note: 'replaced the pipe' });
    await l.services.reports.act(ayshem, closed.number, { kind: 'satisfied' });
    const theirs = await file(other, { description: 'no water at the school tap since Monday' });
    await l.services.reports.join(ayshem, theirs.number);
    await l.services.drafts.save(ayshem.id, 'report', { hello: 'draft' });
    const figuresBefore = await l.services.digests.figures('week');

    const preview = await l.services.privacy.preview(ayshem);
    // texts: a description and an answer on one, a description on the other; drafts: the report draft and the question prompt
    expect(preview).toEqual({ reports: 2, open: 1, texts: 3, media: 2, drafts: 2, pending: expect.any(Number) });
    expect(preview.pending).toBeGreaterThan(0);
    const outboxBefore = await l.db.outboxMessage.count();
    const relayed = await l.db.outboxMessage.count({ where: { chatId: BigInt(cadre.telegramId), status: 'pending', payload: { contains: '13912345678' } } });
    expect(relayed).toBe(1);
    await l.services.privacy.forget(ayshem);
    // what they sent is no longer on its way to anyone: their answer, their voice message, their photo
    for (const sent of ['13912345678', 'VOICE-1', 'PHOTO-1', 'the pipe at the mosque road']) expect(await l.db.outboxMessage.count({ where: { payload: { contains: sent } } })).toBe(0);
    // someone else's messages are untouched
    expect(await l.db.outboxMessage.count({ where: { status: 'pending', chatId: BigInt(cadre.telegramId), payload: { contains: 'no water at the school tap' } } })).toBe(1);

    expect(await l.db.user.findUnique({ where: { id: ayshem.id } })).toBeNull();
    expect(await l.db.outboxMessage.count({ where: { chatId: BigInt(ayshem.telegramId) } })).toBe(0);
    expect(await l.db.draft.count({ where: { userId: ayshem.id } })).toBe(0);
    expect(await l.db.reportFollower.count({ where: { userId: ayshem.id } })).toBe(0);
    const erased = await l.db.user.findUniqueOrThrow({ where: { telegramId: BigInt(ERASED_TELEGRAM_ID) } });
    for (const n of [open.number, closed.number]) {
      const row = await l.db.report.findUniqueOrThrow({ where: { number: n }, include: { attachments: true, events: true } });
      expect(row).toMatchObject({ reporterId: erased.id, anonymous: true, description: '', latitude: null, longitude: null, ownerId: cadre.id, categoryId: open.category.id });
      expect(row.attachments).toEqual([]);
      expect(row.events.some((e) => e.kind === 'reporter_left')).toBe(true);
      // the cadre's words stay, the reporter's are erased
      expect(JSON.stringify(row)).not.toContain('13912345678');
      expect(row.events.filter((e) => e.actorId === ayshem.id)).toEqual([]);
    }
    const events = await l.db.reportEvent.findMany({ where: { report: { number: open.number } }, orderBy: { id: 'asc' } });
    expect(events.find((e) => e.kind === 'question')?.note).toBe('which house?');
    expect(events.find((e) => e.kind === 'answer')?.note).toBe(ERASED_NOTE);
    expect((await l.db.report.findUniqueOrThrow({ where: { number: closed.number } })).resolutionNote).toBe('replaced the pipe');
    // another household's report they joined: still counts them, no longer tells them anything
    expect(await l.db.report.findUniqueOrThrow({ where: { number: theirs.number } })).toMatchObject({ affectedHouseholds: 2, reporterId: other.id });

    // the owner hears that the reporter left, on the open report only
    const owed = await l.db.outboxMessage.findMany({ where: { chatId: BigInt(cadre.telegramId), id: { gt: outboxBefore } } });
    expect(owed.map((m) => JSON.parse(m.payload).params.text as string).filter((t) => t.includes('反映人已要求删除'))).toHaveLength(1);
    expect(await l.services.digests.figures('week')).toEqual(figuresBefore);

    // nobody is asked anything on their behalf any more
    await expect(l.services.reports.act(cadre, open.number, { kind: 'ask', question: 'still there?' })).rejects.toMatchObject({ code: 'reporter_left' });
    const pendingBefore = await l.db.outboxMessage.count({ where: { status: 'pending' } });
    await l.services.reports.act(cadre, open.number, { kind: 'resolve', note: 'fixed' });
    const newOwed = await l.db.outboxMessage.findMany({ where: { status: 'pending' }, orderBy: { id: 'asc' }, skip: pendingBefore });
    expect(newOwed.map((m) => Number(m.chatId))).not.toContain(ERASED_TELEGRAM_ID);
    later(24 * 4);
    expect((await l.services.jobs.followups(l.clock.now())).reminded).toBe(0);

    // the same Telegram account writing again is a new resident
    const again = await l.services.users.identify({ id: ayshem.telegramId, first_name: 'Ayshem' });
    expect(again.id).not.toBe(ayshem.id);
    expect(again.role).toBe('resident');
    expect(await l.services.reports.summaries(again)).toEqual([]);
  });

  it('should refuse staff who still own open reports, and the last administrator', async () => {
    const admin = await person('admin', 'Admin');
    const cadre = await person('cadre', 'Memet');
    await l.services.admin.setDefaultOwner((await l.services.catalog.categories())[0]!.id, cadre.id);
    const resident = await person('resident', 'R');
    const report = await file(resident);
    await expect(l.services.privacy.preview(cadre)).rejects.toMatchObject({ code: 'hand_over_first' });
    await expect(l.services.privacy.forget(cadre)).rejects.toMatchObject({ code: 'hand_over_first' });
    await expect(l.services.privacy.forget(admin)).rejects.toMatchObject({ code: 'last_admin' });
    expect(await l.db.user.count({ where: { id: { in: [admin.id, cadre.id] } } })).toBe(2);

    // once handed over, the cadre goes; the village routing they had goes back to the leaders
    await l.services.reports.act(admin, report.number, { kind: 'assign', ownerId: admin.id });
    await l.services.privacy.forget(cadre);
    expect(await l.db.category.count({ where: { defaultOwnerId: cadre.id } })).toBe(0);
    // with a second administrator, the first may go
    const second = await person('admin', 'Second');
    await l.services.reports.act(second, report.number, { kind: 'assign', ownerId: second.id });
    await l.services.privacy.forget(admin);
    expect(await l.db.user.count({ where: { role: 'admin' } })).toBe(1);
    expect(await l.db.reportEvent.count({ where: { actorId: admin.id } })).toBe(0);
  });

  it('should erase a household filed on its behalf, by the cadre who filed it or an administrator only', async () => {
    const cadre = await person('cadre', 'Memet');
    const otherCadre = await person('cadre', 'Ali');
    const admin = await person('admin', 'Admin');
    await l.services.admin.setDefaultOwner((await l.services.catalog.categories())[0]!.id, cadre.id);
    const report = await file(cadre, { onBehalf: true, householdLabel: 'No. 14, Aygul', householdPhone: '13800001111', photos: [{ fileId: 'P' }] });
    await l.services.reports.act(cadre, report.number, { kind: 'acknowledge' });
    await expect(l.services.privacy.forgetHousehold(otherCadre, report.number)).rejects.toMatchObject({ code: 'not_permitted' });
    const mine = await file(cadre);
    await expect(l.services.privacy.forgetHousehold(admin, mine.number)).rejects.toMatchObject({ code: 'not_permitted' });
    await expect(l.services.privacy.householdPreview(cadre, report.number)).resolves.toEqual({ label: 'No. 14, Aygul' });

    const erased = await l.services.privacy.forgetHousehold(cadre, report.number);
    expect(erased).toMatchObject({ householdLabel: null, householdPhone: null, anonymous: true, description: '', ownerId: cadre.id, status: 'acknowledged' });
    expect(erased.attachments).toEqual([]);
    expect(JSON.stringify(await l.db.report.findUniqueOrThrow({ where: { id: report.id } }))).not.toMatch(/Aygul|13800001111/);
    // the cadre's own work on it stays theirs; only the filing is no longer theirs
    const events = await l.db.reportEvent.findMany({ where: { reportId: report.id }, orderBy: { id: 'asc' } });
    expect(events.find((e) => e.kind === 'transition')?.actorId).toBe(cadre.id);
    expect(events.find((e) => e.kind === 'created')?.actorId).not.toBe(cadre.id);
    expect(await l.db.user.findUnique({ where: { id: cadre.id } })).not.toBeNull();
    // an erased household is no household any more: nothing left to erase
    await expect(l.services.privacy.forgetHousehold(admin, report.number)).rejects.toMatchObject({ code: 'not_permitted' });
  });
});

describe('what a report keeps', () => {
  it('should hold no Telegram username or phone, unless the reporter typed one into the description', async () => {
    const li = await person('resident', '李华');
    const quiet = await file(li, { description: '水管坏了' });
    const typed = await file(li, { description: '水管坏了，电话13900001234' });
    const row = await l.db.report.findUniqueOrThrow({ where: { id: quiet.id } });
    expect(JSON.stringify(row, (_, v: unknown) => (typeof v === 'bigint' ? String(v) : v))).not.toMatch(/\d{11}|@\w|李华/);
    expect(Object.keys(row)).not.toEqual(expect.arrayContaining(['username']));
    expect((await l.db.report.findUniqueOrThrow({ where: { id: typed.id } })).description).toContain('13900001234');
  });
});
