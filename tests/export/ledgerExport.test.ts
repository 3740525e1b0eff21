import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import ExcelJS from 'exceljs';
import type { Worksheet } from 'exceljs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { csvField, csvRecord, neutraliseFormula } from '../../src/export/csv.ts';
import {
  LEDGER_COLUMNS,
  XLSX_DATE_FORMAT,
  writeLedgerCsv,
  writeLedgerXlsx,
} from '../../src/export/ledgerExport.ts';
import type { ExportOptions, LedgerHeaders, LedgerRow } from '../../src/export/ledgerExport.ts';
import { ZonedClock } from '../../src/export/zonedTime.ts';

// ---------------------------------------------------------------------------------------------
// Fixtures

const HEADERS: LedgerHeaders = {
  number: 'No.',
  createdAt: 'يوللانغان ۋاقىت',
  village: 'كەنت',
  category: '类别',
  description: 'چۈشەندۈرۈش',
  reporter: '报告人',
  owner: 'مەسئۇل',
  status: 'ھالەت',
  dueAt: '截止时间',
  acknowledgedAt: 'Acknowledged',
  resolvedAt: 'Resolved',
  resolutionNote: 'ھەل قىلىش ئىزاھاتى',
  satisfaction: '满意度',
};

const ROWS: LedgerRow[] = [
  {
    number: 1,
    createdAt: new Date('2026-11-02T04:00:00Z'),
    village: 'تۆۋەنكى كەنت',
    category: '饮水',
    description: 'Pipe broken, "again"\nsince Monday, 没有水',
    reporter: 'ئەخمەت',
    owner: '王书记',
    status: 'ھەل قىلىنمىغان',
    dueAt: new Date('2026-11-05T04:00:00Z'),
    acknowledgedAt: null,
    resolvedAt: null,
    resolutionNote: '',
    satisfaction: '',
  },
  {
    number: 2,
    createdAt: new Date('2026-11-02T17:59:59Z'),
    village: '上村',
    category: 'يول',
    description: '=HYPERLINK("http://evil.example","click")',
    reporter: '匿名',
    owner: '',
    status: '已办结（待评价）',
    dueAt: new Date('2026-11-04T16:00:00Z'),
    acknowledgedAt: new Date('2026-11-02T18:30:00Z'),
    resolvedAt: new Date('2026-11-03T09:15:42Z'),
    resolutionNote: '+1 fixed, -2 left',
    satisfaction: '满意',
  },
  {
    number: 3,
    createdAt: new Date('2026-12-31T18:00:00Z'),
    village: '',
    category: 'توك',
    description: '@SUM(A1:A2)',
    reporter: '-3 household',
    owner: 'Ali',
    status: 'closed',
    dueAt: new Date('2027-01-01T00:00:00Z'),
    acknowledgedAt: null,
    resolvedAt: new Date('2027-01-01T01:02:03Z'),
    resolutionNote: 'line1\r\nline2 "quoted", done',
    satisfaction: '\tno answer',
  },
];

const OPTIONS: ExportOptions = { timeZone: 'Asia/Urumqi', sheetName: 'Ledger', rtl: true };

/** Asia/Urumqi is UTC+6 all year: the wall clock as a UTC Date. */
const urumqi = (iso: string): Date => new Date(new Date(iso).getTime() + 6 * 3_600_000);

/** Expected CSV records for ROWS (text neutralised, dates local). */
const EXPECTED_CSV: string[][] = [
  LEDGER_COLUMNS.map((key) => HEADERS[key]),
  [
    '1', '2026-11-02 10:00', 'تۆۋەنكى كەنت', '饮水', 'Pipe broken, "again"\nsince Monday, 没有水', 'ئەخمەت',
    '王书记', 'ھەل قىلىنمىغان', '2026-11-05 10:00', '', '', '', '',
  ],
  [
    '2', '2026-11-02 23:59', '上村', 'يول', `'=HYPERLINK("http://evil.example","click")`, '匿名',
    '', '已办结（待评价）', '2026-11-04 22:00', '2026-11-03 00:30', '2026-11-03 15:15', "'+1 fixed, -2 left", '满意',
  ],
  [
    '3', '2027-01-01 00:00', '', 'توك', "'@SUM(A1:A2)", "'-3 household",
    'Ali', 'closed', '2027-01-01 06:00', '', '2027-01-01 07:02', 'line1\r\nline2 "quoted", done', "'\tno answer",
  ],
];

/** Expected xlsx cell values for ROWS (text kept verbatim, CRLF as LF, '' and null empty). */
const EXPECTED_XLSX: (string | number | Date | null)[][] = [
  [
    1, urumqi('2026-11-02T04:00:00Z'), 'تۆۋەنكى كەنت', '饮水', 'Pipe broken, "again"\nsince Monday, 没有水', 'ئەخمەت',
    '王书记', 'ھەل قىلىنمىغان', urumqi('2026-11-05T04:00:00Z'), null, null, null, null,
  ],
  [
    2, urumqi('2026-11-02T17:59:59Z'), '上村', 'يول', '=HYPERLINK("http://evil.example","click")', '匿名',
    null, '已办结（待评价）', urumqi('2026-11-04T16:00:00Z'), urumqi('2026-11-02T18:30:00Z'), urumqi('2026-11-03T09:15:42Z'),
    '+1 fixed, -2 left', '满意',
  ],
  [
    3, urumqi('2026-12-31T18:00:00Z'), null, 'توك', '@SUM(A1:A2)', '-3 household',
    'Ali', 'closed', urumqi('2027-01-01T00:00:00Z'), null, urumqi('2027-01-01T01:02:03Z'),
    'line1\nline2 "quoted", done', '\tno answer',
  ],
];

async function* fromArray<T>(items: readonly T[]): AsyncGenerator<T> {
  for (const item of items) yield item;
}

/** A generated row for the bulk tests. */
function generatedRow(i: number): LedgerRow {
  return {
    number: i,
    createdAt: new Date(Date.UTC(2026, 0, 1) + i * 60_000),
    village: 'village',
    category: 'water',
    description: `report ${i} lorem ipsum dolor sit amet`,
    reporter: 'someone',
    owner: '',
    status: 'open',
    dueAt: new Date(Date.UTC(2026, 0, 4) + i * 60_000),
    acknowledgedAt: null,
    resolvedAt: null,
    resolutionNote: '',
    satisfaction: '',
  };
}

// ---------------------------------------------------------------------------------------------
// Helpers

/** Minimal RFC 4180 parser (quoted fields, doubled quotes, CRLF record separator). */
function parseCsv(text: string): string[][] {
  const records: string[][] = [];
  let record: string[] = [];
  let field = '';
  let i = 0;
  let quoted = false;
  while (i < text.length) {
    const ch = text[i];
    if (quoted) {
      if (ch === '"') {
        if (text[i + 1] === '"') {
          field += '"';
          i += 2;
          continue;
        }
        quoted = false;
        i += 1;
        continue;
      }
      field += ch;
      i += 1;
      continue;
    }
    if (ch === '"' && field === '') {
      quoted = true;
      i += 1;
    } else if (ch === ',') {
      record.push(field);
      field = '';
      i += 1;
    } else if (ch === '\r' && text[i + 1] === '\n') {
      record.push(field);
      records.push(record);
      record = [];
      field = '';
      i += 2;
    } else {
      if (ch === '\n' || ch === '\r' || ch === '"') throw new Error(`bare ${JSON.stringify(ch)} at ${i}`);
      field += ch;
      i += 1;
    }
  }
  if (field !== '' || record.length > 0) throw new Error('last record is not terminated by CRLF');
  return records;
}

let dir = '';
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'village-desk-export-'));
});
afterAll(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

let fileCounter = 0;
const tempFile = (ext: string): string => path.join(dir, `export-${++fileCounter}.${ext}`);

async function exportXlsx(rows: readonly LedgerRow[], options: ExportOptions = OPTIONS): Promise<Worksheet> {
  const file = tempFile('xlsx');
  const result = await writeLedgerXlsx(fromArray(rows), HEADERS, fs.createWriteStream(file), options);
  expect(result).toEqual({ rows: rows.length });
  const workbook = new ExcelJS.Workbook();
  await workbook.xlsx.readFile(file);
  expect(workbook.worksheets).toHaveLength(1);
  const sheet = workbook.worksheets[0];
  if (sheet === undefined) throw new Error('no worksheet');
  return sheet;
}

async function exportCsv(rows: readonly LedgerRow[], options: ExportOptions = OPTIONS): Promise<string> {
  const file = tempFile('csv');
  const result = await writeLedgerCsv(fromArray(rows), HEADERS, fs.createWriteStream(file), options);
  expect(result).toEqual({ rows: rows.length });
  return fs.readFileSync(file, 'utf8');
}

/** A writable that accepts nothing until `release()` is called, then consumes slowly. */
function stalledSink(): { sink: Writable; release: () => void; bytes: () => number } {
  let released = false;
  let pending: (() => void) | null = null;
  let bytes = 0;
  const sink = new Writable({
    highWaterMark: 1024,
    write(chunk: Buffer, _encoding, callback) {
      bytes += chunk.length;
      if (released) setImmediate(callback);
      else pending = callback;
    },
  });
  return {
    sink,
    bytes: () => bytes,
    release: () => {
      released = true;
      pending?.();
      pending = null;
    },
  };
}

// ---------------------------------------------------------------------------------------------

describe('writeLedgerXlsx', () => {
  it('should write the translated header row and every ledger row with its values', async () => {
    const sheet = await exportXlsx(ROWS);
    expect(sheet.name).toBe('Ledger');
    expect(sheet.rowCount).toBe(ROWS.length + 1);
    expect(sheet.getRow(1).values).toEqual([undefined, ...LEDGER_COLUMNS.map((key) => HEADERS[key])]);
    EXPECTED_XLSX.forEach((expected, index) => {
      const row = sheet.getRow(index + 2);
      expected.forEach((value, col) => {
        expect(row.getCell(col + 1).value, `row ${index + 2} col ${col + 1}`).toEqual(value);
      });
    });
  });

  it('should write dates as date cells showing the Asia/Urumqi wall clock', async () => {
    const sheet = await exportXlsx(ROWS);
    const created = sheet.getRow(2).getCell(2);
    expect(created.type).toBe(ExcelJS.ValueType.Date);
    expect(created.numFmt).toBe(XLSX_DATE_FORMAT);
    // 2026-11-02T04:00Z is 10:00 in Urumqi (UTC+6); exceljs reads the cell's wall clock as UTC.
    expect((created.value as Date).toISOString()).toBe('2026-11-02T10:00:00.000Z');
    // crossing midnight
    expect((sheet.getRow(3).getCell(10).value as Date).toISOString()).toBe('2026-11-03T00:30:00.000Z');
    for (const col of [2, 9, 10, 11]) expect(sheet.getRow(3).getCell(col).numFmt).toBe(XLSX_DATE_FORMAT);
  });

  it('should follow daylight saving time in a DST zone', async () => {
    const rows: LedgerRow[] = [
      { ...generatedRow(1), createdAt: new Date('2026-03-29T00:30:00Z'), dueAt: new Date('2026-03-29T01:30:00Z') },
      { ...generatedRow(2), createdAt: new Date('2026-10-25T00:30:00Z'), dueAt: new Date('2026-10-25T01:30:00Z') },
    ];
    const sheet = await exportXlsx(rows, { timeZone: 'Europe/Berlin', sheetName: 'Berlin' });
    const iso = (r: number, c: number): string => (sheet.getRow(r).getCell(c).value as Date).toISOString();
    expect(iso(2, 2)).toBe('2026-03-29T01:30:00.000Z'); // CET, +1
    expect(iso(2, 9)).toBe('2026-03-29T03:30:00.000Z'); // CEST, +2
    expect(iso(3, 2)).toBe('2026-10-25T02:30:00.000Z'); // CEST, +2
    expect(iso(3, 9)).toBe('2026-10-25T02:30:00.000Z'); // CET, +1 (the repeated hour)
  });

  it('should keep text starting with = + - @ as plain strings, never formulas', async () => {
    const sheet = await exportXlsx(ROWS);
    const cells = [sheet.getRow(3).getCell(5), sheet.getRow(3).getCell(12), sheet.getRow(4).getCell(5), sheet.getRow(4).getCell(6)];
    for (const cell of cells) {
      expect(cell.type).toBe(ExcelJS.ValueType.String);
      expect(cell.formula).toBeUndefined();
    }
    expect(cells[0]?.value).toBe('=HYPERLINK("http://evil.example","click")');
  });

  it('should leave null dates and empty text as empty cells', async () => {
    const sheet = await exportXlsx(ROWS);
    for (const col of [10, 11, 12, 13]) expect(sheet.getRow(2).getCell(col).type).toBe(ExcelJS.ValueType.Null);
    expect(sheet.getRow(4).getCell(3).type).toBe(ExcelJS.ValueType.Null);
  });

  it('should make the header bold, frozen and filterable, wrap long text, and size the columns', async () => {
    const sheet = await exportXlsx(ROWS);
    sheet.getRow(1).eachCell((cell) => expect(cell.font?.bold).toBe(true));
    expect(sheet.getRow(2).getCell(1).font?.bold).toBeFalsy();
    expect(sheet.views[0]).toMatchObject({ state: 'frozen', ySplit: 1, rightToLeft: true });
    expect(sheet.autoFilter).toBe('A1:M4');
    expect(sheet.getRow(2).getCell(5).alignment?.wrapText).toBe(true);
    expect(sheet.getRow(2).getCell(12).alignment?.wrapText).toBe(true);
    expect(sheet.getColumn(5).width).toBe(50);
    expect(sheet.getColumn(2).width).toBeGreaterThanOrEqual(17);
    expect(sheet.getColumn(1).width).toBeGreaterThanOrEqual(8);
  });

  it('should use a left-to-right view unless rtl is set, and sanitise the sheet name', async () => {
    const sheet = await exportXlsx(ROWS.slice(0, 1), {
      timeZone: 'Asia/Shanghai',
      sheetName: 'Ledger: 2026/11 [all] and a very long tail',
    });
    expect(sheet.views[0]?.rightToLeft).toBeFalsy();
    expect(sheet.name).toBe('Ledger  2026 11  all  and a ver');
    expect(sheet.name.length).toBeLessThanOrEqual(31);
  });

  it('should produce a header-only sheet for 0 rows', async () => {
    const sheet = await exportXlsx([]);
    expect(sheet.rowCount).toBe(1);
    expect(sheet.getRow(1).getCell(13).value).toBe(HEADERS.satisfaction);
    expect(sheet.autoFilter).toBe('A1:M1');
  });

  it('should stop pulling rows while the output is not accepting data', async () => {
    const total = 30_000;
    let pulled = 0;
    async function* many(): AsyncGenerator<LedgerRow> {
      for (let i = 1; i <= total; i++) {
        pulled = i;
        yield generatedRow(i);
      }
    }
    const { sink, release, bytes } = stalledSink();
    const done = writeLedgerXlsx(many(), HEADERS, sink, OPTIONS);
    await new Promise((resolve) => setTimeout(resolve, 300));
    const pulledWhileStalled = pulled;
    expect(pulledWhileStalled).toBeLessThan(total / 3);
    release();
    await expect(done).resolves.toEqual({ rows: total });
    expect(bytes()).toBeGreaterThan(0);
  });

  it('should reject, not crash, when the output fails', async () => {
    const out = fs.createWriteStream(path.join(dir, 'missing-dir', 'x.xlsx'));
    await expect(writeLedgerXlsx(fromArray(ROWS), HEADERS, out, OPTIONS)).rejects.toThrow(/ENOENT/);
  });

  it('should reject and destroy the output when the rows fail', async () => {
    async function* failing(): AsyncGenerator<LedgerRow> {
      yield generatedRow(1);
      throw new Error('database went away');
    }
    const out = fs.createWriteStream(tempFile('xlsx'));
    await expect(writeLedgerXlsx(failing(), HEADERS, out, OPTIONS)).rejects.toThrow('database went away');
    expect(out.destroyed).toBe(true);
  });

  it('should reject an unknown time zone', async () => {
    const out = new Writable({ write: (_c, _e, cb) => cb() });
    await expect(writeLedgerXlsx(fromArray(ROWS), HEADERS, out, { ...OPTIONS, timeZone: 'Mars/Olympus' })).rejects.toThrow(
      RangeError,
    );
  });
});

describe('writeLedgerCsv', () => {
  it('should start with a UTF-8 BOM and use CRLF line ends', async () => {
    const text = await exportCsv(ROWS);
    expect(text.charCodeAt(0)).toBe(0xfeff);
    expect(text.endsWith('\r\n')).toBe(true);
    const raw = fs.readFileSync(path.join(dir, `export-${fileCounter}.csv`));
    expect([...raw.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
  });

  it('should round-trip every row through an RFC 4180 parser', async () => {
    const text = await exportCsv(ROWS);
    const records = parseCsv(text.slice(1));
    expect(records).toHaveLength(EXPECTED_CSV.length);
    EXPECTED_CSV.forEach((expected, index) => {
      expect(records[index], `record ${index}`).toEqual(expected);
    });
  });

  it('should neutralise formula injection with a leading quote', async () => {
    const records = parseCsv((await exportCsv(ROWS)).slice(1));
    expect(records[2]?.[4]).toBe(`'=HYPERLINK("http://evil.example","click")`);
    expect(records[3]?.[4]).toBe("'@SUM(A1:A2)");
    expect(records[3]?.[12]).toBe("'\tno answer");
  });

  it('should write local Asia/Urumqi times and leave null dates empty', async () => {
    const records = parseCsv((await exportCsv(ROWS)).slice(1));
    expect(records[1]?.[1]).toBe('2026-11-02 10:00');
    expect(records[1]?.[9]).toBe('');
    expect(records[1]?.[10]).toBe('');
  });

  it('should produce a header-only file for 0 rows', async () => {
    const text = await exportCsv([]);
    expect(text).toBe(`\uFEFF${csvRecord(LEDGER_COLUMNS.map((key) => HEADERS[key]))}`);
    expect(parseCsv(text.slice(1))).toEqual([EXPECTED_CSV[0]]);
  });

  it('should wait for drain instead of buffering the whole ledger', async () => {
    const total = 20_000;
    let pulled = 0;
    async function* many(): AsyncGenerator<LedgerRow> {
      for (let i = 1; i <= total; i++) {
        pulled = i;
        yield generatedRow(i);
      }
    }
    const { sink, release, bytes } = stalledSink();
    const done = writeLedgerCsv(many(), HEADERS, sink, OPTIONS);
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(pulled).toBeLessThan(1_000);
    release();
    await expect(done).resolves.toEqual({ rows: total });
    expect(bytes()).toBeGreaterThan(total * 50);
  });

  it('should reject, not crash, when the output fails', async () => {
    const out = fs.createWriteStream(path.join(dir, 'missing-dir', 'x.csv'));
    await expect(writeLedgerCsv(fromArray(ROWS), HEADERS, out, OPTIONS)).rejects.toThrow(/ENOENT/);
  });
});

describe('csv helpers', () => {
  it('should prefix text that starts with = + - @ tab or CR with a quote', () => {
    for (const text of ['=1+1', '+1', '-1', '@A1', '\tx', '\rx']) expect(neutraliseFormula(text)).toBe(`'${text}`);
    for (const text of ['', 'a=1', ' =1', '1-2', "'=1", '水=']) expect(neutraliseFormula(text)).toBe(text);
  });

  it('should quote only fields with commas, quotes or line breaks', () => {
    expect(csvField('plain 文本')).toBe('plain 文本');
    expect(csvField('a,b')).toBe('"a,b"');
    expect(csvField('say "hi"')).toBe('"say ""hi"""');
    expect(csvField('a\nb')).toBe('"a\nb"');
    expect(csvField('a\rb')).toBe('"a\rb"');
    expect(csvRecord(['1', 'x,y', ''])).toBe('1,"x,y",\r\n');
  });
});

describe('ZonedClock', () => {
  it('should format Asia/Urumqi as UTC+6', () => {
    const clock = new ZonedClock('Asia/Urumqi');
    expect(clock.format(new Date('2026-11-02T04:00:00Z'))).toBe('2026-11-02 10:00');
    expect(clock.format(new Date('2026-11-02T18:00:00Z'))).toBe('2026-11-03 00:00');
    expect(clock.offsetMinutes(new Date('2026-07-01T00:00:00Z'))).toBe(360);
    expect(clock.wallClockAsUtc(new Date('2026-11-02T04:00:00.999Z')).toISOString()).toBe('2026-11-02T10:00:00.000Z');
  });

  it('should follow DST transitions and fractional offsets', () => {
    const berlin = new ZonedClock('Europe/Berlin');
    expect(berlin.offsetMinutes(new Date('2026-03-29T00:59:00Z'))).toBe(60);
    expect(berlin.offsetMinutes(new Date('2026-03-29T01:00:00Z'))).toBe(120);
    expect(berlin.format(new Date('2026-10-25T00:30:00Z'))).toBe('2026-10-25 02:30');
    expect(berlin.format(new Date('2026-10-25T01:30:00Z'))).toBe('2026-10-25 02:30');
    const newYork = new ZonedClock('America/New_York');
    expect(newYork.format(new Date('2026-03-08T06:59:00Z'))).toBe('2026-03-08 01:59');
    expect(newYork.format(new Date('2026-03-08T07:00:00Z'))).toBe('2026-03-08 03:00');
    expect(new ZonedClock('Asia/Kathmandu').offsetMinutes(new Date('2026-01-01T00:00:00Z'))).toBe(345);
    expect(new ZonedClock('Asia/Kolkata').format(new Date('2026-01-01T00:00:00Z'))).toBe('2026-01-01 05:30');
    expect(new ZonedClock('UTC').format(new Date('2026-01-01T23:59:59Z'))).toBe('2026-01-01 23:59');
  });

  it('should throw RangeError for an unknown zone', () => {
    expect(() => new ZonedClock('Nowhere/Special')).toThrow(RangeError);
  });
});
