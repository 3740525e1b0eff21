import crypto from 'node:crypto';
import type { Services } from '../../src/services/index.ts';
import type { User } from '../../src/domain/types.ts';
import { toUser } from '../../src/db/mappers.ts';
import { startDraft } from '../../src/domain/draft.ts';
import type { TestClock } from './clock.ts';
import { HOUR_MS } from '../../src/domain/time.ts';
import { Prng } from '../../src/emulator/limits.ts';

/** The stand-in's seeded PRNG as a function, so a simulated ledger is the same every run. */
export function prng(seed: number): () => number {
  const source = new Prng(seed);
  return () => source.next();
}

/**
 * Builds a ledger the way people would: reports filed through the service over several
 * weeks, acknowledged, resolved, answered (satisfied or not), rejected, some left overdue.
 */
export async function simulateLedger(s: Services, clock: TestClock, options: { seed: number; reports: number; from: Date; hours: number }): Promise<void> {
  const random = prng(options.seed);
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(random() * xs.length)]!;
  const now = clock.now();
  const make = async (role: string, name: string, i: number) =>
    toUser(await s.db.user.create({ data: { telegramId: BigInt(700_000 + i), displayName: name, role, locale: i % 2 ? 'ug' : 'zh', createdAt: now, updatedAt: now } }));
  const cadres: User[] = [await make('cadre', '王磊', 1), await make('cadre', 'Memet', 2), await make('cadre', 'Ali', 3)];
  const residents: User[] = [];
  for (let i = 0; i < 8; i += 1) residents.push(await make('resident', `R${i}`, 10 + i));
  const places = [
    await s.admin.addPlace({ code: 'aqsu', nameUg: 'ئاقسۇ', nameZh: '阿克苏村' }),
    await s.admin.addPlace({ code: 'yengi', nameUg: 'يېڭى ئۆستەڭ', nameZh: '新渠村' }),
  ];
  const categories = await s.catalog.categories();
  for (const c of categories) await s.admin.setDefaultOwner(c.id, pick(cadres).id);

  const step = (options.hours * HOUR_MS) / options.reports;
  for (let i = 0; i < options.reports; i += 1) {
    clock.set(new Date(options.from.getTime() + i * step));
    const reporter = pick(residents);
    const draft = { ...startDraft(crypto.randomUUID(), { staff: false }), categoryId: pick(categories).id, description: `problem ${i}`, placeId: random() < 0.8 ? pick(places).id : null, step: 'confirm' as const };
    const { report } = await s.reports.submit(reporter, draft);
    const owner = cadres.find((c) => c.id === report.ownerId)!;
    const roll = random();
    const later = (hours: number) => clock.set(new Date(clock.now().getTime() + hours * HOUR_MS));
    const base = clock.now();
    if (roll < 0.15) continue; // never touched
    later(random() < 0.7 ? random() * 20 : 24 + random() * 40);
    if (roll < 0.22) {
      await s.reports.act(owner, report.number, { kind: 'reject', reason: 'not a public service' });
    } else {
      await s.reports.act(owner, report.number, { kind: 'acknowledge' });
      if (roll > 0.35) {
        later(random() * 90);
        await s.reports.act(owner, report.number, { kind: 'resolve', note: 'done' });
        if (roll > 0.5) {
          later(random() * 30);
          const answer = random();
          if (answer < 0.6) await s.reports.act(reporter, report.number, { kind: 'satisfied' });
          else if (answer < 0.85) await s.reports.act(reporter, report.number, { kind: 'not_satisfied', reason: 'still broken' });
          else await s.reports.actAsSystem(report.number, { kind: 'no_answer' });
        }
      }
    }
    clock.set(base);
  }
}
