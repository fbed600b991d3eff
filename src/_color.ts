/**
 * The colour decision, made once at the edge from the flag, the environment and
 * whether the stream is a terminal (chalk is only told the result: it reads
 * process.env itself, which run() never does). `--color always|never` wins;
 * then FORCE_COLOR as chalk/supports-color read it (`0`/`false`: off; empty,
 * `1`, `2`, `3`, `true`: on, even when not a terminal); then NO_COLOR
 * (non-empty: off, https://no-color.org) and TERM=dumb; then the terminal.
 */
import type { ChalkInstance } from "chalk";

export type ColorChoice = "auto" | "always" | "never";

export function resolveColor(choice: ColorChoice, env: Record<string, string | undefined>, isTTY: boolean): boolean {
  if (choice === "always") return true;
  if (choice === "never") return false;
  const force = env["FORCE_COLOR"];
  if (force !== undefined) return !(force === "0" || force === "false");
  if (env["NO_COLOR"]) return false;
  if (env["TERM"] === "dumb") return false;
  return isTTY;
}

/** A chalk instance with colour forced on, or null for plain output (chalk is loaded only then). */
export async function makeChalk(on: boolean): Promise<ChalkInstance | null> {
  if (!on) return null;
  const { Chalk } = await import("chalk");
  return new Chalk({ level: 1 });
}
