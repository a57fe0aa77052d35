/**
 * CSV for exports (RFC 4180: CRLF between records, a field with a quote, comma, CR or LF is
 * quoted and its quotes doubled), safe to open in a spreadsheet: a text cell that starts with
 * = + - @ TAB or CR would be read as a formula there (OWASP "CSV injection"), so it gets a
 * leading single quote. Numbers are written as numbers (a negative number is data, not a formula).
 */

export type CsvCell = string | number | boolean | null | undefined;

const FORMULA_START = /^[=+\-@\t\r]/;
const NEEDS_QUOTES = /[",\r\n]/;

export function csvCell(value: CsvCell): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'number') return Number.isFinite(value) ? String(value) : '';
  let s = typeof value === 'boolean' ? String(value) : value;
  if (FORMULA_START.test(s)) s = `'${s}`;
  return NEEDS_QUOTES.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
}

/** One record, CRLF-terminated. */
export function csvLine(cells: readonly CsvCell[]): string {
  return `${cells.map(csvCell).join(',')}\r\n`;
}
