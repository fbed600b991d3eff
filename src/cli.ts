#!/usr/bin/env node
/** The `natlens` binary: wires the real process to run(). */
import { isatty } from "node:tty";
import { exitForOutputError, fdWriter } from "./io.js";
import { visible } from "./safe-text.js";

const args = process.argv.slice(2);
try {
  if (args.length === 1 && (args[0] === "--version" || args[0] === "-V")) {
    // The one answer that needs neither yargs nor any parser (what scripts and package managers ask most).
    fdWriter(1).write((await import("./version.js")).VERSION + "\n");
  } else {
    const { run } = await import("./main.js");
    process.exitCode = await run(args, {
      // Synchronous writes to fd 1, not process.stdout: a slow pipe reader makes natlens wait
      // instead of queueing output in memory, and write errors reach the run (src/io.ts).
      stdout: fdWriter(1),
      stderr: process.stderr,
      stdin: process.stdin,
      env: process.env,
      stdoutIsTTY: isatty(1),
      stderrIsTTY: process.stderr.isTTY === true,
      // analyze's text report wraps to the terminal's width (only when stdout is one)
      ...(isatty(1) && process.stdout.columns ? { stdoutColumns: process.stdout.columns } : {}),
    });
  }
} catch (err) {
  const status = exitForOutputError(err, process.stderr);
  if (status !== null) process.exit(status);
  const debug = process.argv.includes("--debug");
  process.stderr.write(`natlens: internal error: ${visible((err as Error).message)}\n`);
  process.stderr.write(debug ? `${(err as Error).stack}\n` : "    hint: rerun with --debug for the stack, and please report it\n");
  process.exitCode = 2;
}
