import crypto from 'node:crypto';
import type { Db } from '../db/client.ts';
import { toUser } from '../db/mappers.ts';
import type { Role } from '../domain/lifecycle.ts';
import { HOUR_MS, type Clock } from '../domain/time.ts';
import type { User } from '../domain/types.ts';
import { Refused } from './errors.ts';

export const INVITE_TTL_HOURS = 72;
export type StaffRole = Exclude<Role, 'resident'>;

/** One-time deep links that give a staff role. */
export class InviteService {
  constructor(private readonly deps: { db: Db; clock: Clock }) {}

  /** A new one-time code for a role, valid for 72 hours. */
  async create(by: User, role: StaffRole): Promise<{ code: string; expiresAt: Date }> {
    const now = this.deps.clock.now();
    // 18 random bytes -> 24 base64url characters: unguessable, and fits /start's 64-character payload
    const code = `inv_${crypto.randomBytes(18).toString('base64url')}`;
    const expiresAt = new Date(now.getTime() + INVITE_TTL_HOURS * HOUR_MS);
    await this.deps.db.invite.create({ data: { code, role, createdById: by.id, createdAt: now, expiresAt } });
    return { code, expiresAt };
  }

  /**
   * Uses a code: the user gets its role. A used, expired or unknown code changes nothing.
   * An invite never lowers a role (an admin opening a cadre link stays admin).
   */
  async redeem(user: User, code: string): Promise<User> {
    const { db, clock } = this.deps;
    const now = clock.now();
    return db.$transaction(async (tx) => {
      const invite = await tx.invite.findUnique({ where: { code } });
      if (!invite) throw new Refused('invite_unknown');
      if (invite.usedAt) throw new Refused('invite_used');
      if (invite.expiresAt.getTime() <= now.getTime()) throw new Refused('invite_expired');
      // claim it atomically: a second redeem of the same code finds usedAt set
      const { count } = await tx.invite.updateMany({ where: { code, usedAt: null }, data: { usedAt: now, usedById: user.id } });
      if (count !== 1) throw new Refused('invite_used');
      const rank: Record<Role, number> = { resident: 0, cadre: 1, leader: 2, admin: 3 };
      const role = rank[invite.role as Role] > rank[user.role] ? invite.role : user.role;
      const row = await tx.user.update({ where: { id: user.id }, data: { role, updatedAt: now } });
      return toUser(row);
    });
  }

  /** Drops invitations past their expiry that nobody used. */
  async expire(now: Date): Promise<number> {
    const { count } = await this.deps.db.invite.deleteMany({ where: { expiresAt: { lte: now }, usedAt: null } });
    return count;
  }
}
