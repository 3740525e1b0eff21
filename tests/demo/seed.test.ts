import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase, type Db } from '../../src/db/client.ts';
import { seedDemo, type DemoSeedSummary } from '../../src/demo/seed.ts';
import { PAGE_PEOPLE } from '../../src/demo/people.ts';
import { DAY_MS } from '../../src/domain/time.ts';

const NOW = new Date('2026-11-30T06:00:00Z');
let dir: string;
let db: Db;
let summary: DemoSeedSummary;

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vd-seed-'));
  summary = await seedDemo(`file:${path.join(dir, 'demo.db')}`, NOW);
  db = await openDatabase(`file:${path.join(dir, 'demo.db')}`);
}, 60_000);
afterAll(async () => {
  await db?.$disconnect();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('the demo ledger', () => {
  it('should hold reports in every state, filed over the last four weeks and never after now', async () => {
    expect(Object.keys(summary.byStatus).sort()).toEqual(
      ['acknowledged', 'assigned', 'closed', 'duplicate', 'in_progress', 'needs_info', 'new', 'rejected', 'reopened', 'resolved'].sort(),
    );
    const reports = await db.report.findMany();
    expect(reports.length).toBe(summary.reports);
    expect(reports.length).toBeGreaterThanOrEqual(30);
    for (const r of reports) {
      expect(r.createdAt.getTime()).toBeGreaterThanOrEqual(NOW.getTime() - 28 * DAY_MS);
      expect(r.updatedAt.getTime()).toBeLessThanOrEqual(NOW.getTime());
    }
    // some are overdue, so the jobs have reminders to send
    expect(reports.some((r) => r.dueAt !== null && r.dueAt < NOW && ['assigned', 'acknowledged', 'in_progress'].includes(r.status))).toBe(true);
  });

  it('should be written in both languages by both kinds of villagers, the page villagers among them', async () => {
    const reports = await db.report.findMany({ include: { reporter: true } });
    expect(reports.some((r) => /[\u0600-\u06FF]/.test(r.description))).toBe(true);
    expect(reports.some((r) => /[\u4E00-\u9FFF]/.test(r.description))).toBe(true);
    const reporters = new Set(reports.map((r) => Number(r.reporter.telegramId)));
    for (const p of PAGE_PEOPLE.filter((x) => x.role === 'resident')) expect(reporters.has(p.id)).toBe(true);
  });

  it('should have staff in every role, the page people among them, and the leaders group bound', async () => {
    const users = await db.user.findMany();
    for (const p of PAGE_PEOPLE.filter((x) => x.role !== 'group' && x.role !== 'resident')) {
      expect(users.find((u) => Number(u.telegramId) === p.id)?.role).toBe(p.role);
    }
    expect(new Set(users.map((u) => u.role))).toEqual(new Set(['resident', 'cadre', 'leader', 'admin']));
    const groupId = PAGE_PEOPLE.find((p) => p.role === 'group')!.id;
    expect(JSON.stringify(await db.setting.findMany())).toContain(String(groupId));
  });

  it('should start with nothing owed: the past was delivered long ago', async () => {
    expect(await db.outboxMessage.count()).toBe(0);
  });
});
