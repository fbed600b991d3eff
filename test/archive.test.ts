/**
 * Archive input: every sample analysed from its directory and from that
 * directory packed as tar, tar.gz, tar.xz, tar.bz2, tar.zst and zip (with and
 * without a wrapping top directory) gives the same report, apart from the
 * names evidence cites. Plus `ARCHIVE!/member`, nesting, stdin, directories
 * of archives and compressed single captures.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { runCli } from "./_io.js";
import { expandInputs } from "../src/input/read.js";
import { archiveOf, compressWith, FORMATS, gzip, membersOf, tarOf } from "./_archives.js";

const SAMPLES = readdirSync("samples", { withFileTypes: true })
  .filter((e) => e.isDirectory())
  .map((e) => e.name)
  .sort();

function escapeRe(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/** The analysis with every cited name reduced to its path inside the bundle; inputs and diagnostics left out. */
function comparable(json: string, prefixes: string[]): unknown {
  let text = json;
  for (const p of prefixes) text = text.replace(new RegExp(escapeRe(p), "g"), "");
  const report = JSON.parse(text) as Record<string, unknown>;
  delete report["inputs"];
  delete report["diagnostics"];
  return report;
}

async function analyzeJson(input: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return runCli(["analyze", "--format", "json", input]);
}

const tmp = mkdtempSync(path.join(tmpdir(), "natlens-archive-test-"));
test.after(() => rmSync(tmp, { recursive: true, force: true }));

/** What a bundle hands the parser: each source's name below `prefix`, its command, notes and bytes, in order. */
async function sourcesOf(input: string, prefix: string): Promise<unknown[]> {
  const { sources, problems } = await expandInputs([input]);
  assert.deepEqual(problems, []);
  const out: unknown[] = [];
  for (const s of sources) {
    const chunks: Buffer[] = [];
    for await (const c of s.open()) chunks.push(c);
    out.push({ name: s.name === input ? "" : s.name.slice(prefix.length), command: s.command, notes: s.notes, bytes: Buffer.concat(chunks).toString("base64") });
  }
  return out;
}

for (const [i, sample] of SAMPLES.entries()) {
  test(`archive round trip: ${sample} packed in every format, with and without a top directory, hands on the same members and gives the same analysis`, async () => {
    const dir = path.join("samples", sample);
    const wantSources = await sourcesOf(dir, `${dir}/`);
    for (const format of FORMATS) {
      for (const wrapped of [true, false]) {
        const file = path.join(tmp, `${sample}${wrapped ? "" : "-flat"}.${format}`);
        writeFileSync(file, await archiveOf(format, membersOf(dir, wrapped ? `${sample}/` : "")));
        const label = `${format}${wrapped ? " wrapped" : " flat"}`;
        assert.deepEqual(await sourcesOf(file, `${file}!/${wrapped ? `${sample}/` : ""}`), wantSources, label);
        // The whole analysis for one format per sample (the formats take turns): same sources, same report.
        if (format === FORMATS[i % FORMATS.length] && wrapped === (i % 2 === 0)) {
          const ref = await analyzeJson(dir);
          const got = await analyzeJson(file);
          assert.equal(got.code, ref.code, `${label}: exit status\n${got.stderr}`);
          assert.deepEqual(comparable(got.stdout, [`${file}!/${wrapped ? `${sample}/` : ""}`]), comparable(ref.stdout, [`${dir}/`]), label);
        }
        rmSync(file);
      }
    }
  });
}

test("archive: ARCHIVE!/member reads one member, cited by that name", async () => {
  const file = path.join(tmp, "one.tar.gz");
  writeFileSync(file, gzip(await tarOf(membersOf("samples/lab-proxy", "bundle/"))));
  const member = `${file}!/bundle/commands/iptables-save_-c`;
  const r = await runCli(["convert", "--to", "json", member]);
  assert.equal(r.code, 0, r.stderr);
  const out = JSON.parse(r.stdout) as { rules: { source: { file: string; line: number } }[]; inputs: { file: string }[] };
  assert.deepEqual(out.inputs.map((i) => i.file), [member]);
  assert.ok(out.rules.length > 10);
  assert.equal(out.rules[0]!.source.file, member);
  // the same records as the file itself
  const direct = JSON.parse((await runCli(["convert", "--to", "json", "samples/lab-proxy/commands/iptables-save_-c"])).stdout) as { rules: unknown[] };
  assert.equal(out.rules.length, direct.rules.length);

  const missing = await runCli(["convert", "--to", "json", `${file}!/bundle/commands/nope`]);
  assert.equal(missing.code, 2);
  assert.match(missing.stderr, /no such member in the archive/);
});

test("archive: a directory inside an archive, a fleet tar of host archives, and a directory of archives", async () => {
  const host = await archiveOf("tar.xz", membersOf("samples/lab-proxy", "lab-proxy/"));
  const fleet = await tarOf([
    { name: "fleet/", type: "directory" },
    { name: "fleet/h1.tar.xz", data: host },
  ]);
  const fleetFile = path.join(tmp, "fleet.tar");
  writeFileSync(fleetFile, fleet);
  const ref = await analyzeJson("samples/lab-proxy");
  const want = comparable(ref.stdout, ["samples/lab-proxy/"]);

  const whole = await analyzeJson(fleetFile);
  assert.equal(whole.code, ref.code, whole.stderr);
  assert.match(whole.stdout, new RegExp(escapeRe(`"${fleetFile}!/fleet/h1.tar.xz!/lab-proxy/commands/conntrack_-L_-o_extended"`)));
  assert.deepEqual(comparable(whole.stdout, [`${fleetFile}!/fleet/h1.tar.xz!/lab-proxy/`]), want);

  const nested = await analyzeJson(`${fleetFile}!/fleet/h1.tar.xz`);
  assert.deepEqual(comparable(nested.stdout, [`${fleetFile}!/fleet/h1.tar.xz!/lab-proxy/`]), want);

  const sub = await runCli(["convert", "--to", "json", `${fleetFile}!/fleet/h1.tar.xz!/lab-proxy/proc/net`]);
  const inputs = (JSON.parse(sub.stdout) as { inputs: { file: string }[] }).inputs.map((i) => i.file);
  assert.deepEqual(inputs, ["nf_conntrack", "tcp", "tcp6", "udp", "udp6"].map((f) => `${fleetFile}!/fleet/h1.tar.xz!/lab-proxy/proc/net/${f}`));

  const dirOfArchives = path.join(tmp, "hosts");
  rmSync(dirOfArchives, { recursive: true, force: true });
  (await import("node:fs")).mkdirSync(dirOfArchives);
  writeFileSync(path.join(dirOfArchives, "h1.tar.xz"), host);
  const fromDir = await analyzeJson(dirOfArchives);
  assert.deepEqual(comparable(fromDir.stdout, [`${dirOfArchives}/h1.tar.xz!/lab-proxy/`]), want);
});

test("archive: standard input may be an archive, and stdin!/member names a member of it", async () => {
  const data = await archiveOf("tar.zst", membersOf("samples/lab28-noproxy", "b/"));
  const ref = await analyzeJson("samples/lab28-noproxy");
  const r = await runCli(["analyze", "--format", "json", "-"], { stdin: data });
  assert.equal(r.code, ref.code, r.stderr);
  assert.deepEqual(comparable(r.stdout, ["-!/b/"]), comparable(ref.stdout, ["samples/lab28-noproxy/"]));

  const one = await runCli(["convert", "--to", "json", "-!/b/commands/ip_-o_addr"], { stdin: data });
  assert.equal(one.code, 0, one.stderr);
  assert.deepEqual((JSON.parse(one.stdout) as { inputs: { file: string }[] }).inputs.map((i) => i.file), ["-!/b/commands/ip_-o_addr"]);
});

test("archive: a compressed single capture is read under its own name, in any compression", async () => {
  const text = (await import("node:fs")).readFileSync("samples/lab-proxy/commands/ss_-tanpeiO");
  const direct = JSON.parse((await runCli(["convert", "--to", "json", "samples/lab-proxy/commands/ss_-tanpeiO"])).stdout) as { sockets: unknown[] };
  for (const [ext, data] of [
    ["gz", gzip(text)],
    ["xz", compressWith("xz", text)],
    ["bz2", compressWith("bzip2", text)],
    ["zst", compressWith("zstd", text)],
  ] as const) {
    const file = path.join(tmp, `ss.${ext}`);
    writeFileSync(file, data);
    const r = await runCli(["convert", "--to", "json", file]);
    assert.equal(r.code, 0, `${ext}: ${r.stderr}`);
    const out = JSON.parse(r.stdout) as { sockets: { source: { file: string } }[] };
    assert.equal(out.sockets.length, direct.sockets.length, ext);
    assert.equal(out.sockets[0]!.source.file, file);
  }
});

test("archive: the type is recognised by content, not by name", async () => {
  const zip = await archiveOf("zip", membersOf("samples/lab-proxy", "z/"));
  const file = path.join(tmp, "really-a-zip.tgz");
  writeFileSync(file, zip);
  const r = await runCli(["convert", "--to", "json", `${file}!/z/commands/ip_-o_addr`]);
  assert.equal(r.code, 0, r.stderr);
  assert.ok((JSON.parse(r.stdout) as { addresses: unknown[] }).addresses.length > 0);
});
