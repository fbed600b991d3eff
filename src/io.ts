/** The process edge: streams, environment and exit codes, injectable for tests. */
import { constants, fstatSync, openSync, readFileSync, statSync, writeSync } from "node:fs";

export const ExitCode = {
  /** Every input parsed and the output written. */
  Ok: 0,
  /** Output written, but some lines or files were skipped (see diagnostics). */
  Skipped: 1,
  /** Usage error, unreadable input, output not written, or --strict stop. */
  Usage: 2,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

export interface TextStream {
  /** Text, or bytes of UTF-8 text (large outputs avoid a string round trip). */
  write(text: string | Uint8Array): unknown;
}

export interface Io {
  stdout: TextStream;
  stderr: TextStream;
  stdin: AsyncIterable<Buffer | string>;
  env: Record<string, string | undefined>;
  stdoutIsTTY: boolean;
  stderrIsTTY: boolean;
  /** The terminal's width when stdout is one (analyze's text report wraps to it); absent when piped. */
  stdoutColumns?: number;
}

/** A mistake in how natlens was called: printed as one line plus a hint, exit 2. */
export class UsageError extends Error {
  constructor(
    message: string,
    readonly hint?: string,
  ) {
    super(message);
  }
}

/**
 * Writing the output failed (no space left, stdout closed, the reader of the
 * pipe went away). `code` is the errno name; `target` what was written to.
 */
export class OutputError extends Error {
  constructor(
    readonly code: string,
    readonly target: string,
    message: string,
  ) {
    super(message);
  }
}

const ERRNO_TEXT: Record<string, string> = {
  ENOSPC: "no space left on device",
  EDQUOT: "disk quota exceeded",
  EFBIG: "file too large",
  EIO: "input/output error",
  EBADF: "standard output is closed",
  EPIPE: "the reader closed the pipe",
  EACCES: "permission denied",
  EPERM: "permission denied",
  EROFS: "read-only file system",
};

/** An errno error from a write to `target`, as an OutputError (anything else is returned as is). */
export function outputError(err: unknown, target: string): unknown {
  const code = (err as NodeJS.ErrnoException | null)?.code;
  if (err instanceof OutputError || typeof code !== "string") return err;
  return new OutputError(code, target, `cannot write ${target}: ${ERRNO_TEXT[code] ?? (err as Error).message} (${code})`);
}

/** Sleep on the main thread (a full non-blocking pipe: wait for the reader). */
const sleeper = new Int32Array(new SharedArrayBuffer(4));
function sleepMs(ms: number): void {
  Atomics.wait(sleeper, 0, 0, ms);
}

/**
 * True when file descriptor `fd` is the /dev/null that Node opens (read-write)
 * in place of a descriptor that was closed when the process started
 * (`natlens ... >&-`). A shell's `> /dev/null` opens it write-only. Linux only
 * (elsewhere: false).
 */
export function reopenedClosedFd(fd: number): boolean {
  try {
    const st = fstatSync(fd);
    if (!st.isCharacterDevice() || st.rdev !== statSync("/dev/null").rdev) return false;
    const flags = /^flags:\s*([0-7]+)/m.exec(readFileSync(`/proc/self/fdinfo/${fd}`, "latin1"));
    return flags !== null && (parseInt(flags[1]!, 8) & 3) === 2; // O_ACCMODE == O_RDWR
  } catch {
    return false;
  }
}

/**
 * A TextStream over a file descriptor, written synchronously: when the reader
 * of a pipe is slower than natlens, natlens waits (the pipe's own
 * backpressure) instead of queueing output in memory. A non-blocking
 * descriptor (one shared with a Node stream) is retried after short sleeps.
 * Failures throw OutputError; the first write checks that the descriptor was
 * not closed before natlens started.
 */
export function fdWriter(fd: number, target = fd === 1 ? "standard output" : `file descriptor ${fd}`): TextStream {
  let checked = false;
  let reopened = false;
  return {
    write(data: string | Uint8Array) {
      if (!checked) {
        checked = true;
        if (reopenedClosedFd(fd)) throw new OutputError("EBADF", target, `cannot write ${target}: it is closed (nothing was written)`);
      }
      const bytes = typeof data === "string" ? Buffer.from(data) : data;
      let off = 0;
      let wait = 0.05;
      while (off < bytes.byteLength) {
        try {
          off += writeSync(fd, bytes, off, bytes.byteLength - off);
          wait = 0.05;
        } catch (err) {
          if ((err as NodeJS.ErrnoException).code !== "EAGAIN") throw outputError(err, target);
          if (!reopened) {
            // A pipe made non-blocking by a Node stream sharing it (`2>&1 | ...`): open the pipe
            // again, as a blocking descriptor of our own, and let the kernel make us wait.
            reopened = true;
            const own = blockingReopen(fd);
            if (own !== null) {
              fd = own;
              continue;
            }
          }
          sleepMs(wait);
          wait = Math.min(wait * 2, 10);
        }
      }
      return true;
    },
  };
}

/** A new, blocking descriptor for the pipe behind `fd` (Linux: /proc/self/fd), or null. */
function blockingReopen(fd: number): number | null {
  try {
    if (!fstatSync(fd).isFIFO()) return null;
    return openSync(`/proc/self/fd/${fd}`, constants.O_WRONLY);
  } catch {
    return null;
  }
}

/**
 * The exit status for an error that ends the run, after printing it, when it
 * is an output failure: a closed pipe (`natlens ... | head -1`) ends the run
 * quietly with 0, as ripgrep does; any other write failure is one line and
 * exit 2. Null for other errors.
 */
export function exitForOutputError(err: unknown, stderr: TextStream): ExitCode | null {
  if (!(err instanceof OutputError)) return null;
  if (err.code === "EPIPE") return ExitCode.Ok;
  try {
    stderr.write(`natlens: error: ${err.message}\n`);
  } catch {
    // stderr is gone too: the status says it
  }
  return ExitCode.Usage;
}
