/** `--what-if` values: the daemon changes natlens can predict. */
import type { Change } from "./derive.js";

export const WHAT_IF_CHANGES: readonly Change[] = ["userland-proxy=false", "userland-proxy=true"];

/** The change a `--what-if` value names, or null (`userland-proxy=off`/`on` are accepted too). */
export function parseWhatIf(text: string): Change | null {
  const m = /^\s*(?:--)?userland-proxy\s*=\s*(false|true|off|on|0|1)\s*$/i.exec(text);
  if (!m) return null;
  return ["false", "off", "0"].includes(m[1]!.toLowerCase()) ? "userland-proxy=false" : "userland-proxy=true";
}
