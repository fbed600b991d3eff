/**
 * Per-run parse caches. Parsers remember what dumps repeat on every row
 * (normal address text, one shared copy of a dotted quad, interned words,
 * parsed NAT targets); those tables live here, not in module state, so they
 * last as long as the run that made them and no longer: a batch process that
 * analyses thousands of hosts gives each host a fresh one and the last
 * host's tables are garbage with it.
 *
 * Library use: one `createParseCaches()` per analysed host, passed to every
 * parse of that host's sources (`ParseOptions.caches`), so repeated addresses
 * share one copy across the host's files:
 *
 *   const caches = createParseCaches();
 *   for (const source of hostSources) await parseSource(source, { options: { shareStrings: true, caches }, onRecord, onDiagnostic });
 *
 * Without one, every parse()/parseSource() call makes its own. Every table is
 * bounded (emptied when full), so one long run cannot grow without limit either.
 */
import type { Addr } from "./net/addr.js";
import type { NormalIp } from "./net/ip.js";

export class ParseCaches {
  /** Dotted quads in normal form by value (net/ip.ts sharedQuad). */
  readonly quads = new Map<number, string>();
  /** normalizeIp results by text (net/ip.ts normalizeIpCached). */
  readonly ips = new Map<string, NormalIp | null>();
  /** normalizeCidr results by text (net/ip.ts normalizeCidrCached). */
  readonly cidrs = new Map<string, string | null>();
  /** One owned copy of each interned string (strings.ts intern). */
  readonly strings = new Map<string, string>();
  private readonly tables = new Map<string, Map<string, unknown>>();

  /** A parser's own table, by a name unique to it (e.g. `nft:nat`): created empty on first use. */
  table<V>(name: string): Map<string, V> {
    let t = this.tables.get(name);
    if (!t) this.tables.set(name, (t = new Map()));
    return t as Map<string, V>;
  }
}

/**
 * The analysis side's address memos (src/net/addr.ts: parseAddr, parseCidr,
 * normalizeAddr) for one analysed host or one trace. The same few thousand
 * address texts come back for every traced packet, rule and flow; the memo
 * lives as long as the run that made it (analyzeBundle, traceRules make one
 * and run their synchronous stages inside `withAddrMemo`), so a batch process
 * keeps nothing of one host's addresses when it moves to the next. Each map
 * is bounded too (emptied when full, net/addr.ts CACHE_MAX).
 */
export class AddrMemo {
  /** parseAddr results by text. */
  readonly addrs = new Map<string, Addr | null>();
  /** parseCidr results by text. */
  readonly cidrs = new Map<string, [Addr, number] | null>();
  /** normalizeAddr results by text. */
  readonly norms = new Map<string, string | null>();
}

/** Fresh, empty caches for one run (one analysed host, one conversion). */
export function createParseCaches(): ParseCaches {
  return new ParseCaches();
}

/**
 * `cache`'s value for `key`, made by `make` on a miss; the cache is emptied
 * when it holds `max` entries. `own` copies the key on a miss (a slice of a
 * line must not keep the line's read chunk alive).
 */
export function cachedIn<V>(cache: Map<string, V>, key: string, max: number, make: (k: string) => V, own?: (k: string) => string): V {
  const hit = cache.get(key);
  if (hit !== undefined || cache.has(key)) return hit as V;
  if (cache.size >= max) cache.clear();
  const k = own ? own(key) : key;
  const v = make(k);
  cache.set(k, v);
  return v;
}
