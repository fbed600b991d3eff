/**
 * Mutations of real captures for the fuzz harness: each takes the bytes of a
 * sample or fixture and a seeded random source, and returns a damaged copy of
 * the kind real bundles and pasted dumps show (flipped bytes, lost, repeated
 * or swapped lines, cut files, huge fields, odd hex and IPv6 spellings).
 */

import { mulberry32 } from "../_bench.js";

/** A seeded PRNG: the same seed gives the same mutants on every machine. */
export const prng = mulberry32;

export type Rand = () => number;
const int = (r: Rand, n: number) => Math.floor(r() * n);
const pick = <T>(r: Rand, xs: readonly T[]): T => xs[int(r, xs.length)]!;

const ODD_IPV6 = [
  "::",
  "::1",
  "::ffff:127.0.0.1",
  "::ffff:999.1.1.1",
  "1::2::3",
  "fe80::1%eth0",
  "[::1]",
  "0:0:0:0:0:0:0:1",
  "1:2:3:4:5:6:7:8:9",
  "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
  "2001:DB8::A",
  "::ffff:0:0/96",
  "::/0",
  "64:ff9b::198.51.100.1",
  ":::",
  "[2001:db8::1]:",
];
const ODD_NUMBERS = ["99999999999999999999", "-1", "65536", "4294967296", "1e309", "NaN", "0x1F", "00000000000", "", "-0"];
const ODD_BYTES = [0x00, 0x1b, 0x7f, 0x0d, 0x09, 0xff, 0xfe, 0x80, 0x3a, 0x5b, 0x5d, 0x22];
const HEX = "0123456789ABCDEFabcdef";

function lines(b: Buffer): string[] {
  return b.toString("latin1").split("\n");
}
function join(ls: string[]): Buffer {
  return Buffer.from(ls.join("\n"), "latin1");
}

/** Replace one token matched by `re` on a random line (latin1 keeps every byte as it was). */
function replaceToken(b: Buffer, r: Rand, re: RegExp, make: () => string): Buffer {
  const ls = lines(b);
  for (let tries = 0; tries < 8 && ls.length; tries++) {
    const i = int(r, ls.length);
    const matches = [...ls[i]!.matchAll(re)];
    if (matches.length === 0) continue;
    const m = pick(r, matches);
    ls[i] = ls[i]!.slice(0, m.index) + make() + ls[i]!.slice(m.index! + m[0].length);
    return join(ls);
  }
  return b;
}

export const MUTATORS: Record<string, (b: Buffer, r: Rand, other: () => Buffer) => Buffer> = {
  "byte-flip"(b, r) {
    if (b.length === 0) return Buffer.from([pick(r, ODD_BYTES)]);
    const out = Buffer.from(b);
    const n = 1 + int(r, 8);
    for (let i = 0; i < n; i++) out[int(r, out.length)] = r() < 0.5 ? pick(r, ODD_BYTES) : int(r, 256);
    return out;
  },
  "line-drop"(b, r) {
    const ls = lines(b);
    const n = 1 + int(r, 4);
    for (let i = 0; i < n && ls.length; i++) ls.splice(int(r, ls.length), 1);
    return join(ls);
  },
  "line-dup"(b, r) {
    const ls = lines(b);
    if (!ls.length) return b;
    const i = int(r, ls.length);
    const times = r() < 0.9 ? 1 + int(r, 3) : 50 + int(r, 500);
    ls.splice(i, 0, ...Array<string>(times).fill(ls[i]!));
    return join(ls);
  },
  "line-swap"(b, r) {
    const ls = lines(b);
    if (ls.length < 2) return b;
    const i = int(r, ls.length);
    const j = int(r, ls.length);
    [ls[i], ls[j]] = [ls[j]!, ls[i]!];
    return join(ls);
  },
  truncate(b, r) {
    return b.subarray(0, int(r, b.length + 1));
  },
  "huge-field"(b, r) {
    return replaceToken(b, r, /[^\s,"{}[\]]+/g, () => {
      const unit = r() < 0.5 ? "A" : pick(r, ["0", "f", "1.", ":", "x-", "é"]);
      return unit.repeat(1000 + int(r, 100_000));
    });
  },
  "random-hex"(b, r) {
    return replaceToken(b, r, /\b[0-9A-Fa-f]{4,}\b/g, () => {
      let s = "";
      const n = int(r, 40);
      for (let i = 0; i < n; i++) s += HEX[int(r, HEX.length)];
      return s;
    });
  },
  "odd-ipv6"(b, r) {
    return replaceToken(b, r, /\b\d{1,3}(?:\.\d{1,3}){3}\b|\b[0-9a-f]{0,4}(?::[0-9a-f]{0,4}){2,7}\b/gi, () => pick(r, ODD_IPV6));
  },
  "odd-number"(b, r) {
    return replaceToken(b, r, /\b\d+\b/g, () => pick(r, ODD_NUMBERS));
  },
  "control-chars"(b, r) {
    const ls = lines(b);
    if (!ls.length) return b;
    const i = int(r, ls.length);
    const at = int(r, ls[i]!.length + 1);
    ls[i] = ls[i]!.slice(0, at) + pick(r, ["\r", "\t", "\0", "\x1b[31m", "\x1b]2;t\x07", "\u202e", "\b\b", "\r\r\n"]) + ls[i]!.slice(at);
    return join(ls);
  },
  splice(b, r, other) {
    const ls = lines(b);
    const donor = lines(other());
    const from = int(r, donor.length);
    ls.splice(int(r, ls.length + 1), 0, ...donor.slice(from, from + 1 + int(r, 20)));
    return join(ls);
  },
};

export const MUTATOR_NAMES = Object.keys(MUTATORS);

/** One mutant: 1–3 mutations stacked. */
export function mutate(b: Buffer, r: Rand, other: () => Buffer): { bytes: Buffer; how: string[] } {
  const how: string[] = [];
  let out = b;
  const n = 1 + (r() < 0.7 ? 0 : int(r, 3));
  for (let i = 0; i < n; i++) {
    const name = pick(r, MUTATOR_NAMES);
    how.push(name);
    out = MUTATORS[name]!(out, r, other);
  }
  return { bytes: out, how };
}
