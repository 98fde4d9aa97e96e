import { describe, expect, it } from "vitest";
import { csvCell, CsvError, neutralizeFormula, parseCsv, restoreFormula, writeCsv } from "../../src/kit/csv.js";

const fields = (text: string) => parseCsv(text).map((r) => r.fields);

describe("parseCsv (RFC 4180)", () => {
  it.each([
    ["plain CRLF", "a,b\r\n1,2\r\n", [["a", "b"], ["1", "2"]]],
    ["LF and no final newline", "a,b\n1,2", [["a", "b"], ["1", "2"]]],
    ["BOM is dropped", "\ufeffa,b\r\n", [["a", "b"]]],
    ["quoted comma", 'a,"b,c"\r\n', [["a", "b,c"]]],
    ["escaped quotes", '"say ""hi""",x\r\n', [['say "hi"', "x"]]],
    ["embedded CRLF and LF", '"line1\r\nline2\nline3",z\r\n', [["line1\r\nline2\nline3", "z"]]],
    ["empty fields", ",,\r\n", [["", "", ""]]],
    ["empty quoted field", '"",a\r\n', [["", "a"]]],
    ["blank lines skipped", "a\r\n\r\nb\r\n", [["a"], ["b"]]],
    ["unicode", "Zoë,Ünïcode ✓\r\n", [["Zoë", "Ünïcode ✓"]]],
    ["spaces kept", " a , b \r\n", [[" a ", " b "]]],
  ])("%s", (_, text, expected) => {
    expect(fields(text)).toEqual(expected);
  });

  it("reports the starting line of each record, counting newlines inside quotes", () => {
    const recs = parseCsv('h\r\n"two\r\nlines"\r\nnext\r\n');
    expect(recs.map((r) => r.line)).toEqual([1, 2, 4]);
  });

  it.each([
    ["unterminated quote", 'a,"open\r\nmore', /line 1: a quoted field is not closed/],
    ["quote inside unquoted field", 'ab"c,d\r\n', /line 1: a quote inside an unquoted field/],
    ["text after closing quote", '"a"b,c\r\n', /line 1: unexpected character "b" after a closing quote/],
    ["error on a later line", 'ok\r\nfine\r\n"x"y\r\n', /line 3/],
  ])("refuses %s with its line", (_, text, re) => {
    expect(() => parseCsv(text)).toThrow(CsvError);
    expect(() => parseCsv(text)).toThrow(re);
  });

  it("an empty file has no records", () => {
    expect(parseCsv("")).toEqual([]);
    expect(parseCsv("\ufeff")).toEqual([]);
  });
});

describe("writeCsv", () => {
  it("quotes only where needed, uses CRLF and a BOM", () => {
    expect(writeCsv([["a", "b,c", 'q"t', "x\ny", " pad"]])).toBe('\ufeffa,"b,c","q""t","x\ny"," pad"\r\n');
    expect(writeCsv([["a"]], { bom: false })).toBe("a\r\n");
  });

  it.each(["=1+1", "+SUM(A1)", "-2+3", "@cmd", "\tx", "\rx", "=HYPERLINK(\"http://x\")"])("neutralizes formula cell %j", (v) => {
    const out = parseCsv(writeCsv([[v]]))[0]!.fields[0]!;
    expect(out.startsWith("'")).toBe(true);
    expect(restoreFormula(out)).toBe(v);
  });

  it("leaves ordinary cells alone", () => {
    for (const v of ["2026-01-01", "plain", "a=b", "'quoted", ""]) expect(neutralizeFormula(v)).toBe(v);
  });

  it("round-trips cells that already start with the guard's quote (a typed '=x stays '=x)", () => {
    const rows = [["'=1+1", "''=x", "'+", "'", "'quoted", "'@"]];
    expect(parseCsv(writeCsv(rows)).map((r) => r.fields.map(restoreFormula))).toEqual(rows);
  });

  it("round-trips arbitrary cells", () => {
    const rows = [
      ["id", "text"],
      ["1", 'commas, "quotes"\r\nand CRLF'],
      ["2", ""],
      ["3", "=cmd|' /C calc'!A0"],
    ];
    const back = parseCsv(writeCsv(rows)).map((r) => r.fields.map(restoreFormula));
    expect(back).toEqual(rows);
  });
});

describe("csvCell and the writer's options", () => {
  it("quotes every cell with quoteAll (the audit export), still neutralizing formulas", () => {
    expect(csvCell("=1+1", { quoteAll: true })).toBe(`"'=1+1"`);
    expect(csvCell('a"b', { quoteAll: true })).toBe(`"a""b"`);
    expect(csvCell("-2", { quoteAll: true })).toBe(`"'-2"`);
    expect(csvCell(42, { quoteAll: true })).toBe(`"42"`);
    expect(writeCsv([["id", "x"], [1, "y"]], { bom: false, quoteAll: true })).toBe('"id","x"\r\n"1","y"\r\n');
  });

  it("writes numbers as they print and no record at all for no rows", () => {
    expect(writeCsv([[1, -2, 3.5]], { bom: false })).toBe("1,'-2,3.5\r\n");
    expect(writeCsv([], { bom: false })).toBe("");
    expect(parseCsv(writeCsv([]))).toEqual([]);
  });

  it("garbage in cells (control characters, NUL, lone surrogates, huge cells) round-trips or stays one cell", () => {
    const rows = [["\u0000", "\u0007bell", "a\u2028b", "\ud800", "x".repeat(100_000), '"', '""', ",", "\r", "\n"]];
    const back = parseCsv(writeCsv(rows)).map((r) => r.fields.map(restoreFormula));
    expect(back).toHaveLength(1);
    expect(back[0]).toHaveLength(rows[0]!.length);
    expect(back).toEqual(rows);
  });

  it("garbage files are refused with a line, never half-read", () => {
    for (const text of ['a,"b\r\n', '"x"y', 'a\r\nb"c\r\n', '"""', "\ufeff\"open"]) {
      expect(() => parseCsv(text), JSON.stringify(text)).toThrow(CsvError);
    }
    expect(parseCsv("\u0000,\u0001\r\n")).toEqual([{ line: 1, fields: ["\u0000", "\u0001"] }]);
  });
});
