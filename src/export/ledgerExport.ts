import { once } from 'node:events';
import { PassThrough, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { setImmediate as nextMacrotask } from 'node:timers/promises';
import ExcelJS from 'exceljs';
import type { Row, Style, Worksheet } from 'exceljs';
import { csvRecord, neutraliseFormula } from './csv.ts';
import { ZonedClock } from './zonedTime.ts';

/** One ledger row, already translated into the requester's language (status, category, village as text). */
export interface LedgerRow {
  number: number; // shown as #N in the bot; export as a number column
  createdAt: Date;
  village: string; // '' when none
  category: string;
  description: string;
  reporter: string; // display name, or the translated word for "anonymous", or a household label
  owner: string; // '' when none
  status: string;
  dueAt: Date;
  acknowledgedAt: Date | null;
  resolvedAt: Date | null;
  resolutionNote: string;
  satisfaction: string; // translated: satisfied / not satisfied / no answer / ''
}

/** Translated column headers, one per LedgerRow field. */
export type LedgerHeaders = Record<keyof LedgerRow, string>;

/** Export settings: dates are shown in `timeZone`; `rtl` makes the xlsx sheet view right-to-left (Uyghur). */
export interface ExportOptions {
  timeZone: string;
  sheetName: string;
  rtl?: boolean;
}

/** Result of an export. */
export interface ExportResult {
  rows: number;
}

interface ColumnSpec {
  /** Minimum xlsx column width (characters). */
  width: number;
  /** Long free text: wrap in xlsx. */
  wrap?: boolean;
  /** Date column: xlsx number format. */
  date?: boolean;
}

/** Column layout; key order here is the column order of both exports (= LedgerRow field order). */
const COLUMN_SPECS = {
  number: { width: 8 },
  createdAt: { width: 17, date: true },
  village: { width: 16 },
  category: { width: 18 },
  description: { width: 50, wrap: true },
  reporter: { width: 18 },
  owner: { width: 18 },
  status: { width: 14 },
  dueAt: { width: 17, date: true },
  acknowledgedAt: { width: 17, date: true },
  resolvedAt: { width: 17, date: true },
  resolutionNote: { width: 40, wrap: true },
  satisfaction: { width: 14 },
} as const satisfies Record<keyof LedgerRow, ColumnSpec>;

/** The export column order (the order of the fields of LedgerRow). */
export const LEDGER_COLUMNS: readonly (keyof LedgerRow)[] = Object.keys(COLUMN_SPECS) as (keyof LedgerRow)[];

/** Display format of date cells in the xlsx export. */
export const XLSX_DATE_FORMAT = 'yyyy-mm-dd hh:mm';

/** Excel refuses cells longer than this. */
const XLSX_MAX_CELL_CHARS = 32_767;
/** CSV text is handed to the output in chunks of about this many characters. */
const CSV_CHUNK_CHARS = 16 * 1024;

type CellValue = LedgerRow[keyof LedgerRow];

function isValidDate(value: Date): boolean {
  return !Number.isNaN(value.getTime());
}

// ---------------------------------------------------------------------------------------------
// Output plumbing shared by both writers: we write into a PassThrough piped to `out`, so that
// errors and early close of `out` reject the export (instead of crashing the process or hanging)
// and `out` is ended when the export is complete, or destroyed when it fails.

interface Output {
  /** Where the writer writes. */
  readonly stream: PassThrough;
  /** Aborted (reason = the error) as soon as piping into `out` fails. */
  readonly failed: AbortSignal;
  /** Ends the PassThrough and waits until `out` has finished. */
  finish(): Promise<void>;
  /** Destroys the PassThrough and `out` after an error; resolves once `out` is destroyed. */
  abort(error: unknown): Promise<void>;
}

function openOutput(out: NodeJS.WritableStream): Output {
  const stream = new PassThrough();
  const failure = new AbortController();
  const piping = pipeline(stream, out);
  piping.catch((error: unknown) => failure.abort(error));
  return {
    stream,
    failed: failure.signal,
    async finish() {
      stream.end();
      await piping;
    },
    async abort(error) {
      stream.destroy(error instanceof Error ? error : new Error(String(error)));
      await piping.catch(() => undefined); // pipeline destroys `out` before it settles
    },
  };
}

// Note: no Promise.race against a long-lived promise here: every race leaves a reaction on it,
// which would leak one closure per row. Abort signals attach and detach their listeners.

/** Waits for `event` on `emitter`; rejects with the output's error if the output fails meanwhile. */
async function waitFor(emitter: NodeJS.EventEmitter, event: string, failed: AbortSignal): Promise<void> {
  try {
    await once(emitter, event, { signal: failed });
  } catch (error) {
    throw failed.aborted ? failed.reason : error;
  }
}

/** Lets pending I/O callbacks run; rejects with the output's error if the output has failed. */
async function yieldToIo(failed: AbortSignal): Promise<void> {
  try {
    await nextMacrotask(undefined, { signal: failed });
  } catch (error) {
    throw failed.aborted ? failed.reason : error;
  }
}

/** `promise`, or a rejection with the output's error if the output fails first. */
function unlessFailed<T>(promise: Promise<T>, failed: AbortSignal): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(failed.reason);
    if (failed.aborted) onAbort();
    failed.addEventListener('abort', onAbort, { once: true });
    promise
      .then(resolve, reject)
      .finally(() => failed.removeEventListener('abort', onAbort));
  });
}

// ---------------------------------------------------------------------------------------------
// CSV

function csvValue(value: CellValue, clock: ZonedClock): string {
  if (value === null) return '';
  if (typeof value === 'number') return Number.isFinite(value) ? String(value) : '';
  if (value instanceof Date) return isValidDate(value) ? clock.format(value) : '';
  return neutraliseFormula(value);
}

/**
 * Streams rows into a CSV written to `out`: UTF-8 with BOM (so Excel opens Chinese and Uyghur
 * correctly), CRLF line ends, RFC 4180 quoting, dates as "YYYY-MM-DD HH:mm" in `options.timeZone`,
 * text that a spreadsheet would run as a formula prefixed with `'`. Waits for 'drain' whenever
 * the output is full, so memory stays flat however many rows. Ends `out` when done (destroys it
 * if the export fails) and resolves with the number of data rows.
 */
export async function writeLedgerCsv(
  rows: AsyncIterable<LedgerRow>,
  headers: LedgerHeaders,
  out: NodeJS.WritableStream,
  options: ExportOptions,
): Promise<ExportResult> {
  const clock = new ZonedClock(options.timeZone); // throws on a bad zone before anything is written
  const output = openOutput(out);
  const write = async (chunk: string): Promise<void> => {
    if (!output.stream.write(chunk, 'utf8')) await waitFor(output.stream, 'drain', output.failed);
  };
  let count = 0;
  try {
    let pending = `\uFEFF${csvRecord(LEDGER_COLUMNS.map((key) => neutraliseFormula(headers[key])))}`;
    for await (const row of rows) {
      pending += csvRecord(LEDGER_COLUMNS.map((key) => csvValue(row[key], clock)));
      count += 1;
      if (pending.length >= CSV_CHUNK_CHARS) {
        await write(pending);
        pending = '';
      }
    }
    await write(pending);
    await output.finish();
  } catch (error) {
    await output.abort(error);
    throw error;
  }
  return { rows: count };
}

// ---------------------------------------------------------------------------------------------
// XLSX

/** Approximate on-screen width: East Asian wide/fullwidth characters count double. */
function displayWidth(text: string): number {
  let width = 0;
  for (const ch of text) {
    const cp = ch.codePointAt(0) ?? 0;
    const wide =
      (cp >= 0x1100 && cp <= 0x115f) ||
      (cp >= 0x2e80 && cp <= 0xa4cf) ||
      (cp >= 0xac00 && cp <= 0xd7a3) ||
      (cp >= 0xf900 && cp <= 0xfaff) ||
      (cp >= 0xfe30 && cp <= 0xfe4f) ||
      (cp >= 0xff00 && cp <= 0xff60) ||
      (cp >= 0xffe0 && cp <= 0xffe6) ||
      (cp >= 0x20000 && cp <= 0x3fffd);
    width += wide ? 2 : 1;
  }
  return width;
}

/** Excel sheet names: 1–31 characters, none of : \ / ? * [ ], not starting/ending with an apostrophe. */
function safeSheetName(name: string): string {
  const cleaned = name.replace(/[:\\/?*[\]\u0000-\u001f]/g, ' ').trim().replace(/^'+|'+$/g, '').trim();
  const chars = Array.from(cleaned);
  // Excel counts UTF-16 code units; drop whole characters until it fits.
  while (chars.join('').length > 31) chars.pop();
  const result = chars.join('').trim();
  return result === '' ? 'Sheet1' : result;
}

function truncateForXlsx(text: string): string {
  if (text.length <= XLSX_MAX_CELL_CHARS) return text;
  let cut = text.slice(0, XLSX_MAX_CELL_CHARS);
  const last = cut.charCodeAt(cut.length - 1);
  if (last >= 0xd800 && last <= 0xdbff) cut = cut.slice(0, -1); // don't split a surrogate pair
  return cut;
}

/** Date | number | string | null as written to a cell; strings are always plain text, never formulas. */
function xlsxValue(value: CellValue, clock: ZonedClock): Date | number | string | null {
  if (value === null) return null;
  if (typeof value === 'number') return Number.isFinite(value) ? value : null;
  // exceljs serialises a Date as its UTC fields: hand it the local wall clock as UTC.
  if (value instanceof Date) return isValidDate(value) ? clock.wallClockAsUtc(value) : null;
  // A plain JS string always becomes a string cell (t="str"/inlineStr); exceljs only writes a
  // formula for { formula } objects, so a leading '=' stays inert text.
  // Line breaks as Excel stores them (XML would turn CRLF into LF anyway).
  return value === '' ? null : truncateForXlsx(value.replace(/\r\n?/g, '\n'));
}

/**
 * The compressor stream exceljs pipes the worksheet XML into. exceljs ignores its backpressure
 * (so a fast row source would pile the whole sheet up in memory); we watch it instead. Reaches
 * into exceljs internals (WorksheetWriter.stream -> StreamBuf.pipes), defensively: undefined when
 * not (yet) piped or if the internals ever change.
 */
function sheetSink(sheet: Worksheet): Writable | undefined {
  const buffer: unknown = Reflect.get(sheet, 'stream');
  if (typeof buffer !== 'object' || buffer === null) return undefined;
  const pipes: unknown = Reflect.get(buffer, 'pipes');
  if (!Array.isArray(pipes)) return undefined;
  const first: unknown = pipes[0];
  return first instanceof Writable ? first : undefined;
}

/**
 * Streams rows into an .xlsx written to `out`; memory stays flat however many rows. One sheet,
 * bold frozen header row with autofilter, column order = LedgerRow field order, real date cells
 * (format yyyy-mm-dd hh:mm) showing local time of `options.timeZone`, wrapped description and
 * resolution note, right-to-left view when `options.rtl`. Each row is committed as it arrives.
 * Ends `out` when done (destroys it if the export fails) and resolves with the number of data rows.
 */
export async function writeLedgerXlsx(
  rows: AsyncIterable<LedgerRow>,
  headers: LedgerHeaders,
  out: NodeJS.WritableStream,
  options: ExportOptions,
): Promise<ExportResult> {
  const clock = new ZonedClock(options.timeZone); // throws on a bad zone before anything is written
  const output = openOutput(out);
  let count = 0;
  try {
    const workbook = new ExcelJS.stream.xlsx.WorkbookWriter({
      stream: output.stream,
      useStyles: true,
      useSharedStrings: false, // shared strings would keep every distinct string in memory
    });
    // Views are written when the sheet is created, so they must be passed here.
    const sheet = workbook.addWorksheet(safeSheetName(options.sheetName), {
      views: [
        {
          state: 'frozen',
          xSplit: 0,
          ySplit: 1,
          topLeftCell: 'A2',
          activeCell: 'A2',
          rightToLeft: options.rtl === true,
        },
      ],
    });
    // One shared style object per column: exceljs caches style ids per style object, so reusing
    // them keeps the per-cell cost low.
    const cellStyles = LEDGER_COLUMNS.map((key): Partial<Style> => {
      const spec: ColumnSpec = COLUMN_SPECS[key];
      const style: Partial<Style> = { alignment: { vertical: 'top', wrapText: spec.wrap === true } };
      if (key === 'number') style.numFmt = '0';
      if (spec.date === true) style.numFmt = XLSX_DATE_FORMAT;
      return style;
    });
    const headerStyle: Partial<Style> = { font: { bold: true }, alignment: { vertical: 'middle' } };
    const styleRow = (row: Row, styles: readonly Partial<Style>[]): void => {
      styles.forEach((style, index) => {
        row.getCell(index + 1).style = style;
      });
    };

    // Columns are written before the first row, so they must be set now.
    sheet.columns = LEDGER_COLUMNS.map((key, index) => ({
      key,
      width: Math.min(60, Math.max(COLUMN_SPECS[key].width, displayWidth(headers[key]) + 3)),
      style: cellStyles[index] ?? {},
    }));

    const headerRow = sheet.addRow(LEDGER_COLUMNS.map((key) => headers[key]));
    styleRow(headerRow, LEDGER_COLUMNS.map(() => headerStyle));
    headerRow.commit();

    for await (const row of rows) {
      const sheetRow = sheet.addRow(LEDGER_COLUMNS.map((key) => xlsxValue(row[key], clock)));
      styleRow(sheetRow, cellStyles);
      sheetRow.commit();
      count += 1;
      const sink = sheetSink(sheet);
      if (sink === undefined) {
        // The sheet isn't connected to the zip yet: let the archiver run.
        await yieldToIo(output.failed);
      } else if (sink.writableNeedDrain) {
        await waitFor(sink, 'drain', output.failed);
      }
    }

    sheet.autoFilter = { from: { row: 1, column: 1 }, to: { row: count + 1, column: LEDGER_COLUMNS.length } };
    sheet.commit();
    await unlessFailed(workbook.commit(), output.failed);
    await output.finish();
  } catch (error) {
    await output.abort(error);
    throw error;
  }
  return { rows: count };
}
