/** A fake process edge for driving run() in tests. */
import type { Io } from "../src/io.js";
import { run } from "../src/main.js";

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

export async function runCli(argv: string[], opts: { stdin?: string; env?: Record<string, string>; tty?: boolean } = {}): Promise<RunResult> {
  let stdout = "";
  let stderr = "";
  const io: Io = {
    stdout: { write: (t: string) => (stdout += t) },
    stderr: { write: (t: string) => (stderr += t) },
    stdin: (async function* () {
      if (opts.stdin !== undefined) yield Buffer.from(opts.stdin);
    })(),
    env: opts.env ?? {},
    stdoutIsTTY: opts.tty ?? false,
    stderrIsTTY: opts.tty ?? false,
  };
  const code = await run(argv, io);
  return { code, stdout, stderr };
}
