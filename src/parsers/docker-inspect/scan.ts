/**
 * The docker inspect document scanner: lines are buffered and, at end(), a
 * small string-aware scanner cuts the text into top-level values and the
 * elements of top-level arrays; each is parsed on its own (JSON.parse) and
 * handed to InspectRecords, and every line is accounted for (syntax errors,
 * the rest of an invalid value, text between values).
 */
import type { LineParser, ParseContext } from "../../format.js";
import { JSON_HINT, type Json } from "./json.js";
import { InspectRecords } from "./records.js";

const WS = new Uint8Array(128);
WS[32] = WS[9] = WS[10] = WS[13] = 1;

export class InspectParser implements LineParser {
  private readonly lines: string[] = [];
  private readonly nos: number[] = [];
  private text = "";
  private starts: number[] = [];
  /** Per buffered line: already accounted as ignored/skipped. */
  private marked = new Uint8Array(0);
  /** Set when a value was cut off and scanning resumed at the next document. */
  private resynced = false;

  private readonly records: InspectRecords;

  constructor(private readonly ctx: ParseContext) {
    this.records = new InspectRecords(ctx);
  }

  line(text: string, no: number): void {
    this.lines.push(text);
    this.nos.push(no);
  }

  end(): void {
    const n = this.lines.length;
    if (n === 0) return;
    this.starts = new Array<number>(n);
    let off = 0;
    for (let i = 0; i < n; i++) {
      this.starts[i] = off;
      off += this.lines[i]!.length + 1;
    }
    this.text = this.lines.join("\n");
    this.lines.length = 0;
    this.marked = new Uint8Array(n);
    this.scanTop();
  }

  // ------------------------------------------------------------ positions --

  /** Index of the buffered line holding text position `pos`. */
  private idx(pos: number): number {
    const s = this.starts;
    let lo = 0;
    let hi = s.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (s[mid]! <= pos) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  }

  private noAt(pos: number): number {
    return this.nos[this.idx(Math.min(pos, this.text.length - 1))]!;
  }

  private lineText(i: number): string {
    const s = this.starts[i]!;
    const e = i + 1 < this.starts.length ? this.starts[i + 1]! - 1 : this.text.length;
    return this.text.slice(s, e);
  }

  private skipWs(p: number): number {
    const t = this.text;
    while (p < t.length) {
      const c = t.charCodeAt(p);
      if (c < 128 && WS[c] === 1) p++;
      else break;
    }
    return p;
  }

  /**
   * End (exclusive) of the object/array starting at `p`, or -1 when the text
   * ends first. A raw newline ends a string (JSON forbids it) so that a line
   * cut inside a string does not swallow the rest of the file.
   */
  private scanComposite(p: number): number {
    const t = this.text;
    let depth = 0;
    let inStr = false;
    for (let i = p; i < t.length; i++) {
      const c = t.charCodeAt(i);
      if (inStr) {
        if (c === 92) i++; // backslash
        else if (c === 34 || c === 10) inStr = false;
        continue;
      }
      if (c === 34) inStr = true;
      else if (c === 123 || c === 91) depth++;
      else if (c === 125 || c === 93) {
        depth--;
        if (depth === 0) return i + 1;
      }
    }
    return -1;
  }

  /** End of a scalar (string, number, literal) starting at `p`. */
  private scanScalar(p: number): number {
    const t = this.text;
    if (t.charCodeAt(p) === 34) {
      for (let i = p + 1; i < t.length; i++) {
        const c = t.charCodeAt(i);
        if (c === 92) i++;
        else if (c === 34) return i + 1;
        else if (c === 10) return i;
      }
      return t.length;
    }
    let i = p;
    while (i < t.length) {
      const c = t.charCodeAt(i);
      if (c === 44 || c === 93 || c === 125 || c === 10 || c === 32 || c === 9) break;
      i++;
    }
    return i === p ? p + 1 : i;
  }

  /** Next position after `from` where a line starts with `[` or `{` in column 1, or -1. */
  private resyncPoint(from: number): number {
    const t = this.text;
    let p = t.indexOf("\n", from);
    while (p >= 0) {
      const c = t.charCodeAt(p + 1);
      if (c === 91 || c === 123) return p + 1;
      p = t.indexOf("\n", p + 1);
    }
    return -1;
  }

  // ------------------------------------------------------------ accounting --

  /** Mark the lines of [from, to) as the rest of an invalid value (the error line is skipped separately). */
  private ignoreRange(from: number, to: number): void {
    const a = this.idx(from);
    const b = this.idx(Math.max(from, to - 1));
    for (let i = a; i <= b; i++) {
      if (this.marked[i]) continue;
      this.marked[i] = 1;
      this.ctx.ignore(this.nos[i]!, "invalid-json");
    }
  }

  private error(pos: number, code: string, message: string): void {
    const i = this.idx(Math.min(pos, this.text.length - 1));
    if (this.marked[i]) {
      this.ctx.report("error", this.nos[i]!, code, message, this.lineText(i), JSON_HINT);
      return;
    }
    this.marked[i] = 2;
    this.ctx.skip(this.nos[i]!, code, message, this.lineText(i), JSON_HINT);
  }

  // ------------------------------------------------------------ scanning --

  private scanTop(): void {
    const t = this.text;
    let p = this.skipWs(0);
    while (p < t.length) {
      const c = t.charCodeAt(p);
      if (c === 91) p = this.scanArray(p);
      else if (c === 123) {
        p = this.value(p, true);
        this.resynced = false;
      }
      else p = this.garbage(p);
      p = this.skipWs(p);
    }
  }

  /** Text that is not JSON between values: stderr captured into the file, or junk. */
  private garbage(p: number): number {
    const t = this.text;
    let e = t.indexOf("\n", p);
    if (e < 0) e = t.length;
    const i = this.idx(p);
    const line = t.slice(p, e);
    if (!this.marked[i]) {
      this.marked[i] = 1;
      if (line.startsWith("Error: ") || line.startsWith("Error response from daemon: ")) {
        this.ctx.ignore(this.nos[i]!, "stderr");
        this.ctx.report("info", this.nos[i]!, "I_STDERR_LINE", "standard-error line captured into the file, ignored", line);
      } else {
        this.marked[i] = 2;
        this.ctx.skip(this.nos[i]!, "E_DOCKER_NOT_JSON", "text outside the JSON documents", line, "a docker inspect capture holds only JSON arrays or objects");
      }
    }
    return e;
  }

  /** A top-level array: each element is parsed on its own. Returns the position after it. */
  private scanArray(open: number): number {
    const t = this.text;
    let p = this.skipWs(open + 1);
    let expectValue = true;
    for (;;) {
      if (p >= t.length) {
        this.error(t.length - 1, "E_DOCKER_JSON_TRUNCATED", `the array opened on line ${this.noAt(open)} is not closed before the end of the input`);
        return p;
      }
      const c = t.charCodeAt(p);
      if (c === 93) return p + 1; // ]
      if (c === 44) {
        // ,
        if (expectValue) this.error(p, "E_DOCKER_JSON", "unexpected ',' in an array");
        expectValue = true;
        p = this.skipWs(p + 1);
        continue;
      }
      const atColumn1 = p === 0 || t.charCodeAt(p - 1) === 10;
      if (!expectValue) {
        if (atColumn1 && (c === 91 || c === 123)) {
          // a new document starts: the array lost its closing bracket
          this.error(p - 1, "E_DOCKER_JSON_TRUNCATED", `the array opened on line ${this.noAt(open)} is not closed before the next document (line ${this.noAt(p)})`);
          return p;
        }
        this.error(p, "E_DOCKER_JSON", "expected ',' or ']' after an array element");
      }
      if (c === 123 || c === 91) {
        p = this.value(p, false);
        if (this.resynced) {
          // the element's error already says where the next document starts
          this.resynced = false;
          return p;
        }
      } else if (c === 125) {
        this.error(p, "E_DOCKER_JSON", "unexpected '}' in an array");
        p++;
      } else p = this.value(p, false);
      expectValue = false;
      p = this.skipWs(p);
    }
  }

  /** Parse one value (object, nested array or scalar) at `p`; returns the position after it. */
  private value(p: number, top: boolean): number {
    const t = this.text;
    const c = t.charCodeAt(p);
    const composite = c === 123 || c === 91;
    let end = composite ? this.scanComposite(p) : this.scanScalar(p);
    if (end < 0) {
      const r = this.resyncPoint(p);
      end = r < 0 ? t.length : r;
      this.resynced = true;
      this.error(end - 1, "E_DOCKER_JSON_TRUNCATED", `the JSON value starting on line ${this.noAt(p)} is not closed before ${r < 0 ? "the end of the input" : `the next document (line ${this.noAt(r)})`}`);
      this.ignoreRange(p, end);
      return end;
    }
    const slice = t.slice(p, end);
    let v: Json;
    try {
      v = JSON.parse(slice) as Json;
    } catch (err) {
      const msg = (err as Error).message;
      const m = /at position (\d+)/.exec(msg);
      const at = m ? p + Number(m[1]) : end - 1;
      this.error(at, "E_DOCKER_JSON", `invalid JSON: ${msg.replace(/ in JSON at position \d+.*$/, "")}`);
      this.ignoreRange(p, end);
      return end;
    }
    this.records.object(v, this.noAt(p), top);
    return end;
  }
}
