/**
 * The colour decision, made once at the edge. chalk does not honour NO_COLOR
 * (chalk/supports-color#74), so it is handled here.
 */
import type { ChalkInstance } from "chalk";

export type ColorChoice = "auto" | "always" | "never";

export function resolveColor(choice: ColorChoice, env: Record<string, string | undefined>, isTTY: boolean): boolean {
  if (choice === "always") return true;
  if (choice === "never") return false;
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
