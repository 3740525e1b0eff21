import type { Db } from '../db/client.ts';
import type { Clock } from '../domain/time.ts';

/**
 * A lease row in the database: the process that holds it runs the scheduler and the outbox
 * dispatcher, so that two bot processes on one database never send the same thing twice.
 * The holder renews it; when a holder dies, its lease runs out and another takes over.
 */
export class LeaseService {
  constructor(private readonly deps: { db: Db; clock: Clock; holder: string; ttlMs: number }) {}

  get holder(): string {
    return this.deps.holder;
  }

  /** How long the lease lasts without renewal. */
  get ttlMs(): number {
    return this.deps.ttlMs;
  }

  /** Takes or renews the lease; true when this process holds it now. */
  async acquire(name: string): Promise<boolean> {
    const { db, clock, holder, ttlMs } = this.deps;
    const now = clock.now();
    // one statement: insert, or take over an expired lease, or renew our own (same SQL on both engines)
    const changed = await db.$executeRaw`
      INSERT INTO "Lease" ("name", "holder", "expiresAt") VALUES (${name}, ${holder}, ${new Date(now.getTime() + ttlMs)})
      ON CONFLICT ("name") DO UPDATE SET "holder" = excluded."holder", "expiresAt" = excluded."expiresAt"
      WHERE "Lease"."holder" = excluded."holder" OR "Lease"."expiresAt" <= ${now}`;
    return changed === 1;
  }

  /** Who holds the lease now, if anyone (expired or not). */
  async currentHolder(name: string): Promise<string | null> {
    return (await this.deps.db.lease.findUnique({ where: { name } }))?.holder ?? null;
  }

  /** Takes the lease from a holder known to be dead (e.g. a killed process on this host). */
  async takeOver(name: string, deadHolder: string): Promise<boolean> {
    const { count } = await this.deps.db.lease.updateMany({
      where: { name, holder: deadHolder },
      data: { holder: this.deps.holder, expiresAt: new Date(this.deps.clock.now().getTime() + this.deps.ttlMs) },
    });
    return count === 1;
  }

  /** Gives the lease up (at shutdown), so another process may take it at once. */
  async release(name: string): Promise<void> {
    await this.deps.db.lease.deleteMany({ where: { name, holder: this.deps.holder } });
  }
}
