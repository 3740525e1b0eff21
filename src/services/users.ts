import type { Db } from '../db/client.ts';
import { toUser } from '../db/mappers.ts';
import type { HotPath, UserRow } from '../db/hot.ts';
import { resolveLocale } from '../domain/locale.ts';
import type { Clock } from '../domain/time.ts';
import type { User } from '../domain/types.ts';
import type { Role } from '../domain/lifecycle.ts';
import type { Locale } from '../i18n/index.ts';

/** What Telegram tells us about the sender; we keep only the id and a display name. */
export interface TelegramPerson {
  id: number;
  first_name: string;
  last_name?: string;
  /** the Telegram client's language: the first guess of theirs, stored at first contact */
  language_code?: string;
}

/** People and their roles. */
export class UserService {
  constructor(private readonly deps: { db: Db; hot: HotPath; clock: Clock; adminIds: readonly number[]; defaultLocale: Locale }) {}

  /**
   * The user behind an update, created on first contact. ADMIN_TELEGRAM_IDS are admins from
   * the first start. Writing again means they are reachable again.
   */
  async identify(person: TelegramPerson): Promise<User> {
    const { db, clock, adminIds } = this.deps;
    const displayName = [person.first_name, person.last_name].filter(Boolean).join(' ').slice(0, 128) || String(person.id);
    const telegramId = BigInt(person.id);
    const isConfiguredAdmin = adminIds.includes(person.id);
    // every update passes here: read on the hot path, write only when something changed
    const current = (row: UserRow | undefined): row is UserRow =>
      row !== undefined && row.displayName === displayName && row.unreachableAt === null && (!isConfiguredAdmin || row.role === 'admin');
    const existing = await this.deps.hot.userByTelegramId(person.id);
    if (current(existing)) return toUser(existing);
    const now = clock.now();
    if (!existing) {
      // first contact (a crowd of them after an announcement): one insert on the hot path
      const locale = person.language_code === undefined ? null : resolveLocale(null, person.language_code, this.deps.defaultLocale);
      const created = await this.deps.hot.createUser({ telegramId: person.id, displayName, role: isConfiguredAdmin ? 'admin' : 'resident', locale, nowMs: now.getTime() });
      if (current(created)) return toUser(created);
    }
    const row = await db.user.upsert({
      where: { telegramId },
      create: { telegramId, displayName, role: isConfiguredAdmin ? 'admin' : 'resident', createdAt: now, updatedAt: now },
      update: { displayName, unreachableAt: null, ...(isConfiguredAdmin ? { role: 'admin' } : {}), updatedAt: now },
    });
    return toUser(row);
  }

  async setLocale(userId: number, locale: Locale): Promise<void> {
    await this.deps.db.user.update({ where: { id: userId }, data: { locale, updatedAt: this.deps.clock.now() } });
  }

  /** Telegram said 403: they blocked the bot. Cleared when they write again. */
  async markUnreachable(userId: number): Promise<void> {
    await this.deps.db.user.update({ where: { id: userId }, data: { unreachableAt: this.deps.clock.now() } });
  }

  async byId(id: number): Promise<User | null> {
    const row = await this.deps.db.user.findUnique({ where: { id } });
    return row ? toUser(row) : null;
  }

  /** Everyone with a staff role, leaders and admins first. */
  async staff(): Promise<User[]> {
    const rows = await this.deps.db.user.findMany({ where: { role: { not: 'resident' } }, orderBy: [{ role: 'asc' }, { id: 'asc' }] });
    return rows.map(toUser);
  }

  /** Users with one of the roles. */
  async withRoles(roles: readonly Role[]): Promise<User[]> {
    const rows = await this.deps.db.user.findMany({ where: { role: { in: [...roles] } }, orderBy: { id: 'asc' } });
    return rows.map(toUser);
  }

  async setRole(userId: number, role: Role): Promise<User> {
    const row = await this.deps.db.user.update({ where: { id: userId }, data: { role, updatedAt: this.deps.clock.now() } });
    return toUser(row);
  }
}
