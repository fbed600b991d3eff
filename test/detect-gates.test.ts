/**
 * Detection's cheap gates (FormatParser.rejects, mayBeForeign) change no
 * detection: the detection of every real input's head (samples, fixtures,
 * the shared captures when present) and of generated and mutated heads is
 * compared with the reference below, which is detect() as it was before the
 * gates (every sniffer run on every head, the foreign patterns on every head).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { closeSync, existsSync, openSync, readdirSync, readSync, statSync } from "node:fs";
import path from "node:path";
import fc from "fast-check";
import { detect, foreignContent, HINT_SCORE, mayBeForeign, meaningfulHead, MIN_SCORE, type Detection } from "../src/detect.js";
import { DETECT_LINES, type FormatParser } from "../src/format.js";
import { classifyNoise, isBlank } from "../src/input/noise.js";
import { commandFormat, mayBeTranscriptLine, posterEdit, promptLine, startsSection } from "../src/input/transcript.js";
import { HEAD_LINES } from "../src/parse-sections.js";
import { FORMATS } from "../src/registry.js";

// ------------------------------------------------- the reference (before the gates) --

function refMeaningfulHead(lines: readonly string[], max: number, found: { command: string | null }): string[] {
  const out: string[] = [];
  for (const l of lines) {
    if (isBlank(l) || classifyNoise(l, out.length === 0)) {
      if (out.length === 0 && l.startsWith("$ ") && found.command === null) found.command = l.slice(2).trim();
      continue;
    }
    if (mayBeTranscriptLine(l)) {
      const p = promptLine(l);
      if (p && p.command === "") continue;
      if (p && out.length === 0) {
        found.command = p.command;
        continue;
      }
      if (p && startsSection(p, (found.command && commandFormat(found.command)) || undefined)) break;
      if (!p && posterEdit(l)) continue;
    }
    out.push(l);
    if (out.length >= max) break;
  }
  return out;
}

function refForeign(head: readonly string[]): Detection["foreign"] {
  const text = head.slice(0, 6).join("\n");
  if (/^\s*Active Connections\s*$/m.test(text) || /^\s+Proto\s+Local Address\s+Foreign Address\s+State(\s+PID)?\s*$/m.test(text)) {
    return { what: "Windows netstat output", hint: "natlens reads Linux captures; run `netstat -tanpeW` or `ss -tanpe` on the Linux host" };
  }
  if (/\(including servers\)/.test(text) || /^Proto\s+Recv-Q\s+Send-Q\s+Local Address\s+Foreign Address\s+\(state\)/m.test(text) || /^tcp(4|46)\s/m.test(text)) {
    return { what: "macOS/BSD netstat output", hint: "natlens reads Linux captures; run `netstat -tanpeW` or `ss -tanpe` on the Linux host" };
  }
  return null;
}

function refDetect(lines: readonly string[], formats: readonly FormatParser[], command: string | null): Detection {
  const found = { command };
  const head = refMeaningfulHead(lines, DETECT_LINES, found);
  const foreign = refForeign(head);
  if (foreign) return { format: null, score: 0, candidates: [], foreign, by: "content", command: found.command };
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
  const list = candidates.map(({ id, score }) => ({ id, score }));
  const hinted = found.command !== null ? commandFormat(found.command) : null;
  if (hinted !== null && hinted !== best?.id && head.length > 0) {
    const h = formats.find((f) => f.id === hinted);
    const hs = candidates.find((c) => c.id === hinted)?.score ?? 0;
    if (h && (hs >= HINT_SCORE || !best || best.score < MIN_SCORE)) {
      return { format: h, score: hs, candidates: list, foreign: null, by: "command", command: found.command };
    }
  }
  return { format: best && best.score >= MIN_SCORE ? best.f : null, score: best?.score ?? 0, candidates: list, foreign: null, by: "content", command: found.command };
}

// ------------------------------------------------------------------- comparing --

const plain = (d: Detection) => ({ format: d.format?.id ?? null, score: d.score, candidates: d.candidates, foreign: d.foreign, by: d.by, command: d.command });

const GATED = FORMATS.filter((f) => f.rejects);
/** How often each gate said "no", and how often it left the head to its sniffer. */
const tally = new Map<string, { rejected: number; passed: number }>([...GATED.map((f) => [f.id, { rejected: 0, passed: 0 }] as const), ["foreign", { rejected: 0, passed: 0 }]]);

function check(lines: readonly string[], command: string | null, where: string): void {
  assert.deepStrictEqual(plain(detect(lines, FORMATS, command)), plain(refDetect(lines, FORMATS, command)), where);
  // each gate alone: true only where its sniffer says 0
  const head = meaningfulHead(lines, DETECT_LINES, { command });
  if (head.length === 0) return;
  for (const f of GATED) {
    const t = tally.get(f.id)!;
    let rejected = false;
    try {
      rejected = f.rejects!(head);
    } catch {
      rejected = false;
    }
    if (!rejected) {
      t.passed++;
      continue;
    }
    t.rejected++;
    let score = 0;
    try {
      score = f.sniff(head);
    } catch {
      score = 0;
    }
    assert.equal(score, 0, `${where}: ${f.id} rejected a head its sniffer scores ${score}`);
  }
  const t = tally.get("foreign")!;
  if (mayBeForeign(head)) t.passed++;
  else {
    t.rejected++;
    assert.equal(foreignContent(head), null, `${where}: mayBeForeign said no to foreign content`);
  }
}

function files(dir: string): string[] {
  if (!existsSync(dir)) return [];
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...files(p));
    else if (e.isFile()) out.push(p);
  }
  return out.sort();
}

/** The first 256 KB of a file as lines, as the line reader gives them (no BOM, no CR). */
function linesOf(file: string): string[] {
  const fd = openSync(file, "r");
  try {
    const buf = Buffer.alloc(Math.min(statSync(file).size, 1 << 18));
    const n = readSync(fd, buf, 0, buf.length, 0);
    return buf.subarray(0, n).toString("utf8").replace(/^\uFEFF/, "").split("\n").map((l) => (l.endsWith("\r") ? l.slice(0, -1) : l));
  } finally {
    closeSync(fd);
  }
}

const CORPUS = [...files("samples"), ...files("test/fixtures"), ...files("/work/shared/examples/captured")];
/** Distinct lines of the corpus, for the generated heads. */
const POOL: string[] = [];

test("detection with the gates equals the reference on every real input's heads", () => {
  assert.ok(CORPUS.length > 1000, `corpus of ${CORPUS.length} files`);
  const seen = new Set<string>();
  let heads = 0;
  for (const file of CORPUS) {
    const lines = linesOf(file);
    // the head the driver holds, and heads further down (sections below other text, concatenated captures)
    for (let at = 0; at < Math.min(lines.length, 800); at += at === 0 ? 7 : 37) {
      check(lines.slice(at, at + HEAD_LINES), null, `${file}:${at + 1}`);
      heads++;
    }
    for (const l of lines.slice(0, 200)) {
      if (seen.has(l) || l.length > 400) continue;
      seen.add(l);
      POOL.push(l);
    }
  }
  assert.ok(heads > CORPUS.length);
});

/** A change to a line that keeps most of it: what a damaged, reformatted or look-alike capture does. */
const mutated = (pool: readonly string[]) =>
  fc
    .tuple(
      fc.constantFrom(...pool),
      fc.constantFrom("keep", "indent", "tab", "dedent", "insert", "replace", "cut", "upper", "lower", "join", "token"),
      fc.nat(400),
      fc.constantFrom(" ", "\t", ":", "-", "#", "*", "[", "(", "ID", "NAMES", "tcp ", "udp ", "tcp4 ", "Proto ", "Chain ", "target ", "Active ", "unix ", "0: ", "ESTAB ", "0 ", "src=", "Total: 3", "$ ", "x", "\u00e9", ""),
      fc.constantFrom(...pool),
    )
    .map(([l, op, at, s, other]) => {
      const k = l.length === 0 ? 0 : at % (l.length + 1);
      switch (op) {
        case "indent": return "  " + l;
        case "tab": return "\t" + l;
        case "dedent": return l.trimStart();
        case "insert": return l.slice(0, k) + s + l.slice(k);
        case "replace": return l.slice(0, k) + s + l.slice(k + 1);
        case "cut": return l.slice(0, k);
        case "upper": return l.toUpperCase();
        case "lower": return l.toLowerCase();
        case "join": return l.slice(0, k) + other.slice(at % (other.length + 1));
        case "token": return s + l;
        default: return l;
      }
    });

test("detection with the gates equals the reference on generated and mutated heads", () => {
  assert.ok(POOL.length > 1000, `pool of ${POOL.length} lines`);
  // a head of real lines from one or several captures, each possibly mutated, with or without a command
  fc.assert(
    fc.property(
      fc.array(mutated(POOL), { minLength: 0, maxLength: 50 }),
      fc.option(fc.constantFrom("ss -tanp", "netstat -tanpeW", "iptables-save -c", "docker ps", "ip route", "cat /proc/net/tcp", "iptables -t nat -L -n -v", "conntrack -L", "ls -l")),
      (lines, command) => check(lines, command, `generated ${JSON.stringify(lines.slice(0, 3))}`),
    ),
    { numRuns: 3000 },
  );
  // the same line repeated: a table of one shape, as the per-row gates see it
  fc.assert(
    fc.property(mutated(POOL), fc.integer({ min: 1, max: 45 }), (l, n) => check(Array(n).fill(l), null, `repeated ${JSON.stringify(l)}`)),
    { numRuns: 2000 },
  );
  // arbitrary text made of the characters and words the gates look at
  const word = fc.constantFrom(" ", "  ", "\t", ":", "-", "#", "*", "[", "]", "(", ")", "ID", "NAMES", "tcp", "udp", "tcp4", "Proto", "Chain", "target", "Active", "Connections", "unix", "0", "12", "0A", "ESTAB", "LISTEN", "src=", "dst=", "Total:", "u_str", "nl", "sl", "a", "Z", ".", "/", "default", "via", "dev", "{\"ID\":\"", "\"Names\":\"",
    "inet", "inet6", "link/ether", "valid_lft", "chain", "hook", "type", "table", "{", "}", "\"", "Server Version:", "Storage Driver:", "kernel.", "net.ipv4.ip_forward", "=", "<", "<flow>", "cpu=", "***", "\u00a0", "\u2028", "\u3000", "\ufeff", "\v");
  fc.assert(
    fc.property(fc.array(fc.array(word, { maxLength: 12 }).map((w) => w.join("")), { maxLength: 45 }), (lines) => check(lines, null, `words ${JSON.stringify(lines.slice(0, 3))}`)),
    { numRuns: 3000 },
  );
});

test("every gate both rejects heads and leaves heads to its sniffer in the corpus", () => {
  assert.ok(GATED.length >= 6, `${GATED.length} gated formats`);
  for (const [id, t] of tally) {
    assert.ok(t.rejected > 100, `${id} rejected ${t.rejected} heads`);
    assert.ok(t.passed > 10, `${id} passed ${t.passed} heads`);
  }
});
