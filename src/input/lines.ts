/**
 * Line reading over a ByteSource: UTF-8 decoding across chunk borders, BOM and
 * CR removal, 1-based line numbers, and a look at the first lines (for format
 * detection) without reading the input twice, so stdin works too.
 */
import { isAscii } from "node:buffer";
import { StringDecoder } from "node:string_decoder";
import type { ByteSource } from "./read.js";
import { utf8Chunks, type TextEncoding } from "./text-decode.js";

export type LineCallback = (text: string, no: number) => void;

/** Lines longer than this (in characters; bytes for ASCII) are skipped unread, unless --max-line-bytes says otherwise. */
export const DEFAULT_MAX_LINE = 1 << 20;

/**
 * A first chunk that holds NUL bytes is binary when they are spread over many
 * of its lines (compressed data, executables, images) or the rest is not text.
 * A text capture with a damaged line (a run of NULs from a crash, one bad byte)
 * is still text: the driver skips the lines that hold NULs.
 */
export function looksBinary(chunk: Uint8Array): boolean {
  const head = chunk.subarray(0, 8192);
  if (!head.includes(0)) return false;
  let lines = 1;
  let nulLines = 0;
  let lineHasNul = false;
  let control = 0;
  for (let i = 0; i < head.length; i++) {
    const b = head[i]!;
    if (b === 10) {
      lines++;
      if (lineHasNul) nulLines++;
      lineHasNul = false;
    } else if (b === 0) lineHasNul = true;
    else if ((b < 32 && b !== 9 && b !== 13 && b !== 27 && b !== 12 && b !== 11) || b === 127) control++;
  }
  if (lineHasNul) nulLines++;
  return nulLines * 4 > lines || control * 10 > head.length;
}

/**
 * Node makes a string decoded from more than ~1 MB of Latin-1 an external
 * string (its bytes outside the V8 heap, freed only when a collection finds the
 * string dead): read in 1 MB chunks that way, the bench host's peak RSS grew by
 * 50 MB. Pieces below that size become ordinary heap strings.
 */
const LATIN1_PIECE = 1 << 18;

function latin1(chunk: Buffer): string {
  if (chunk.length <= LATIN1_PIECE) return chunk.toString("latin1");
  let text = "";
  for (let at = 0; at < chunk.length; at += LATIN1_PIECE) text += chunk.toString("latin1", at, Math.min(chunk.length, at + LATIN1_PIECE));
  return text;
}

export class LineReader {
  private readonly iterator: AsyncIterator<Buffer>;
  private readonly decoder = new StringDecoder("utf8");
  /** Text read but not yet handed out as lines. */
  private pending = "";
  /** Lines read ahead by head(). */
  private readonly buffered: string[] = [];
  private done = false;
  private first = true;
  /** Every chunk so far was ASCII (decoded as Latin-1, the decoder untouched). */
  private ascii = true;
  /** Lines handed out so far (head() and forEach() number alike). */
  private count = 0;
  /** Inside a line longer than maxLine: its length so far (it is not kept). */
  private skipping = -1;
  /** Longer lines are skipped unread. */
  readonly maxLine: number;
  /** True when the first chunk looks binary (NULs spread over its lines). */
  binary = false;
  /** True when the first line started with a UTF-8 byte-order mark. */
  hadBom = false;
  /** True when any line ended in CR LF. */
  hadCr = false;
  /** The input's encoding: UTF-16 is transcoded (src/input/text-decode.ts). */
  encoding: TextEncoding = "utf-8";
  /**
   * Lines longer than maxLine, by number, with their length: they reach the
   * callback as "" and the driver skips them (E_LINE_TOO_LONG).
   */
  readonly overlong = new Map<number, number>();

  constructor(source: ByteSource, opts: { maxLine?: number } = {}) {
    this.iterator = utf8Chunks(source.open(), (e) => (this.encoding = e))[Symbol.asyncIterator]();
    this.maxLine = opts.maxLine ?? source.maxLineBytes ?? DEFAULT_MAX_LINE;
  }

  private async fill(): Promise<boolean> {
    if (this.done) return false;
    const next = await this.iterator.next();
    if (next.done) {
      this.done = true;
      this.pending += this.decoder.end();
      return false;
    }
    const chunk = next.value;
    if (this.first) {
      this.first = false;
      this.binary = looksBinary(chunk);
    }
    // ASCII bytes are the same text in Latin-1, which is copied into a string without UTF-8
    // validation (measured on 70 MB of ss output: 0.07-0.22 s -> 0.03 s). Only while every chunk so
    // far was ASCII: after one that was not, the decoder may hold the start of a character.
    if (this.ascii && isAscii(chunk)) this.pending += latin1(chunk);
    else {
      this.ascii = false;
      this.pending += this.decoder.write(chunk);
    }
    return true;
  }

  /** Cut complete lines out of `pending` and pass each to `cb`. */
  private drain(cb: (line: string) => void, final: boolean): void {
    if (this.skipping >= 0) {
      // the rest of a line too long to keep: dropped up to its end
      const nl = this.pending.indexOf("\n");
      if (nl < 0) {
        this.skipping += this.pending.length;
        this.pending = "";
        if (final) this.endOverlong(cb);
        return;
      }
      this.skipping += nl;
      this.pending = this.pending.slice(nl + 1);
      this.endOverlong(cb);
    }
    if (this.pending.length === 0) return;
    // split() is native and measurably faster than an indexOf/slice loop on big chunks.
    const parts = this.pending.split("\n");
    this.pending = final ? "" : parts.pop()!;
    if (final && parts[parts.length - 1] === "") parts.pop();
    if (!this.sawFirstLine && parts.length > 0) {
      this.sawFirstLine = true;
      if (parts[0]!.charCodeAt(0) === 0xfeff) {
        this.hadBom = this.encoding === "utf-8";
        parts[0] = parts[0]!.slice(1);
      }
    }
    const max = this.maxLine;
    for (let i = 0; i < parts.length; i++) {
      const line = parts[i]!;
      this.count++;
      if (line.length > max) {
        this.overlong.set(this.count, line.length);
        cb("");
      } else if (line.charCodeAt(line.length - 1) === 13) {
        this.hadCr = true;
        cb(line.slice(0, -1));
      } else cb(line);
    }
    if (this.pending.length > max) {
      this.skipping = this.pending.length;
      this.pending = "";
    }
  }
  private sawFirstLine = false;

  private endOverlong(cb: (line: string) => void): void {
    this.overlong.set(++this.count, this.skipping);
    this.skipping = -1;
    this.sawFirstLine = true;
    cb("");
  }

  /** The first `n` lines (fewer at end of input), without consuming them. */
  async head(n: number): Promise<string[]> {
    while (this.buffered.length < n) {
      const more = await this.fill();
      this.drain((l) => this.buffered.push(l), !more);
      if (!more) break;
    }
    return this.buffered.slice(0, n);
  }

  /** Call `cb` for every line, from the first, including those seen by head(). */
  async forEach(cb: LineCallback): Promise<number> {
    let no = 0;
    for (const l of this.buffered) cb(l, ++no);
    this.buffered.length = 0;
    const each = (l: string) => cb(l, ++no);
    this.drain(each, this.done);
    while (await this.fill()) this.drain(each, false);
    this.drain(each, true);
    return no;
  }
}
