#!/usr/bin/env node
/** The `natlens` binary: wires the real process to run(). */
import { run } from "./main.js";
import { visible } from "./safe-text.js";

process.stdout.on("error", (err: NodeJS.ErrnoException) => {
  // A closed pipe (`natlens ... | head`) is not an error.
  if (err.code === "EPIPE") process.exit(0);
  throw err;
});

try {
  process.exitCode = await run(process.argv.slice(2), {
    stdout: process.stdout,
    stderr: process.stderr,
    stdin: process.stdin,
    env: process.env,
    stdoutIsTTY: process.stdout.isTTY === true,
    stderrIsTTY: process.stderr.isTTY === true,
  });
} catch (err) {
  const debug = process.argv.includes("--debug");
  process.stderr.write(`natlens: internal error: ${visible((err as Error).message)}\n`);
  process.stderr.write(debug ? `${(err as Error).stack}\n` : "    hint: rerun with --debug for the stack, and please report it\n");
  process.exitCode = 2;
}
