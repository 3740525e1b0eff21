import fs from 'node:fs';
import { engineOf, openDatabase, type Db } from './client.ts';
import { migrateDatabase } from './migrate.ts';
import { databaseEngine, databaseFileUrl } from './url.ts';

/** A table as the transfer moves it: its Prisma model, primary key, and whether `id` is a serial. */
interface Table {
  model: keyof Db & string;
  name: string;
  key: readonly string[];
  serial: boolean;
}

/** Every table of the ledger, parents before children (foreign keys hold at every step). */
export const TABLES: readonly Table[] = [
  { model: 'user', name: 'User', key: ['id'], serial: true },
  { model: 'place', name: 'Place', key: ['id'], serial: true },
  { model: 'category', name: 'Category', key: ['id'], serial: true },
  { model: 'ownerRule', name: 'OwnerRule', key: ['id'], serial: true },
  { model: 'cadrePlace', name: 'CadrePlace', key: ['userId', 'placeId'], serial: false },
  { model: 'report', name: 'Report', key: ['id'], serial: true },
  { model: 'attachment', name: 'Attachment', key: ['id'], serial: true },
  { model: 'reportEvent', name: 'ReportEvent', key: ['id'], serial: true },
  { model: 'reportFollower', name: 'ReportFollower', key: ['reportId', 'userId'], serial: false },
  { model: 'draft', name: 'Draft', key: ['userId', 'flow'], serial: false },
  { model: 'processedUpdate', name: 'ProcessedUpdate', key: ['updateId'], serial: false },
  { model: 'invite', name: 'Invite', key: ['code'], serial: false },
  { model: 'outboxMessage', name: 'OutboxMessage', key: ['id'], serial: true },
  { model: 'lease', name: 'Lease', key: ['name'], serial: false },
  { model: 'setting', name: 'Setting', key: ['key'], serial: false },
];

type Row = Record<string, unknown>;
/** The part of a Prisma model delegate the transfer uses (the same on both clients). */
interface Delegate {
  count(): Promise<number>;
  findMany(args: { orderBy: Array<Record<string, 'asc'>>; skip?: number; take: number; where?: Row }): Promise<Row[]>;
  createMany(args: { data: Row[] }): Promise<{ count: number }>;
}
const delegate = (db: Db, t: Table) => db[t.model] as unknown as Delegate;

// 500 rows of the widest table (Report, 31 columns) stay under PostgreSQL's 32,767 parameters per statement
const PAGE = 500;

/** Reads a table page by page in primary-key order (keyset on `id`, offset otherwise). */
export async function* readTable(db: Db, t: Table): AsyncGenerator<Row[]> {
  const orderBy = t.key.map((k) => ({ [k]: 'asc' as const }));
  let last: unknown;
  for (let skip = 0; ; skip += PAGE) {
    const page = t.serial
      ? await delegate(db, t).findMany({ orderBy, take: PAGE, ...(last === undefined ? {} : { where: { id: { gt: last } } }) })
      : await delegate(db, t).findMany({ orderBy, skip, take: PAGE });
    if (page.length > 0) yield page;
    if (page.length < PAGE) return;
    last = page.at(-1)!.id;
  }
}

/** Places refer to their parent: parents first. */
function parentsFirst(rows: Row[]): Row[] {
  const done = new Set<unknown>();
  const out: Row[] = [];
  let rest = rows;
  while (rest.length > 0) {
    const ready = rest.filter((r) => r.parentId === null || done.has(r.parentId) || !rows.some((p) => p.id === r.parentId));
    if (ready.length === 0) throw new Error('Place: a cycle of parents');
    for (const r of ready) done.add(r.id);
    out.push(...ready);
    rest = rest.filter((r) => !ready.includes(r));
  }
  return out;
}

export class TransferRefused extends Error {
  override readonly name = 'TransferRefused';
  constructor(
    readonly code: 'target_not_empty' | 'target_not_postgresql' | 'source_missing',
    message: string,
  ) {
    super(message);
  }
}

export interface TableCount {
  table: string;
  source: number;
  target: number;
}

/**
 * Moves a whole ledger from one database to another (a township's SQLite file to PostgreSQL):
 * every table, ids and #N numbers unchanged, pending outbox messages included, in one
 * transaction on the target so that a failure leaves it empty. Both sides are first brought to
 * the latest migration. Refuses a target that holds any row. Returns the counts on both sides.
 */
export async function transferLedger(fromUrl: string, toUrl: string, progress: (line: string) => void = () => undefined): Promise<TableCount[]> {
  if (databaseEngine(toUrl) !== 'postgresql') throw new TransferRefused('target_not_postgresql', `--to must be a postgresql:// URL, not ${toUrl}`);
  if (databaseEngine(fromUrl) === 'sqlite' && !fs.existsSync(databaseFileUrl(fromUrl).slice('file:'.length))) {
    throw new TransferRefused('source_missing', `no SQLite ledger at ${fromUrl}`);
  }
  await migrateDatabase(fromUrl);
  await migrateDatabase(toUrl);
  const source = await openDatabase(fromUrl);
  const target = await openDatabase(toUrl);
  try {
    for (const t of TABLES) {
      const n = await delegate(target, t).count();
      if (n > 0) throw new TransferRefused('target_not_empty', `the target already holds data (${n} rows in ${t.name}): it must be a new, empty database`);
    }
    await target.$transaction(
      async (tx) => {
        for (const t of TABLES) {
          let copied = 0;
          for await (const page of readTable(source, t)) {
            const rows = t.name === 'Place' ? parentsFirst(page) : page;
            copied += (await delegate(tx as Db, t).createMany({ data: rows })).count;
          }
          if (t.serial && engineOf(tx) === 'postgresql') {
            // the next id PostgreSQL hands out follows the copied ones
            await tx.$executeRawUnsafe(`SELECT setval(pg_get_serial_sequence('"${t.name}"', 'id'), COALESCE((SELECT MAX("id") FROM "${t.name}"), 0) + 1, false)`);
          }
          progress(`${t.name}: ${copied}`);
        }
      },
      { timeout: 6 * 60 * 60 * 1000, maxWait: 60_000 },
    );
    const counts: TableCount[] = [];
    for (const t of TABLES) counts.push({ table: t.name, source: await delegate(source, t).count(), target: await delegate(target, t).count() });
    return counts;
  } finally {
    await source.$disconnect();
    await target.$disconnect();
  }
}
