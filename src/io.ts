/** The process edge: streams, environment and exit codes, injectable for tests. */

export const ExitCode = {
  /** Every input parsed and the output written. */
  Ok: 0,
  /** Output written, but some lines or files were skipped (see diagnostics). */
  Skipped: 1,
  /** Usage error, unreadable input, or --strict stop. */
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
