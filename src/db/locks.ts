import { engineOf, type Tx } from './client.ts';

/**
 * Transaction-scoped locks for read-then-write steps that must not interleave across processes.
 * On SQLite a write transaction already excludes every other writer, so these do nothing there;
 * on PostgreSQL (read committed, several processes) they take advisory locks that the commit or
 * rollback releases. Guarded by tests/e2e/webhook.multi.test.ts.
 */
const NAMESPACE = { filing: 0x5644_0001, report: 0x5644_0002 } as const;

async function advisory(tx: Tx, space: number, key: number): Promise<void> {
  if (engineOf(tx) !== 'postgresql') return;
  await tx.$executeRawUnsafe(`SELECT pg_advisory_xact_lock(${space | 0}, ${key | 0})`);
}

/** Before reading the last #N: numbers stay unique and gap-free, a draft is filed once. */
export function lockReportFiling(tx: Tx): Promise<void> {
  return advisory(tx, NAMESPACE.filing, 0);
}

/** Before reading a report to change it: two staff pressing at once are decided one after the other. */
export function lockReport(tx: Tx, number: number): Promise<void> {
  return advisory(tx, NAMESPACE.report, number);
}
