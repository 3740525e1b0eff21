import type { Db } from '../db/client.ts';
import { toCategory, toPlace } from '../db/mappers.ts';
import type { Category, Place } from '../domain/types.ts';

export interface NameIndex {
  categories: Map<number, Category>;
  places: Map<number, Place>;
}

/** The default public services, seeded on first start; administrators edit them later. */
export const DEFAULT_CATEGORIES: ReadonlyArray<{ code: string; slaHours: number }> = [
  { code: 'drinking_water', slaHours: 48 },
  { code: 'roads', slaHours: 168 },
  { code: 'health_care', slaHours: 48 },
  { code: 'irrigation', slaHours: 72 },
  { code: 'electricity', slaHours: 48 },
  { code: 'housing_disaster', slaHours: 72 },
  { code: 'school_transport', slaHours: 72 },
  { code: 'livelihood_aid', slaHours: 120 },
  { code: 'other', slaHours: 120 },
];

/** Categories (public services) and places (villages). */
export class CatalogService {
  constructor(private readonly deps: { db: Db }) {}

  /** Creates the default categories when the ledger has none yet. */
  async seedDefaults(now: Date): Promise<number> {
    const { db } = this.deps;
    if ((await db.category.count()) > 0) return 0;
    try {
      await db.category.createMany({
        data: DEFAULT_CATEGORIES.map((c, i) => ({ code: c.code, slaHours: c.slaHours, sortOrder: i, createdAt: now })),
      });
    } catch (error) {
      // another bot process starting at the same moment seeded them first (one statement: all or none)
      if ((error as { code?: string }).code === 'P2002') return 0;
      throw error;
    }
    return DEFAULT_CATEGORIES.length;
  }

  async categories(options: { includeInactive?: boolean } = {}): Promise<Category[]> {
    const rows = await this.deps.db.category.findMany({
      where: options.includeInactive ? {} : { active: true },
      orderBy: [{ sortOrder: 'asc' }, { id: 'asc' }],
    });
    return rows.map(toCategory);
  }

  async category(id: number): Promise<Category | null> {
    const row = await this.deps.db.category.findUnique({ where: { id } });
    return row ? toCategory(row) : null;
  }

  async categoryByCode(code: string): Promise<Category | null> {
    const row = await this.deps.db.category.findUnique({ where: { code } });
    return row ? toCategory(row) : null;
  }

  /** Active villages (top-level places), in their configured order. */
  async villages(): Promise<Place[]> {
    const rows = await this.deps.db.place.findMany({ where: { active: true, parentId: null }, orderBy: [{ sortOrder: 'asc' }, { id: 'asc' }] });
    return rows.map(toPlace);
  }

  /** Every category and place by id, for messages that list many reports (reminders, digests, exports). */
  async nameIndex(): Promise<NameIndex> {
    const [categories, places] = await Promise.all([this.deps.db.category.findMany(), this.deps.db.place.findMany()]);
    return {
      categories: new Map(categories.map((c) => [c.id, toCategory(c)])),
      places: new Map(places.map((p) => [p.id, toPlace(p)])),
    };
  }

  async place(id: number): Promise<Place | null> {
    const row = await this.deps.db.place.findUnique({ where: { id } });
    return row ? toPlace(row) : null;
  }
}
