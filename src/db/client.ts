import { PrismaBetterSQLite3 } from '@prisma/adapter-better-sqlite3';
import { PrismaClient } from '../generated/prisma/client.ts';
import { databaseFileUrl } from './url.ts';

export type Db = PrismaClient;
/** The client handed to code running inside `db.$transaction(async (tx) => ...)`. */
export type Tx = Omit<PrismaClient, '$connect' | '$disconnect' | '$on' | '$transaction' | '$extends'>;

/**
 * Opens the ledger database. WAL journal and synchronous=NORMAL let the scheduler read
 * while the bot writes, and make each committed write cost far less than a full fsync.
 */
export async function openDatabase(url: string | undefined): Promise<Db> {
  const adapter = new PrismaBetterSQLite3({ url: databaseFileUrl(url) }, { timestampFormat: 'unixepoch-ms' });
  const db = new PrismaClient({ adapter });
  await db.$queryRawUnsafe('PRAGMA journal_mode = WAL');
  await db.$executeRawUnsafe('PRAGMA synchronous = NORMAL');
  await db.$executeRawUnsafe('PRAGMA busy_timeout = 5000');
  await db.$executeRawUnsafe('PRAGMA foreign_keys = ON');
  return db;
}
