import { PrismaBetterSQLite3 } from '@prisma/adapter-better-sqlite3';
import { PrismaPg } from '@prisma/adapter-pg';
import { PrismaClient } from '../generated/prisma/client.ts';
import { PrismaClient as PgPrismaClient } from '../generated/prisma-pg/client.ts';
import { databaseEngine, databaseFileUrl, type Engine } from './url.ts';

export type Db = PrismaClient;
/** The client handed to code running inside `db.$transaction(async (tx) => ...)`. */
export type Tx = Omit<PrismaClient, '$connect' | '$disconnect' | '$on' | '$transaction' | '$extends'>;

/** Connections each process keeps to PostgreSQL for Prisma (the hot path has its own pool). */
const PG_POOL_SIZE = 10;

/**
 * Opens the ledger database: embedded SQLite for a `file:` URL, PostgreSQL for a
 * `postgresql://` one. Both clients come from the same schema (prisma/postgresql/schema.prisma
 * is generated from prisma/schema.prisma), so the SQLite client's types describe both.
 *
 * On SQLite, WAL journal and synchronous=NORMAL let the scheduler read while the bot writes, and
 * make each committed write cost far less than a full fsync.
 */
export async function openDatabase(url: string | undefined): Promise<Db> {
  if (databaseEngine(url) === 'postgresql') {
    const adapter = new PrismaPg({ connectionString: url, max: PG_POOL_SIZE, application_name: 'village-desk' });
    // same models, same query API: the PostgreSQL client only accepts a few inputs more
    return new PgPrismaClient({ adapter }) as unknown as Db;
  }
  const adapter = new PrismaBetterSQLite3({ url: databaseFileUrl(url) }, { timestampFormat: 'unixepoch-ms' });
  const db = new PrismaClient({ adapter });
  await db.$queryRawUnsafe('PRAGMA journal_mode = WAL');
  await db.$executeRawUnsafe('PRAGMA synchronous = NORMAL');
  await db.$executeRawUnsafe('PRAGMA busy_timeout = 5000');
  await db.$executeRawUnsafe('PRAGMA foreign_keys = ON');
  return db;
}

/** The engine under a client or a transaction client, for the few statements written per engine. */
export function engineOf(client: Db | Tx): Engine {
  const provider = (client as unknown as { _activeProvider?: string })._activeProvider;
  if (provider === 'postgresql') return 'postgresql';
  if (provider === 'sqlite') return 'sqlite';
  throw new Error(`unknown database provider: ${String(provider)}`);
}
