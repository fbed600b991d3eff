/**
 * Untrusted text is shown, never interpreted (safe-text.ts): a bundle whose
 * program names, command lines, container names, rule comments and file names
 * carry terminal escapes, BEL, backspace and CR overwrites and bidi overrides
 * never gets one of them to stdout or stderr as it is, in any output format
 * but `--csv-raw`.
 *
 * The hostile bundle is samples/lab-proxy with strings injected into a copy
 * (handwritten edits of a real capture).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { cpSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import fc from "fast-check";
import { runCli } from "./_io.js";

/** Bytes a terminal acts on: C0 but tab and LF, DEL, C1 (U+0080-U+009F), and the bidi controls. */
const ACTIVE = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/u;
/**
 * HTML keeps C1 characters as they are: the DOM must hold the raw strings, and a
 * numeric reference in &#x80;-&#x9f; would decode to a Windows-1252 character
 * instead (escape.ts). Everything else a terminal acts on is a reference there.
 */
const ACTIVE_HTML = /[\u0000-\u0008\u000b-\u001f\u007f\u202a-\u202e\u2066-\u2069]/u;
/** The same, for CSV: CR is allowed only as the CR LF that ends a row. */
const ACTIVE_CSV = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]|\r(?!\n)/u;

const HOSTILE = ["\u001b]2;pwned\u0007", "\u001b[31mred", "\u0007", "ab\b\bXY", "over\rwrite", "web\u202eevil", "\u2066iso\u2069", "\u009b31m", "\u007f", "\u0000nul"];

function hostileBundle(dir: string, evil: string): string {
  const b = path.join(dir, "bundle");
  cpSync("samples/lab-proxy", b, { recursive: true });
  const edit = (rel: string, f: (s: string) => string) => writeFileSync(path.join(b, rel), f(readFileSync(path.join(b, rel), "latin1")), "latin1");
  const utf8 = (rel: string, f: (s: string) => string) => writeFileSync(path.join(b, rel), f(readFileSync(path.join(b, rel), "utf8")));
  // A NUL byte makes a text capture binary (refused whole): NUL goes only where JSON escapes it.
  const text = evil.replace(/\0/g, "");
  const token = text.replace(/[\s/]/g, "_");
  // a program name in netstat -p (one token, as netstat writes it)
  edit("commands/netstat_-tanpeW", (s) => s.replace("32243/docker-proxy", `32243/docker-proxy${token}`));
  // a process command line
  utf8("commands/ps_-efww", (s) => s.replace("-container-port 80\n", `-container-port 80 ${text}\n`));
  // a container name, JSON-escaped as docker inspect writes it
  utf8("docker/docker_inspect_containers", (s) => s.replace('"Name": "/cli2"', `"Name": ${JSON.stringify(`/cli2${evil}`)}`));
  // a rule comment
  utf8("commands/iptables-save_-c", (s) => s.replace(/^(\[\d+:\d+\] -A DOCKER-USER -j RETURN)$/m, `$1 -m comment --comment ${JSON.stringify(text)}`));
  // a file name
  renameSync(path.join(b, "commands/ss_-uanpe"), path.join(b, `commands/ss_-uanpe${token}`));
  // a line no parser understands, echoed back in a diagnostic
  edit("commands/netstat_-tanpeW", (s) => s + `bogus ${token} line\n`);
  return b;
}

type Out = { what: string; text: string; csv?: boolean; html?: boolean };

async function outputs(bundle: string): Promise<Out[]> {
  const out: Out[] = [];
  for (const to of ["text", "json", "csv", "html"]) {
    const r = await runCli(["analyze", "--to", to, "-v", bundle]);
    out.push({ what: `analyze --to ${to} stdout`, text: r.stdout, csv: to === "csv", html: to === "html" }, { what: `analyze --to ${to} stderr`, text: r.stderr });
  }
  for (const to of ["text", "json", "ndjson", "csv"]) {
    for (const kind of ["sockets", "processes", "rules", "containers"]) {
      const r = await runCli(["convert", "--to", to, "--kind", kind, "-v", bundle]);
      out.push({ what: `convert --to ${to} --kind ${kind} stdout`, text: r.stdout, csv: to === "csv" }, { what: `convert --to ${to} --kind ${kind} stderr`, text: r.stderr });
    }
  }
  return out;
}

function assertInert(outs: Out[]): void {
  for (const o of outs) {
    const m = (o.csv ? ACTIVE_CSV : o.html ? ACTIVE_HTML : ACTIVE).exec(o.text);
    assert.equal(m, null, `${o.what} carries U+${m?.[0].codePointAt(0)?.toString(16).padStart(4, "0")} near ${JSON.stringify(o.text.slice(Math.max(0, (m?.index ?? 0) - 40), (m?.index ?? 0) + 20))}`);
  }
}

test("a hostile bundle (escapes, BEL, backspace, CR, bidi overrides in names, command lines, comments, file names) reaches no output raw", async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), "natlens-hostile-"));
  try {
    const bundle = hostileBundle(dir, HOSTILE.join(" "));
    const outs = await outputs(bundle);
    assertInert(outs);
    // ...and the strings are still there, made visible
    const text = outs.find((o) => o.what === "analyze --to text stdout")!.text;
    assert.match(text, /\\x1b\]2;pwned\\x07/);
    assert.match(text, /web\\u202eevil/);
    const procs = outs.find((o) => o.what === "convert --to csv --kind processes stdout")!.text;
    assert.match(procs, /\\x1b\[31mred/);
    // --csv-raw keeps them, as documented
    const raw = await runCli(["convert", "--to", "csv", "--csv-raw", "--kind", "processes", bundle]);
    assert.ok(raw.stdout.includes("\u001b]2;pwned\u0007"));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("property: generated hostile strings in a program name and a container name reach no output raw", async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), "natlens-hostile-"));
  try {
    const hostileChar = fc.oneof(
      fc.integer({ min: 0, max: 0x1f }).map((c) => String.fromCharCode(c)),
      fc.integer({ min: 0x7f, max: 0x9f }).map((c) => String.fromCharCode(c)),
      fc.constantFrom("\u202a", "\u202b", "\u202c", "\u202d", "\u202e", "\u2066", "\u2067", "\u2068", "\u2069", "\u001b[", "\u001b]0;"),
      fc.string({ maxLength: 3 }),
    );
    let n = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(hostileChar, { minLength: 1, maxLength: 8 }).map((a) => a.join("")), async (evil) => {
        const sub = path.join(dir, String(n++));
        const bundle = hostileBundle(sub, evil);
        const outs: Out[] = [];
        for (const to of ["text", "csv", "json"]) {
          const r = await runCli(["analyze", "--to", to, "-v", bundle]);
          outs.push({ what: `analyze ${to}`, text: r.stdout, csv: to === "csv" }, { what: `analyze ${to} stderr`, text: r.stderr, csv: false });
        }
        for (const to of ["text", "csv"]) {
          const r = await runCli(["convert", "--to", to, "--kind", "processes", bundle]);
          outs.push({ what: `convert ${to}`, text: r.stdout, csv: to === "csv" }, { what: `convert ${to} stderr`, text: r.stderr, csv: false });
        }
        assertInert(outs);
        rmSync(sub, { recursive: true, force: true });
      }),
      { numRuns: 8 },
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("property: jsonSafe escapes exactly DEL, C1, U+2028/2029 and the bidi controls, whatever else a string holds", async () => {
  const { jsonSafe } = await import("../src/safe-text.js");
  // the rule as first written: one regex over the whole text (jsonSafe skips it for ASCII text below DEL)
  const reference = (s: string) => s.replace(/[\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
  const char = fc.oneof(
    fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)),
    fc.integer({ min: 0x7f, max: 0xff }).map((c) => String.fromCharCode(c)),
    fc.constantFrom("\u2028", "\u2029", "\u202a", "\u202e", "\u2066", "\u2069", "\u2065", "\u206a", "é", "😀", "\ud800"),
  );
  fc.assert(
    fc.property(fc.array(char, { maxLength: 40 }).map((a) => a.join("")), (s) => {
      assert.equal(jsonSafe(s), reference(s));
    }),
    { numRuns: 2000 },
  );
});
