import type { Db } from '../db/client.ts';
import { toCategory, toPlace, toUser } from '../db/mappers.ts';
import type { Clock } from '../domain/time.ts';
import type { Category, Place, User } from '../domain/types.ts';
import { Refused } from './errors.ts';
import { z } from 'zod';

/** The shape of a first-deployment seed file (see prisma/seed.example.json). */
export const SeedFile = z.object({
  places: z
    .array(
      z.object({
        code: z.string().min(1),
        nameUg: z.string().min(1),
        nameZh: z.string().min(1),
        nameEn: z.string().optional(),
        parent: z.string().optional(),
      }),
    )
    .default([]),
  categories: z
    .array(
      z.object({
        code: z.string().regex(/^[a-z0-9_]{1,32}$/),
        slaHours: z.number().int().min(1).max(24 * 90),
        nameUg: z.string().optional(),
        nameZh: z.string().optional(),
        nameEn: z.string().optional(),
        defaultOwnerTelegramId: z.number().int().optional(),
      }),
    )
    .default([]),
  people: z
    .array(
      z.object({
        telegramId: z.number().int(),
        displayName: z.string().min(1),
        role: z.enum(['cadre', 'leader', 'admin']),
        locale: z.enum(['ug', 'zh', 'en']).optional(),
        villages: z.array(z.string()).default([]),
      }),
    )
    .default([]),
  owners: z
    .array(z.object({ village: z.string(), category: z.string(), ownerTelegramId: z.number().int() }))
    .default([]),
});
export type SeedFile = z.infer<typeof SeedFile>;

/** What administrators manage: categories, SLAs, places, owners, and staff roles. */
export class AdminService {
  constructor(private readonly deps: { db: Db; clock: Clock }) {}

  async setSla(categoryId: number, slaHours: number): Promise<Category> {
    return toCategory(await this.deps.db.category.update({ where: { id: categoryId }, data: { slaHours } }));
  }

  async setDefaultOwner(categoryId: number, ownerId: number | null): Promise<Category> {
    if (ownerId !== null) await this.requireStaff(ownerId);
    return toCategory(await this.deps.db.category.update({ where: { id: categoryId }, data: { defaultOwnerId: ownerId } }));
  }

  async setCategoryActive(categoryId: number, active: boolean): Promise<Category> {
    return toCategory(await this.deps.db.category.update({ where: { id: categoryId }, data: { active } }));
  }

  async addCategory(input: { code: string; slaHours: number; nameUg: string; nameZh: string; nameEn?: string }): Promise<Category> {
    const count = await this.deps.db.category.count();
    const row = await this.deps.db.category.upsert({
      where: { code: input.code },
      create: { ...input, sortOrder: count, createdAt: this.deps.clock.now() },
      update: { slaHours: input.slaHours, nameUg: input.nameUg, nameZh: input.nameZh, nameEn: input.nameEn ?? null, active: true },
    });
    return toCategory(row);
  }

  async addPlace(input: { code: string; nameUg: string; nameZh: string; nameEn?: string; parentId?: number }): Promise<Place> {
    const count = await this.deps.db.place.count();
    const row = await this.deps.db.place.upsert({
      where: { code: input.code },
      create: { ...input, sortOrder: count, createdAt: this.deps.clock.now() },
      update: { nameUg: input.nameUg, nameZh: input.nameZh, nameEn: input.nameEn ?? null, active: true },
    });
    return toPlace(row);
  }

  /** The owner of one category in one village (null removes the rule). */
  async setVillageOwner(placeId: number, categoryId: number, ownerId: number | null): Promise<void> {
    const { db } = this.deps;
    if (ownerId === null) {
      await db.ownerRule.deleteMany({ where: { placeId, categoryId } });
      return;
    }
    await this.requireStaff(ownerId);
    await db.ownerRule.upsert({ where: { placeId_categoryId: { placeId, categoryId } }, create: { placeId, categoryId, ownerId }, update: { ownerId } });
  }

  /** Ties a cadre to a village (or unties, when already tied). Returns whether tied now. */
  async toggleCadreVillage(userId: number, placeId: number): Promise<boolean> {
    const { db } = this.deps;
    const key = { userId_placeId: { userId, placeId } };
    if (await db.cadrePlace.findUnique({ where: key })) {
      await db.cadrePlace.delete({ where: key });
      return false;
    }
    await db.cadrePlace.create({ data: { userId, placeId } });
    return true;
  }

  /** The ids of the cadres tied to a village. */
  async cadresOf(placeId: number): Promise<Set<number>> {
    const rows = await this.deps.db.cadrePlace.findMany({ where: { placeId }, select: { userId: true } });
    return new Set(rows.map((r) => r.userId));
  }

  async villagesOf(userId: number): Promise<Place[]> {
    const rows = await this.deps.db.cadrePlace.findMany({ where: { userId }, include: { place: true } });
    return rows.map((r) => toPlace(r.place));
  }

  /**
   * Takes a staff role back, with the default-owner and village-owner rules that name them.
   * Their open reports are not moved silently: the caller learns how many they still own, so
   * that a leader hands them over.
   */
  async revoke(userId: number): Promise<{ user: User; stillOwns: number }> {
    const { db, clock } = this.deps;
    const row = await db.user.update({ where: { id: userId }, data: { role: 'resident', updatedAt: clock.now() } });
    await db.category.updateMany({ where: { defaultOwnerId: userId }, data: { defaultOwnerId: null } });
    await db.ownerRule.deleteMany({ where: { ownerId: userId } });
    const stillOwns = await db.report.count({ where: { ownerId: userId, status: { in: ['assigned', 'acknowledged', 'in_progress', 'needs_info', 'reopened'] } } });
    return { user: toUser(row), stillOwns };
  }

  /** Loads places, categories, staff and owners from a seed file; running it twice changes nothing more. */
  async loadSeed(seed: SeedFile): Promise<{ places: number; categories: number; people: number; owners: number }> {
    const { db, clock } = this.deps;
    const now = clock.now();
    const placeIds = new Map<string, number>();
    for (const p of seed.places.filter((x) => !x.parent).concat(seed.places.filter((x) => x.parent))) {
      const parentId = p.parent ? placeIds.get(p.parent) ?? (await db.place.findUnique({ where: { code: p.parent } }))?.id : undefined;
      const place = await this.addPlace({ code: p.code, nameUg: p.nameUg, nameZh: p.nameZh, nameEn: p.nameEn, parentId });
      placeIds.set(p.code, place.id);
    }
    const userIds = new Map<number, number>();
    for (const person of seed.people) {
      const telegramId = BigInt(person.telegramId);
      const row = await db.user.upsert({
        where: { telegramId },
        create: { telegramId, displayName: person.displayName, role: person.role, locale: person.locale ?? null, createdAt: now, updatedAt: now },
        update: { displayName: person.displayName, role: person.role, ...(person.locale ? { locale: person.locale } : {}), updatedAt: now },
      });
      userIds.set(person.telegramId, row.id);
      for (const v of person.villages) {
        const placeId = placeIds.get(v) ?? (await db.place.findUnique({ where: { code: v } }))?.id;
        if (placeId !== undefined) await db.cadrePlace.upsert({ where: { userId_placeId: { userId: row.id, placeId } }, create: { userId: row.id, placeId }, update: {} });
      }
    }
    const userId = async (telegramId: number) =>
      userIds.get(telegramId) ?? (await db.user.findUnique({ where: { telegramId: BigInt(telegramId) } }))?.id;
    for (const c of seed.categories) {
      const defaultOwnerId = c.defaultOwnerTelegramId !== undefined ? ((await userId(c.defaultOwnerTelegramId)) ?? null) : null;
      const count = await db.category.count();
      await db.category.upsert({
        where: { code: c.code },
        create: { code: c.code, slaHours: c.slaHours, nameUg: c.nameUg, nameZh: c.nameZh, nameEn: c.nameEn, defaultOwnerId, sortOrder: count, createdAt: now },
        update: { slaHours: c.slaHours, nameUg: c.nameUg ?? null, nameZh: c.nameZh ?? null, nameEn: c.nameEn ?? null, defaultOwnerId },
      });
    }
    let owners = 0;
    for (const o of seed.owners) {
      const placeId = placeIds.get(o.village) ?? (await db.place.findUnique({ where: { code: o.village } }))?.id;
      const category = await db.category.findUnique({ where: { code: o.category } });
      const ownerId = await userId(o.ownerTelegramId);
      if (placeId === undefined) throw new Error(`seed: unknown village "${o.village}" in owners`);
      if (!category) throw new Error(`seed: unknown category "${o.category}" in owners`);
      if (ownerId === undefined) throw new Error(`seed: owner ${o.ownerTelegramId} is not among people`);
      await this.setVillageOwner(placeId, category.id, ownerId);
      owners += 1;
    }
    return { places: seed.places.length, categories: seed.categories.length, people: seed.people.length, owners };
  }

  private async requireStaff(userId: number): Promise<void> {
    const user = await this.deps.db.user.findUnique({ where: { id: userId } });
    if (!user || user.role === 'resident') throw new Refused('owner_not_found');
  }
}
