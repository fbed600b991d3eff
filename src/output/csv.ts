/**
 * CSV (RFC 4180) with a fixed header per record kind, safe for spreadsheets.
 *
 * papaparse writes every cell that needs quoting or formula neutralisation.
 * A cell made only of characters that need neither is written as it is, which
 * is exactly what papaparse would write: the property tests check this against
 * Papa.unparse. Calling papaparse for each of millions of plain cells would be
 * five times slower than the whole rest of a conversion (measured: 5.1 s for
 * 1M socket rows against 0.4 s).
 */
import { createRequire } from "node:module";
import type Papa from "papaparse";
import type { Cell, Column } from "./columns.js";
import { visible } from "../safe-text.js";

const UNPARSE: Papa.UnparseConfig = { header: false, newline: "\r\n", escapeFormulae: true };
/** `--csv-raw`: RFC 4180 quoting only, for pandas/DuckDB; unsafe to open in a spreadsheet. */
const UNPARSE_RAW: Papa.UnparseConfig = { header: false, newline: "\r\n", escapeFormulae: false };

/**
 * papaparse, loaded on first use: a conversion whose cells are all plain never
 * needs it, and loading it is 15 ms of a command's start-up (measured).
 */
let papa: typeof Papa | null = null;
function unparse(cells: string[], raw = false): string {
  papa ??= createRequire(import.meta.url)("papaparse") as typeof Papa;
  return papa.unparse([cells], raw ? UNPARSE_RAW : UNPARSE);
}

/**
 * The cell for a string that is not plain: control, C1 and bidi characters
 * made visible (safe-text.ts), then quoted and formula-neutralised by
 * papaparse; with `raw`, quoted only and every character kept.
 */
function quoted(s: string, raw: boolean): string {
  return raw ? unparse([s], true) : unparse([visible(s)]);
}

/**
 * True when `s` can be written as it is: papaparse would neither quote nor
 * formula-escape it, and it holds no character safe-text.ts makes visible.
 */
function plain(s: string): boolean {
  if (s.length === 0) return true;
  const c0 = s.charCodeAt(0);
  // formula starters = + - @ TAB CR, and a leading or trailing blank
  if (c0 === 61 || c0 === 43 || c0 === 45 || c0 === 64 || c0 === 9 || c0 === 13 || c0 === 32) return false;
  if (s.charCodeAt(s.length - 1) === 32) return false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    // , " and the byte-order mark; controls but tab (CR LF among them), DEL, C1, bidi controls
    if (c === 44 || c === 34 || c === 0xfeff || (c < 32 && c !== 9) || (c >= 0x7f && c <= 0x9f) || (c >= 0x202a && c <= 0x202e) || (c >= 0x2066 && c <= 0x2069)) return false;
  }
  return true;
}

export function csvCell(value: Cell, raw = false): string {
  if (value === null) return "";
  if (typeof value === "number") return String(value);
  if (typeof value === "boolean") return value ? "true" : "false";
  return plain(value) ? value : quoted(value, raw);
}

export function csvHeader(columns: readonly Column<never>[]): string {
  const names = columns.map((c) => c.name);
  return (names.every(plain) ? names.join(",") : unparse(names)) + "\r\n";
}

export function csvRow<R>(columns: readonly Column<R>[], record: R, raw = false): string {
  let line = "";
  for (let i = 0; i < columns.length; i++) {
    if (i > 0) line += ",";
    line += csvCell(columns[i]!.get(record), raw);
  }
  return line + "\r\n";
}

/** Decimal text of 0..65535 (ports, queues, uids), made on first use: number formatting is a hot spot in big conversions. */
const SMALL_INTS: (string | undefined)[] = new Array<string | undefined>(65536);
function smallInt(v: number): string {
  return (SMALL_INTS[v] ??= String(v));
}

/**
 * csvRow for many records of one kind: the same output, faster. Each column
 * remembers its last string value and cell, because a file's rows repeat the
 * same file name, format, state and addresses over and over.
 */
export class CsvRowWriter<R> {
  private readonly last: (string | null)[];
  private readonly lastCell: string[];
  /** Reused for every row: join() builds the row as one flat string. */
  private readonly cells: string[];

  constructor(
    private readonly columns: readonly Column<R>[],
    private readonly raw = false,
  ) {
    this.last = columns.map(() => null);
    this.lastCell = columns.map(() => "");
    this.cells = columns.map(() => "");
  }

  row(record: R): string {
    const cols = this.columns;
    const cells = this.cells;
    for (let i = 0; i < cols.length; i++) {
      const v = cols[i]!.get(record);
      let cell: string;
      if (v === null) cell = "";
      else if (typeof v === "number") cell = v >= 0 && v < 65536 && (v | 0) === v ? smallInt(v) : String(v);
      else if (typeof v === "string") {
        if (v === this.last[i]) cell = this.lastCell[i]!;
        else {
          cell = plain(v) ? v : quoted(v, this.raw);
          this.last[i] = v;
          this.lastCell[i] = cell;
        }
      } else cell = v ? "true" : "false";
      cells[i] = cell;
    }
    return cells.join(",") + "\r\n";
  }
}
