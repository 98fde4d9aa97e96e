/**
 * A small RFC 4180 CSV reader and writer. Written here rather than taken from npm because the
 * registers need only the core grammar, and the reader must report *where* a file is malformed
 * (line numbers) so that a manager can fix it; that is easier to own than to wrap.
 *
 * Reader: comma separator, CRLF or LF record ends, quoted fields with "" escapes and embedded
 * commas/newlines, a leading UTF-8 BOM ignored, a final record end optional.
 * Writer: CRLF, quotes only where needed, a BOM so that spreadsheet programs read UTF-8, and
 * cells that a spreadsheet would run as a formula prefixed with ' (CSV injection).
 */

export class CsvError extends Error {
  override readonly name = "CsvError";
  constructor(
    message: string,
    readonly line: number,
  ) {
    super(`line ${line}: ${message}`);
  }
}

/** One parsed record and the line it starts on (1-based, counting physical lines). */
export interface CsvRecord {
  line: number;
  fields: string[];
}

/** Parses CSV text into records; throws CsvError naming the line of a syntax error. */
export function parseCsv(text: string): CsvRecord[] {
  const s = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  const records: CsvRecord[] = [];
  let fields: string[] = [];
  let field = "";
  let line = 1;
  let recordLine = 1;
  let i = 0;
  let quoted = false; // inside a quoted field
  let wasQuoted = false; // the current field was quoted and is closed
  const endField = () => {
    fields.push(field);
    field = "";
    wasQuoted = false;
  };
  const endRecord = () => {
    endField();
    // A blank line is not a record (RFC 4180 does not allow it; spreadsheets emit it at the end).
    if (!(fields.length === 1 && fields[0] === "")) records.push({ line: recordLine, fields });
    fields = [];
  };
  while (i < s.length) {
    const c = s[i]!;
    if (quoted) {
      if (c === '"') {
        if (s[i + 1] === '"') {
          field += '"';
          i += 2;
          continue;
        }
        quoted = false;
        wasQuoted = true;
        i++;
        continue;
      }
      if (c === "\n") line++;
      field += c;
      i++;
      continue;
    }
    if (c === ",") {
      endField();
      i++;
      continue;
    }
    if (c === "\r" || c === "\n") {
      endRecord();
      i += c === "\r" && s[i + 1] === "\n" ? 2 : 1;
      line++;
      recordLine = line;
      continue;
    }
    if (wasQuoted) throw new CsvError(`unexpected character ${JSON.stringify(c)} after a closing quote`, line);
    if (c === '"') {
      if (field !== "") throw new CsvError('a quote inside an unquoted field (quote the whole field and double the quote: "")', line);
      quoted = true;
      i++;
      continue;
    }
    field += c;
    i++;
  }
  if (quoted) throw new CsvError("a quoted field is not closed before the end of the file", recordLine);
  if (field !== "" || wasQuoted || fields.length > 0) endRecord();
  return records;
}

/**
 * A cell a spreadsheet would run as a formula: it starts with = + - @ tab or CR, possibly behind
 * quotes already (a typed '=x must come back as '=x, so it gets a guard quote of its own).
 */
const FORMULA_START = /^'*[=+\-@\t\r]/;

/** Makes a cell safe to open in a spreadsheet: a formula-looking cell gets a leading '. */
export function neutralizeFormula(value: string): string {
  return FORMULA_START.test(value) ? `'${value}` : value;
}

/** Undoes neutralizeFormula on import, so an exported file imports to the same values. */
export function restoreFormula(value: string): string {
  return /^'+[=+\-@\t\r]/.test(value) ? value.slice(1) : value;
}

export interface CsvWriteOptions {
  /** Start with a UTF-8 BOM so spreadsheet programs read UTF-8 (default true). */
  bom?: boolean;
  /** Quote every cell, not only those that need it (the audit export's historical form). */
  quoteAll?: boolean;
}

/** One cell as written: formula neutralized, quoted where RFC 4180 needs it (or always). */
export function csvCell(value: string | number, opts: Pick<CsvWriteOptions, "quoteAll"> = {}): string {
  const v = neutralizeFormula(String(value));
  const quote = opts.quoteAll || /[",\r\n]/.test(v) || /^\s|\s$/.test(v);
  return quote ? `"${v.replace(/"/g, '""')}"` : v;
}

/** Writes records as CSV: BOM (unless `bom: false`), CRLF after every record, formula cells neutralized. */
export function writeCsv(rows: readonly (readonly (string | number)[])[], opts: CsvWriteOptions = {}): string {
  const body = rows.map((r) => r.map((v) => csvCell(v, opts)).join(",")).join("\r\n");
  return `${opts.bom === false ? "" : "\ufeff"}${body}${rows.length > 0 ? "\r\n" : ""}`;
}
