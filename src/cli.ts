#!/usr/bin/env node
/** The `natlens` binary: wires the real process to run(). */
import { isatty } from "node:tty";
import { exitForOutputError, fdWriter } from "./io.js";
import { run } from "./main.js";
import { visible } from "./safe-text.js";

try {
  process.exitCode = await run(process.argv.slice(2), {
    // Synchronous writes to fd 1, not process.stdout: a slow pipe reader makes natlens wait
    // instead of queueing output in memory, and write errors reach the run (src/io.ts).
    stdout: fdWriter(1),
    stderr: process.stderr,
    stdin: process.stdin,
    env: process.env,
    stdoutIsTTY: isatty(1),
    stderrIsTTY: process.stderr.isTTY === true,
  });
} catch (err) {
  const status = exitForOutputError(err, process.stderr);
  if (status !== null) process.exit(status);
  const debug = process.argv.includes("--debug");
  process.stderr.write(`natlens: internal error: ${visible((err as Error).message)}\n`);
  process.stderr.write(debug ? `${(err as Error).stack}\n` : "    hint: rerun with --debug for the stack, and please report it\n");
  process.exitCode = 2;
}
