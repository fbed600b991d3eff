/** Byte sources for tests of the readers: one input cut into chunks at chosen points. */
import type { ByteSource } from "../src/input/read.js";

/** `bytes` as a source whose chunks end at `cuts` (taken modulo the length, sorted, duplicates dropped). */
export function chunkedSource(name: string, bytes: Buffer, cuts: number[]): ByteSource {
  return {
    name,
    explicit: true,
    async *open() {
      let at = 0;
      for (const c of [...new Set(cuts.map((x) => x % (bytes.length + 1)))].sort((a, b) => a - b)) {
        yield bytes.subarray(at, c);
        at = c;
      }
      yield bytes.subarray(at);
    },
  };
}
