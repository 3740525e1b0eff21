import type { Db } from '../../src/db/client.ts';
import { DAY_MS } from '../../src/domain/time.ts';
import { CatalogService } from '../../src/services/catalog.ts';

/** An owner of the seeded ledger: who they are in Telegram and the numbers of their overdue reports. */
export interface SeededOwner {
  userId: number;
  telegramId: number;
  locale: 'ug' | 'zh';
  firstName: string;
  /** report numbers, ascending */
  numbers: number[];
}

export interface SeededLedger {
  owners: SeededOwner[];
  /** every seeded report */
  reports: number;
}

const RESIDENTS = 10;

/**
 * A large ledger written straight into the database (a few createMany in one transaction):
 * `owners` cadres (telegramId 300000+i, locale alternating ug/zh), each the owner of 1–3
 * assigned reports that fell due 2–4 days before `at`, filed by one of a few residents in one
 * village, plus the default categories.
 */
export async function seedOverdueLedger(db: Db, at: Date, options: { owners?: number } = {}): Promise<SeededLedger> {
  const ownerCount = options.owners ?? 200;
  const longAgo = new Date(at.getTime() - 60 * DAY_MS);
  await new CatalogService({ db }).seedDefaults(longAgo);
  const categories = (await db.category.findMany({ orderBy: { id: 'asc' } })).map((c) => c.id);

  const residents = Array.from({ length: RESIDENTS }, (_, i) => ({
    id: i + 1,
    telegramId: BigInt(200_000 + i),
    displayName: `Resident ${i + 1}`,
    locale: i % 2 === 0 ? 'ug' : 'zh',
    role: 'resident',
    createdAt: longAgo,
    updatedAt: longAgo,
  }));
  const owners: SeededOwner[] = [];
  const reports: Array<{
    number: number;
    categoryId: number;
    placeId: number;
    reporterId: number;
    status: string;
    ownerId: number;
    dueAt: Date;
    createdAt: Date;
    assignedAt: Date;
    updatedAt: Date;
  }> = [];
  let number = 0;
  for (let i = 0; i < ownerCount; i++) {
    const owner: SeededOwner = {
      userId: 1000 + i,
      telegramId: 300_000 + i,
      locale: i % 2 === 0 ? 'ug' : 'zh',
      firstName: `Cadre ${i}`,
      numbers: [],
    };
    const count = 1 + (i % 3);
    for (let k = 0; k < count; k++) {
      number += 1;
      const dueAt = new Date(at.getTime() - (2 + k) * DAY_MS - (i % 60) * 60_000);
      const createdAt = new Date(dueAt.getTime() - 3 * DAY_MS);
      reports.push({
        number,
        categoryId: categories[number % categories.length]!,
        placeId: 1,
        reporterId: 1 + (number % RESIDENTS),
        status: 'assigned',
        ownerId: owner.userId,
        dueAt,
        createdAt,
        assignedAt: createdAt,
        updatedAt: createdAt,
      });
      owner.numbers.push(number);
    }
    owners.push(owner);
  }

  await db.$transaction([
    db.place.create({ data: { id: 1, code: 'aqsu', nameUg: 'ئاقسۇ', nameZh: '阿克苏村', createdAt: longAgo } }),
    db.user.createMany({ data: residents }),
    db.user.createMany({
      data: owners.map((o) => ({
        id: o.userId,
        telegramId: BigInt(o.telegramId),
        displayName: o.firstName,
        locale: o.locale,
        role: 'cadre',
        createdAt: longAgo,
        updatedAt: longAgo,
      })),
    }),
    db.report.createMany({ data: reports }),
  ]);
  return { owners, reports: reports.length };
}

/** Report numbers (#N) listed in a message text; directional isolate marks are ignored. */
export function reportNumbersIn(text: string): number[] {
  const plain = text.replace(/[\u2066-\u2069\u200e\u200f]/g, '');
  return [...plain.matchAll(/#(\d+)/g)].map((m) => Number(m[1])).sort((a, b) => a - b);
}
