/**
 * Where output goes: stdout or a file, through a buffer that is flushed in
 * large writes. Writes are synchronous (files, and stdout pipes on Linux), so
 * a large conversion never piles up output in memory. In --strict mode the
 * output is held back until the run has succeeded.
 */
import { closeSync, openSync, renameSync, rmSync, writeSync } from "node:fs";
import type { Io } from "../io.js";
import type { Sink } from "./writers.js";

const FLUSH_AT = 1 << 16;

export interface Output {
  sink: Sink;
  close(): void;
  /** Drop everything (strict-mode failure). */
  discard(): void;
}

export function openOutput(io: Io, file: string | undefined, holdBack: boolean): Output {
  let parts: string[] = [];
  let size = 0;
  const held: string[] = [];
  let fd: number | null = null;
  const tmp = file ? `${file}.natlens-tmp` : null;
  const emit = (text: string) => {
    if (holdBack) held.push(text);
    else if (tmp !== null) {
      fd ??= openSync(tmp, "w");
      writeSync(fd, text);
    } else io.stdout.write(text);
  };
  const flush = () => {
    if (parts.length) emit(parts.join(""));
    parts = [];
    size = 0;
  };
  return {
    sink: {
      write(text) {
        parts.push(text);
        size += text.length;
        if (size >= FLUSH_AT) flush();
      },
    },
    close() {
      flush();
      if (holdBack) {
        holdBack = false;
        for (const t of held.splice(0)) emit(t);
      }
      if (tmp !== null) {
        fd ??= openSync(tmp, "w");
        closeSync(fd);
        renameSync(tmp, file!);
      }
    },
    discard() {
      parts = [];
      held.length = 0;
      if (fd !== null) closeSync(fd);
      if (tmp !== null) rmSync(tmp, { force: true });
    },
  };
}
