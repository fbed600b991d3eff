/**
 * String memory. V8 keeps two kinds of strings that cost far more than their
 * characters when millions of records are held:
 *
 * - a slice of 13+ characters is a view into its parent, so a port or an
 *   address cut from a line keeps the whole ~1 MB chunk the reader decoded;
 * - a string built by concatenation is a tree with one ~32-byte node per
 *   piece (a flow explanation of 15 pieces is 4x its characters).
 *
 * `ownCopy` makes a flat string of its own; `intern` also shares one copy
 * between the records that repeat it (addresses, protocol and state names);
 * `flatten` turns a built string into one block in place.
 */
import type { ParseCaches } from "./context.js";

/** A flat copy of `s` that shares no memory with the text it was cut or built from. */
export function ownCopy(s: string): string {
  return (" " + s).slice(1);
}

/** Where flatten puts what it reads, so that the read is never optimised away. */
let flattenSink = 0;

/**
 * `s`, flattened in place: reading a character of a concatenated string makes
 * V8 copy its pieces into one block, after which the ~32-byte node per piece
 * is garbage (a flow explanation of 15 pieces held 4x its characters).
 */
export function flatten(s: string): string {
  flattenSink ^= s.length > 0 ? s.charCodeAt(0) : 0;
  return s;
}

/** Bounded: emptied when full, so a dump of a million distinct strings costs no more than this. */
const INTERN_MAX = 1 << 16;

/** One shared, owned copy of each distinct string (see the module comment), in the run's table (src/context.ts). */
export function intern(s: string, caches: ParseCaches): string {
  const table = caches.strings;
  const hit = table.get(s);
  if (hit !== undefined) return hit;
  if (table.size >= INTERN_MAX) table.clear();
  const own = ownCopy(s);
  table.set(own, own);
  return own;
}

/**
 * `line.slice(from, to)`, as one of the `common` strings when it is one (no
 * slice, no lookup), else interned: for the few words a dump repeats on every
 * row (protocol, state and flag names).
 */
export function wordAt(line: string, from: number, to: number, common: readonly string[], caches: ParseCaches): string {
  const len = to - from;
  for (let i = 0; i < common.length; i++) {
    const c = common[i]!;
    if (c.length === len && line.startsWith(c, from)) return c;
  }
  return intern(line.slice(from, to), caches);
}
