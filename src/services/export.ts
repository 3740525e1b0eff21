import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Db } from '../db/client.ts';
import type { CatalogService } from './catalog.ts';
import { OPEN_STATUSES, isStatus } from '../domain/lifecycle.ts';
import { periodBounds } from '../domain/rates.ts';
import { DAY_MS } from '../domain/time.ts';
import type { Locale, Texts } from '../i18n/index.ts';
import { isRtl } from '../i18n/index.ts';
import { categoryName, formatDate, placeName } from '../i18n/format.ts';
import { plainText } from '../i18n/text.ts';
import type { LedgerHeaders, LedgerRow } from '../export/ledgerExport.ts';

export type ExportPeriod = 'all' | 'month' | 'd30' | 'd90';
export type ExportStatus = 'all' | 'open' | 'finished';
export type ExportFormat = 'xlsx' | 'csv';

export interface ExportRequest {
  period: ExportPeriod;
  status: ExportStatus;
  format: ExportFormat;
  locale: Locale;
  now: Date;
}

const BATCH = 1000;

/**
 * The ledger as a spreadsheet: one row per report, headers and values in the requester's
 * language, streamed to a temporary file in batches so memory stays flat.
 */
export class ExportService {
  constructor(private readonly deps: { db: Db; catalog: CatalogService; texts: Texts; timeZone: string }) {}

  private where(request: ExportRequest): Record<string, unknown> {
    const where: Record<string, unknown> = {};
    if (request.period === 'month') where.createdAt = { gte: periodBounds('month', request.now, this.deps.timeZone).current.start };
    if (request.period === 'd30') where.createdAt = { gte: new Date(request.now.getTime() - 30 * DAY_MS) };
    if (request.period === 'd90') where.createdAt = { gte: new Date(request.now.getTime() - 90 * DAY_MS) };
    if (request.status === 'open') where.status = { in: [...OPEN_STATUSES] };
    if (request.status === 'finished') where.status = { notIn: [...OPEN_STATUSES] };
    return where;
  }

  /** The rows, read from the database a batch at a time (by id), translated for the requester. */
  async *rows(request: ExportRequest): AsyncGenerator<LedgerRow> {
    const { db, texts } = this.deps;
    const t = texts.forLocale(request.locale);
    const plain = (key: string) => plainText(t(key));
    const [names, staff] = await Promise.all([
      this.deps.catalog.nameIndex(),
      db.user.findMany({ where: { OR: [{ role: { not: 'resident' } }, { owned: { some: {} } }] }, select: { id: true, displayName: true } }),
    ]);
    const category = new Map([...names.categories].map(([id, c]) => [id, plainText(categoryName(c, request.locale, t))]));
    const place = new Map([...names.places].map(([id, p]) => [id, placeName(p, request.locale)]));
    const owners = new Map(staff.map((s) => [s.id, s.displayName]));
    const status = new Map<string, string>();
    const satisfaction: Record<string, string> = {
      satisfied: plain('export:satisfied'),
      not_satisfied: plain('export:not_satisfied'),
      no_answer: plain('export:no_answer'),
    };
    const anonymous = plain('report:anonymous');
    const named = plain('export:named_reporter');
    const household = plain('export:household');
    const where = this.where(request);
    let after = 0;
    for (;;) {
      const batch = await db.report.findMany({
        where: { ...where, id: { gt: after } },
        orderBy: { id: 'asc' },
        take: BATCH,
      });
      for (const r of batch) {
        if (!status.has(r.status)) status.set(r.status, isStatus(r.status) ? plain(`statuses:${r.status}`) : r.status);
        yield {
          number: r.number,
          createdAt: r.createdAt,
          village: r.placeId !== null ? (place.get(r.placeId) ?? '') : '',
          category: category.get(r.categoryId) ?? '',
          description: r.description,
          // A file travels beyond the bot's access checks, so it never names a reporter: a
          // household label (chosen by the household), "anonymous", or "named in the bot".
          reporter: r.householdLabel ? `${household} ${r.householdLabel}` : r.anonymous ? anonymous : named,
          owner: r.ownerId !== null ? (owners.get(r.ownerId) ?? '') : '',
          status: status.get(r.status)!,
          dueAt: r.dueAt,
          acknowledgedAt: r.acknowledgedAt,
          resolvedAt: r.resolvedAt,
          resolutionNote: r.resolutionNote ?? '',
          satisfaction: r.satisfaction ? (satisfaction[r.satisfaction] ?? '') : '',
        };
      }
      if (batch.length < BATCH) return;
      after = batch[batch.length - 1]!.id;
    }
  }

  headers(locale: Locale): LedgerHeaders {
    const t = this.deps.texts.forLocale(locale);
    const keys: Array<keyof LedgerHeaders> = ['number', 'createdAt', 'village', 'category', 'description', 'reporter', 'owner', 'status', 'dueAt', 'acknowledgedAt', 'resolvedAt', 'resolutionNote', 'satisfaction'];
    return Object.fromEntries(keys.map((k) => [k, plainText(t(`export:col_${k}`))])) as LedgerHeaders;
  }

  /** Writes the export to a temporary file; the caller sends it and calls `cleanup`. */
  async write(request: ExportRequest): Promise<{ file: string; filename: string; rows: number; cleanup: () => void }> {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'village-desk-export-'));
    const filename = `ledger-${formatDate(request.now, this.deps.timeZone)}.${request.format}`;
    const file = path.join(dir, filename);
    const out = fs.createWriteStream(file);
    const t = this.deps.texts.forLocale(request.locale);
    const options = { timeZone: this.deps.timeZone, sheetName: plainText(t('export:sheet_name')), rtl: isRtl(request.locale) };
    // loaded on first use: the spreadsheet library is large and most processes never export
    const { writeLedgerCsv, writeLedgerXlsx } = await import('../export/ledgerExport.ts');
    const write = request.format === 'xlsx' ? writeLedgerXlsx : writeLedgerCsv;
    const { rows } = await write(this.rows(request), this.headers(request.locale), out, options);
    return { file, filename, rows, cleanup: () => fs.rmSync(dir, { recursive: true, force: true }) };
  }
}
