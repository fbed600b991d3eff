/**
 * Format detection by content: every registered format scores the first lines
 * (0..1) and the best score wins when it is clear enough. Output of other
 * operating systems' tools is recognised so that it can be refused with a
 * reason instead of being misread.
 */
import { DETECT_LINES, type FormatParser } from "./format.js";
import { classifyNoise, isBlank } from "./input/noise.js";
import { FORMATS } from "./registry.js";

/** Below this score a format is not claimed. */
export const MIN_SCORE = 0.5;

export interface Detection {
  format: FormatParser | null;
  score: number;
  /** Every format with a non-zero score, best first. */
  candidates: { id: string; score: number }[];
  /** Set when the content is recognisably something natlens refuses. */
  foreign: { what: string; hint: string } | null;
}

/** Drop blank, banner and stderr lines, as the parse driver does. */
export function meaningfulHead(lines: readonly string[], max = DETECT_LINES): string[] {
  const out: string[] = [];
  for (const l of lines) {
    if (isBlank(l) || classifyNoise(l, out.length === 0)) continue;
    out.push(l);
    if (out.length >= max) break;
  }
  return out;
}

function foreignContent(head: readonly string[]): Detection["foreign"] {
  const text = head.slice(0, 6).join("\n");
  if (/^\s*Active Connections\s*$/m.test(text) || /^\s+Proto\s+Local Address\s+Foreign Address\s+State(\s+PID)?\s*$/m.test(text)) {
    return {
      what: "Windows netstat output",
      hint: "natlens reads Linux captures; run `netstat -tanpeW` or `ss -tanpe` on the Linux host",
    };
  }
  if (/\(including servers\)/.test(text) || /^Proto\s+Recv-Q\s+Send-Q\s+Local Address\s+Foreign Address\s+\(state\)/m.test(text) || /^tcp(4|46)\s/m.test(text)) {
    return {
      what: "macOS/BSD netstat output",
      hint: "natlens reads Linux captures; run `netstat -tanpeW` or `ss -tanpe` on the Linux host",
    };
  }
  return null;
}

/** Score `head` (raw first lines) against every format. */
export function detect(lines: readonly string[], formats: readonly FormatParser[] = FORMATS): Detection {
  const head = meaningfulHead(lines);
  const foreign = foreignContent(head);
  if (foreign) return { format: null, score: 0, candidates: [], foreign };
  const candidates: { id: string; score: number; f: FormatParser }[] = [];
  for (const f of formats) {
    let score = 0;
    try {
      score = head.length === 0 ? 0 : f.sniff(head);
    } catch {
      score = 0;
    }
    if (score > 0) candidates.push({ id: f.id, score, f });
  }
  candidates.sort((a, b) => b.score - a.score);
  const best = candidates[0];
  return {
    format: best && best.score >= MIN_SCORE ? best.f : null,
    score: best?.score ?? 0,
    candidates: candidates.map(({ id, score }) => ({ id, score })),
    foreign: null,
  };
}

export function formatById(id: string, formats: readonly FormatParser[] = FORMATS): FormatParser | undefined {
  return formats.find((f) => f.id === id);
}
