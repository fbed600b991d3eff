/**
 * Decompression limits (`--max-bytes`, `--max-member-bytes`) and the sizes
 * the options accept (`2G`, `512M`, `64k`, or plain bytes; powers of 1024).
 */
export interface ReadLimits {
  /** Uncompressed bytes one archive may produce (`--max-bytes`). */
  maxBytes: number;
  /** Bytes one member may hold to be read (`--max-member-bytes`). */
  maxMemberBytes: number;
  /** Longest line read, of any input (`--max-line-bytes`; default 1M): longer lines are skipped unread. */
  maxLineBytes?: number;
}

export const DEFAULT_LIMITS: ReadLimits = { maxBytes: 2 * 1024 ** 3, maxMemberBytes: 512 * 1024 ** 2 };

const UNITS: Record<string, number> = { "": 1, b: 1, k: 1024, kb: 1024, kib: 1024, m: 1024 ** 2, mb: 1024 ** 2, mib: 1024 ** 2, g: 1024 ** 3, gb: 1024 ** 3, gib: 1024 ** 3, t: 1024 ** 4, tb: 1024 ** 4, tib: 1024 ** 4 };

/** `16M` -> 16777216; null for anything else (a negative, a fraction of a byte, an unknown unit). */
export function parseByteSize(text: string): number | null {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([a-zA-Z]*)\s*$/.exec(text);
  if (!m) return null;
  const unit = UNITS[m[2]!.toLowerCase()];
  if (unit === undefined) return null;
  const n = Math.floor(Number(m[1]) * unit);
  return Number.isSafeInteger(n) && n > 0 ? n : null;
}
