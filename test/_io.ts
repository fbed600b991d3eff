/** A fake process edge for driving run() in tests. */
import type { Io } from "../src/io.js";
import { run } from "../src/main.js";

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

export async function runCli(argv: string[], opts: { stdin?: string | Buffer; env?: Record<string, string>; tty?: boolean; columns?: number } = {}): Promise<RunResult> {
  let stdout = "";
  let stderr = "";
  const io: Io = {
    stdout: { write: (t: string | Uint8Array) => (stdout += typeof t === "string" ? t : Buffer.from(t).toString("utf8")) },
    stderr: { write: (t: string | Uint8Array) => (stderr += typeof t === "string" ? t : Buffer.from(t).toString("utf8")) },
    stdin: (async function* () {
      if (opts.stdin !== undefined) yield Buffer.from(opts.stdin);
    })(),
    env: opts.env ?? {},
    stdoutIsTTY: opts.tty ?? false,
    stderrIsTTY: opts.tty ?? false,
    ...(opts.columns !== undefined ? { stdoutColumns: opts.columns } : {}),
  };
  const code = await run(argv, io);
  return { code, stdout, stderr };
}
