/**
 * Lines of a file as byte ranges, for readers that work on bytes: the
 * /proc/net CSV fast path (text readers use LineReader).
 */
import { closeSync, fstatSync, openSync, readSync } from "node:fs";

/** Input is read in chunks of this size. */
export const CHUNK = 1 << 22;

/**
 * Reads a file in chunks of up to CHUNK bytes and hands every line (without
 * its LF) to `each` as a range of a reused buffer, numbered from 1. The
 * /proc/net fast path reads through it.
 */
export class LineWalker {
  private readonly fd: number;
  /** Bytes read at a time: CHUNK, or less for a smaller file. */
  private readonly chunk: number;
  private b: Buffer;
  /** Bytes of a partial line carried to the start of `b`. */
  private have = 0;
  /** Inside a line longer than `max`: its length so far (its bytes are dropped), else -1. */
  private skipping = -1;
  lineNo = 0;

  constructor(
    file: string,
    private readonly each: (b: Buffer, start: number, end: number, no: number) => void,
    /** Lines longer than `max` bytes are not handed to `each` but to `overlong`, unread (default: no limit). */
    private readonly limit: { max: number; overlong(no: number, length: number): void } | null = null,
  ) {
    this.fd = openSync(file, "r");
    const size = fstatSync(this.fd).size; // 0 for /proc files and FIFOs
    this.chunk = size > 0 && size < CHUNK ? size + 1 : CHUNK;
    this.b = Buffer.allocUnsafe(this.chunk * 2);
  }

  /** Read and handle the next chunk; false at end of file. */
  step(): boolean {
    let b = this.b;
    if (b.length - this.have < this.chunk) {
      const bigger = Buffer.allocUnsafe(b.length * 2); // a line longer than a chunk
      b.copy(bigger, 0, 0, this.have);
      this.b = b = bigger;
    }
    const n = readSync(this.fd, b, this.have, this.chunk, null);
    if (n === 0) return false;
    const len = this.have + n;
    let start = 0;
    const limit = this.limit;
    if (this.skipping >= 0) {
      const nl = b.indexOf(10, 0);
      if (nl < 0 || nl >= len) {
        this.skipping += len;
        this.have = 0;
        return true;
      }
      limit!.overlong(++this.lineNo, this.skipping + nl);
      this.skipping = -1;
      start = nl + 1;
    }
    for (;;) {
      const nl = b.indexOf(10, start);
      if (nl < 0 || nl >= len) break;
      if (limit !== null && nl - start > limit.max) limit.overlong(++this.lineNo, nl - start);
      else this.each(b, start, nl, ++this.lineNo);
      start = nl + 1;
    }
    this.have = len - start;
    if (limit !== null && this.have > limit.max) {
      this.skipping = this.have;
      this.have = 0;
    } else b.copyWithin(0, start, len);
    return true;
  }

  /** End of file: a last line without LF is handed on too. */
  finish(): void {
    if (this.skipping >= 0) this.limit!.overlong(++this.lineNo, this.skipping);
    else if (this.have > 0) this.each(this.b, 0, this.have, ++this.lineNo);
  }

  close(): void {
    closeSync(this.fd);
  }
}
