/**
 * Output writers for `convert`: named, small, behind one factory. Each gets
 * records one at a time and the accounting at the end; CSV and NDJSON stream,
 * JSON and text collect (JSON groups by kind, text aligns columns).
 */
import type { ChalkInstance } from "chalk";
import {
  KIND_PLURALS,
  RECORDS_SCHEMA,
  type Diagnostic,
  type InputSummary,
  type NatlensRecord,
  type RecordKind,
} from "../types.js";
import { COLUMNS, TEXT_COLUMNS, type Column } from "./columns.js";
import { csvHeader, CsvRowWriter } from "./csv.js";
import { jsonSafe, visible } from "../safe-text.js";

import type { OutputFormat } from "./formats.js";

export { OUTPUT_FORMATS, type OutputFormat } from "./formats.js";

/** Buffered text sink; `write` must accept large strings. */
export interface Sink {
  write(text: string): void;
}

export interface RecordWriter {
  write(record: NatlensRecord): void;
  finish(inputs: InputSummary[], diagnostics: Diagnostic[]): void;
}

export interface WriterOptions {
  /** Only records of this kind are written (required for csv and text when inputs hold several kinds). */
  kind: RecordKind | null;
  chalk: ChalkInstance | null;
  /** `--csv-raw`: no formula neutralisation and no escaping of control characters (not for spreadsheets). */
  csvRaw?: boolean;
}

function cols(kind: RecordKind): Column<NatlensRecord>[] {
  return COLUMNS[kind] as unknown as Column<NatlensRecord>[];
}

function csvWriter(sink: Sink, kind: RecordKind, raw: boolean): RecordWriter {
  const columns = cols(kind);
  sink.write(csvHeader(columns as Column<never>[]));
  const rows = new CsvRowWriter(columns, raw);
  return {
    write(record) {
      if (record.kind === kind) sink.write(rows.row(record));
    },
    finish() {},
  };
}

function ndjsonWriter(sink: Sink, kind: RecordKind | null): RecordWriter {
  return {
    write(record) {
      if (!kind || record.kind === kind) sink.write(jsonSafe(JSON.stringify(record)) + "\n");
    },
    finish(inputs, diagnostics) {
      for (const i of inputs) sink.write(jsonSafe(JSON.stringify({ kind: "input", ...i })) + "\n");
      for (const d of diagnostics) sink.write(jsonSafe(JSON.stringify({ kind: "diagnostic", ...d })) + "\n");
    },
  };
}

function jsonWriter(sink: Sink, kind: RecordKind | null): RecordWriter {
  const groups = Object.fromEntries(Object.values(KIND_PLURALS).map((p) => [p, [] as NatlensRecord[]])) as Record<string, NatlensRecord[]>;
  return {
    write(record) {
      if (!kind || record.kind === kind) groups[KIND_PLURALS[record.kind]]!.push(record);
    },
    finish(inputs, diagnostics) {
      // Written piece by piece so a large document is never one giant string.
      sink.write(`{\n  "schema": ${JSON.stringify(RECORDS_SCHEMA)}`);
      for (const [plural, records] of Object.entries(groups)) {
        sink.write(`,\n  ${JSON.stringify(plural)}: [`);
        records.forEach((r, i) => sink.write(`${i ? "," : ""}\n    ${jsonSafe(JSON.stringify(r))}`));
        sink.write(records.length ? "\n  ]" : "]");
      }
      sink.write(`,\n  "inputs": ${jsonSafe(JSON.stringify(inputs, null, 2)).replace(/\n/g, "\n  ")}`);
      sink.write(`,\n  "diagnostics": ${jsonSafe(JSON.stringify(diagnostics, null, 2)).replace(/\n/g, "\n  ")}\n}\n`);
    },
  };
}

function stateColor(chalk: ChalkInstance, value: string): string {
  switch (value) {
    case "ESTABLISHED":
      return chalk.green(value);
    case "LISTEN":
    case "UNCONN":
      return chalk.cyan(value);
    case "SYN_SENT":
    case "SYN_RECV":
      return chalk.yellow(value);
    case "TIME_WAIT":
    case "CLOSE_WAIT":
    case "FIN_WAIT1":
    case "FIN_WAIT2":
    case "LAST_ACK":
    case "CLOSING":
    case "CLOSE":
      return chalk.dim(value);
    default:
      return value;
  }
}

function textWriter(sink: Sink, kind: RecordKind, chalk: ChalkInstance | null): RecordWriter {
  const all = cols(kind);
  const names = TEXT_COLUMNS[kind];
  const columns = names.map((n) => all.find((c) => c.name === n)!).filter(Boolean);
  const rows: string[][] = [];
  return {
    write(record) {
      if (record.kind !== kind) return;
      rows.push(columns.map((c) => {
        const v = c.get(record);
        return v === null ? "-" : visible(String(v));
      }));
    },
    finish() {
      const header = columns.map((c) => c.name.toUpperCase());
      // a loop, not Math.max(...rows): a spread of a million rows overflows the stack
      const widths = header.map((h) => h.length);
      for (const r of rows) for (let i = 0; i < widths.length; i++) if (r[i]!.length > widths[i]!) widths[i] = r[i]!.length;
      const pad = (cells: string[], paint?: (i: number, s: string) => string) =>
        cells
          .map((s, i) => {
            const padded = i === cells.length - 1 ? s : s.padEnd(widths[i]!);
            return paint ? paint(i, padded) : padded;
          })
          .join("  ")
          .trimEnd();
      sink.write((chalk ? chalk.bold(pad(header)) : pad(header)) + "\n");
      const stateIdx = columns.findIndex((c) => c.name === "state");
      for (const r of rows) {
        sink.write(
          pad(r, chalk ? (i, s) => (i === stateIdx ? stateColor(chalk, s) : s === "-".padEnd(s.length) ? chalk.dim(s) : s) : undefined) + "\n",
        );
      }
    },
  };
}

export function createWriter(format: OutputFormat, sink: Sink, opts: WriterOptions): RecordWriter {
  switch (format) {
    case "csv":
      if (!opts.kind) throw new Error("csv output needs a record kind");
      return csvWriter(sink, opts.kind, opts.csvRaw === true);
    case "text":
      if (!opts.kind) throw new Error("text output needs a record kind");
      return textWriter(sink, opts.kind, opts.chalk);
    case "ndjson":
      return ndjsonWriter(sink, opts.kind);
    case "json":
      return jsonWriter(sink, opts.kind);
  }
}
