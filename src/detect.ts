/**
 * Format detection by content: every registered format scores the first lines
 * (0..1) and the best score wins when it is clear enough. Output of other
 * operating systems' tools is recognised so that it can be refused with a
 * reason instead of being misread.
 */
import { DETECT_LINES, type FormatParser } from "./format.js";
import { classifyNoise, isBlank } from "./input/noise.js";
import { commandFormat, mayBeTranscriptLine, posterEdit, promptLine, startsSection } from "./input/transcript.js";
import { FORMATS } from "./registry.js";

/** Below this score a format is not claimed. */
export const MIN_SCORE = 0.5;
/**
 * A format the command above the output names (`# ss -tanp`) is taken when it
 * scores at least this much, over any other; and when no format reaches
 * MIN_SCORE, at any score.
 */
export const HINT_SCORE = 0.2;

export interface Detection {
  format: FormatParser | null;
  score: number;
  /** Every format with a non-zero score, best first. */
  candidates: { id: string; score: number }[];
  /** Set when the content is recognisably something natlens refuses. */
  foreign: { what: string; hint: string } | null;
  /** `command` when the command line above the output chose the format, which content alone would not have. */
  by: "content" | "command";
  /** The command found on a prompt line above the output (or given), when any. */
  command: string | null;
}

/**
 * Drop blank, banner, stderr, prompt and poster-edit lines, as the parse
 * driver does, up to the end of the first section of a pasted transcript (the
 * next command line below data). `command` is set to the command of a prompt
 * line above the data.
 */
export function meaningfulHead(lines: readonly string[], max = DETECT_LINES, found?: { command: string | null }): string[] {
  const out: string[] = [];
  for (const l of lines) {
    if (isBlank(l) || classifyNoise(l, out.length === 0)) {
      if (found && out.length === 0 && l.startsWith("$ ") && found.command === null) found.command = l.slice(2).trim();
      continue;
    }
    if (mayBeTranscriptLine(l)) {
      const p = promptLine(l);
      if (p && p.command === "") continue;
      if (p && out.length === 0) {
        if (found) found.command = p.command;
        continue;
      }
      // below data, a `$ command` naming nothing else stays (parsers read such banners); any other command ends the section
      if (p && startsSection(p, (found?.command && commandFormat(found.command)) || undefined)) break;
      if (!p && posterEdit(l)) continue;
    }
    out.push(l);
    if (out.length >= max) break;
  }
  return out;
}

/**
 * False when foreignContent(head) is surely null: each of its patterns needs
 * one of these words in the first six lines (a few substring scans instead of
 * joining the lines and running five regexes, for nearly every input).
 */
export function mayBeForeign(head: readonly string[]): boolean {
  for (let k = 0; k < Math.min(head.length, 6); k++) {
    const l = head[k]!;
    if (l.includes("Proto") || l.includes("Active Connections") || l.includes("(including servers)") || l.includes("tcp4")) return true;
  }
  return false;
}

export function foreignContent(head: readonly string[]): Detection["foreign"] {
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

/**
 * Score `head` (raw first lines) against every format. `command` is the
 * command that printed them when known from elsewhere; a prompt line on top
 * of `head` names it too.
 */
export function detect(lines: readonly string[], formats: readonly FormatParser[] = FORMATS, command: string | null = null): Detection {
  const found = { command };
  const head = meaningfulHead(lines, DETECT_LINES, found);
  const foreign = mayBeForeign(head) ? foreignContent(head) : null;
  if (foreign) return { format: null, score: 0, candidates: [], foreign, by: "content", command: found.command };
  const candidates: { id: string; score: number; f: FormatParser }[] = [];
  for (const f of formats) {
    let score = 0;
    try {
      // a format's cheap gate first: it is true only where sniff() would say 0
      score = head.length === 0 || f.rejects?.(head) ? 0 : f.sniff(head);
    } catch {
      score = 0;
    }
    if (score > 0) candidates.push({ id: f.id, score, f });
  }
  candidates.sort((a, b) => b.score - a.score);
  const best = candidates[0];
  const list = candidates.map(({ id, score }) => ({ id, score }));
  const hinted = found.command !== null ? commandFormat(found.command) : null;
  if (hinted !== null && hinted !== best?.id && head.length > 0) {
    const h = formats.find((f) => f.id === hinted);
    const hs = candidates.find((c) => c.id === hinted)?.score ?? 0;
    if (h && (hs >= HINT_SCORE || !best || best.score < MIN_SCORE)) {
      return { format: h, score: hs, candidates: list, foreign: null, by: "command", command: found.command };
    }
  }
  return {
    format: best && best.score >= MIN_SCORE ? best.f : null,
    score: best?.score ?? 0,
    candidates: list,
    foreign: null,
    by: "content",
    command: found.command,
  };
}

export function formatById(id: string, formats: readonly FormatParser[] = FORMATS): FormatParser | undefined {
  return formats.find((f) => f.id === id);
}
