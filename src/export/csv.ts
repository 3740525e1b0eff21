/** Characters that make Excel/LibreOffice/Sheets treat a typed-in or imported text cell as a formula. */
const FORMULA_TRIGGER = /^[=+\-@\t\r]/;

/** True when `text` would be read as a formula by a spreadsheet (starts with = + - @, tab or CR). */
export function looksLikeFormula(text: string): boolean {
  return FORMULA_TRIGGER.test(text);
}

/**
 * Neutralises spreadsheet formula injection (CSV): text starting with = + - @, tab or CR is
 * prefixed with a single quote so spreadsheets show it as text instead of evaluating it.
 */
export function neutraliseFormula(text: string): string {
  return looksLikeFormula(text) ? `'${text}` : text;
}

/** One RFC 4180 field: quoted (with inner quotes doubled) only when it holds a comma, quote, CR or LF. */
export function csvField(text: string): string {
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** One RFC 4180 record terminated by CRLF. Fields must already be neutralised where needed. */
export function csvRecord(fields: readonly string[]): string {
  return `${fields.map(csvField).join(',')}\r\n`;
}
