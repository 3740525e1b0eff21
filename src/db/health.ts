import { engineOf, type Db } from './client.ts';
import { migrationNames } from './migrate.ts';

/** What /readyz reports: the database answers and has every committed migration. */
export interface Readiness {
  ready: boolean;
  database: 'ok' | 'unreachable';
  pendingMigrations: string[];
}

/** Checks the database the way a load balancer needs it checked: one round trip, no writes. */
export async function readiness(db: Db): Promise<Readiness> {
  try {
    const rows = await db.$queryRawUnsafe<Array<{ migration_name: string }>>(
      'SELECT migration_name FROM "_prisma_migrations" WHERE finished_at IS NOT NULL AND rolled_back_at IS NULL',
    );
    const applied = new Set(rows.map((r) => r.migration_name));
    const pendingMigrations = migrationNames(engineOf(db)).filter((name) => !applied.has(name));
    return { ready: pendingMigrations.length === 0, database: 'ok', pendingMigrations };
  } catch {
    return { ready: false, database: 'unreachable', pendingMigrations: [] };
  }
}
