/**
 * Full garbage collections between analysis phases.
 *
 * V8 lets the old generation grow to several times what was live at its last
 * full collection before it collects again. Analysis builds a large live set
 * in steps (records, then the model, then flows) and leaves garbage at every
 * step (the socket records once merged, the attributor's indexes), so the peak
 * depends on where V8's collections happen to fall: on the bench host it moved
 * between 0.77 and 1.02 GB with unrelated changes. Collecting where a phase
 * has just dropped its garbage makes the peak follow the live set: 0.64 GB on
 * that host, in the same wall time (measured, scripts/bench-analyze.ts).
 *
 * The collector is reached the way V8 offers it (`--expose-gc` gives new
 * contexts a `gc` function); where that is not possible this does nothing.
 */
import v8 from "node:v8";
import vm from "node:vm";

let collect: (() => void) | null | undefined;

export function collectGarbage(): void {
  if (collect === undefined) {
    try {
      v8.setFlagsFromString("--expose-gc");
      const gc: unknown = vm.runInNewContext("gc");
      collect = typeof gc === "function" ? (gc as () => void) : null;
    } catch {
      collect = null;
    }
  }
  collect?.();
}
