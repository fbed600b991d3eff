/**
 * The long-chain index: which rules of a chain can match a packet, without
 * evaluating each. Every rule with a non-negated single destination port, or
 * a non-negated host-length (/32, /128) source or destination, is filed under
 * that value (`p:<port>`, `s:<addr>`, `d:<addr>`); the others are "open". A
 * filed rule whose value differs from the packet's fails `ruleMatches()`
 * before it has any effect, so the walk may jump straight to the next open or
 * same-valued rule (counting the skipped rules against the step budget as if
 * evaluated). test/engine.test.ts checks it against a plain walk.
 */
import { ipText, parseCidr } from "../net/index.js";
import type { RuleRecord } from "../types.js";

export interface ChainIndex {
  open: number[];
  /** 1 for open rules: the walk stops there without a lookup. */
  isOpen: Uint8Array;
  byKey: Map<string, number[]>;
}

/** Chains shorter than this are walked rule by rule. */
export const INDEX_MIN_RULES = 32;

/** The normal text of a non-negated host-length address match, else null. */
export function hostAddrKey(field: { value: string; negated: boolean } | null | undefined): string | null {
  if (!field || field.negated) return null;
  const c = parseCidr(field.value);
  if (!c || c[1] !== (c[0].kind() === "ipv6" ? 128 : 32)) return null;
  const key = ipText(c[0]);
  // a zone (fe80::1%eth0) is ignored by the match but not by the text: keep such rules open
  return key.includes("%") ? null : key;
}

export function buildChainIndex(rules: RuleRecord[]): ChainIndex | null {
  if (rules.length < INDEX_MIN_RULES) return null;
  const open: number[] = [];
  const isOpen = new Uint8Array(rules.length);
  const byKey = new Map<string, number[]>();
  rules.forEach((r, i) => {
    const m = r.matches;
    let key: string | null = null;
    const d = hostAddrKey(m.dst);
    if (d !== null) key = `d:${d}`;
    if (key === null) {
      const src = hostAddrKey(m.src);
      if (src !== null) key = `s:${src}`;
    }
    if (key === null && m.dport && !m.dport.negated && m.dport.value.length === 1 && m.dport.value[0]!.from === m.dport.value[0]!.to) key = `p:${m.dport.value[0]!.from}`;
    if (key === null) {
      open.push(i);
      isOpen[i] = 1;
    } else {
      const list = byKey.get(key);
      if (list) list.push(i);
      else byKey.set(key, [i]);
    }
  });
  // mostly open rules: nothing to skip, walking is cheaper than looking up
  if (open.length * 2 > rules.length) return null;
  return { open, isOpen, byKey };
}

/** The first element of sorted `list` that is >= idx, or Infinity. */
function nextAtOrAfter(list: number[] | undefined, idx: number): number {
  if (!list || list.length === 0 || list[list.length - 1]! < idx) return Infinity;
  let lo = 0;
  let hi = list.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (list[mid]! < idx) lo = mid + 1;
    else hi = mid;
  }
  return list[lo]!;
}

/**
 * Index of the first rule at or after `idx` (of `count`) that may match a
 * packet with these fields (`count` when none). `src` / `dst` are always
 * normalizeAddr() output, or text that does not parse (then no filed rule can match).
 */
export function nextCandidate(ix: ChainIndex, count: number, idx: number, src: string, dst: string, dport: number | null): number {
  if (idx >= count || ix.isOpen[idx] === 1) return idx;
  // an address with a zone matches rules of the same address without it: no skipping then
  if (dst.includes("%") || src.includes("%")) return idx;
  let next = nextAtOrAfter(ix.open, idx);
  if (dport !== null) next = Math.min(next, nextAtOrAfter(ix.byKey.get(`p:${dport}`), idx));
  next = Math.min(next, nextAtOrAfter(ix.byKey.get(`d:${dst}`), idx));
  next = Math.min(next, nextAtOrAfter(ix.byKey.get(`s:${src}`), idx));
  return Math.min(next, count);
}
