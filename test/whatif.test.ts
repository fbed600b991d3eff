/**
 * `analyze --what-if` against what really happened: every proxy-on lab sample
 * has a proxy-off twin (same topology, same clients, a real dockerd started
 * with --userland-proxy=false), and the other way round. The prediction for
 * each flow of one sample must match, flow by flow, what the twin's
 * EXPECTED.json (written by scripts/lab.sh from the capture, never by
 * natlens) shows the same client got: connected (and the peer the container
 * saw) or failed. And the derived rules must be the twin's real rules.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import path from "node:path";
import { loadBundle, type Bundle } from "../src/analyze/bundle.js";
import { analyzeBundle, type Report } from "../src/analyze/report.js";
import { buildModel } from "../src/analyze/model.js";
import { deriveRules, type Change } from "../src/whatif/derive.js";
import { readFacts } from "../src/whatif/facts.js";
import { parseWhatIf } from "../src/whatif/change.js";
import { runCli } from "./_io.js";

interface ExpectedFlow {
  id: string;
  proto: string;
  client: { ip: string | null; port: number | null };
  path: "dnat" | "docker-proxy" | "direct" | "failed";
  state: string;
  containerSees: { ip: string; port: number } | null;
  /** UDP: whether the client got its datagrams echoed back (the lab's client output); absent when not recorded. */
  clientReceived?: boolean;
}
const expected = (dir: string): ExpectedFlow[] => JSON.parse(readFileSync(path.join("samples", dir, "EXPECTED.json"), "utf8")).flows;

const cache = new Map<string, Bundle>();
async function bundle(dir: string, reduce?: (b: Bundle) => void): Promise<Bundle> {
  let b = cache.get(dir);
  if (!b) cache.set(dir, (b = await loadBundle([path.join("samples", dir)], { netnsOverrides: new Map() })));
  const copy: Bundle = { ...structuredClone({ ...b, sources: new Map() }), sources: b.sources };
  reduce?.(copy);
  return copy;
}

/** The twins: the first runs with the proxy as the change says it is not, the second with it so. */
const TWINS: [string, string, Change][] = [
  ["lab-proxy", "lab-noproxy", "userland-proxy=false"],
  ["lab28-proxy", "lab28-noproxy", "userland-proxy=false"],
  ["lab-extra", "lab-extra-noproxy", "userland-proxy=false"],
  ["lab28-extra", "lab28-extra-noproxy", "userland-proxy=false"],
  ["lab-noproxy", "lab-proxy", "userland-proxy=true"],
  ["lab28-noproxy", "lab28-proxy", "userland-proxy=true"],
  ["lab-extra-noproxy", "lab-extra", "userland-proxy=true"],
  ["lab28-extra-noproxy", "lab28-extra", "userland-proxy=true"],
  ["lab-ipv6", "lab-ipv6-noproxy", "userland-proxy=false"],
  ["lab-ipv6-noproxy", "lab-ipv6", "userland-proxy=true"],
  // the sosreport-layout run of lab-proxy against lab-noproxy (the same clients, another run)
  ["lab-proxy-sos", "lab-noproxy", "userland-proxy=false"],
  // hairpin_mode=0 on web's port: web-to-self fails today; docker-proxy would serve it
  ["lab-nohairpin", "lab-proxy", "userland-proxy=true"],
  ["lab28-nohairpin", "lab28-proxy", "userland-proxy=true"],
  // --iptables=false: no NAT rule at all; with the proxy off every client of a published port lands in
  // dockerd's placeholder accept queue and is never answered, the clients of the containers' own addresses keep working
  ["lab-noiptables", "lab-noiptables-noproxy", "userland-proxy=false"],
  ["lab-noiptables-noproxy", "lab-noiptables", "userland-proxy=true"],
  ["lab-noiptables-bare", "lab-noiptables-bare-noproxy", "userland-proxy=false"],
  ["lab-noiptables-bare-noproxy", "lab-noiptables-bare", "userland-proxy=true"],
  ["lab28-noiptables", "lab28-noiptables-noproxy", "userland-proxy=false"],
  ["lab28-noiptables-noproxy", "lab28-noiptables", "userland-proxy=true"],
  // UDP published ports only; with the proxy on, 20.10's docker-proxy answers a container client from the
  // bridge's address, so the client drops every answer (the twin's clientReceived: false): that breaks too
  ["lab-udp", "lab-udp-noproxy", "userland-proxy=false"],
  ["lab-udp-noproxy", "lab-udp", "userland-proxy=true"],
  ["lab28-udp", "lab28-udp-noproxy", "userland-proxy=false"],
  ["lab28-udp-noproxy", "lab28-udp", "userland-proxy=true"],
];

for (const [from, to, change] of TWINS) {
  test(`what-if ${change} on ${from} predicts what ${to} shows, flow by flow`, async () => {
    const r = await analyzeBundle(await bundle(from), { whatIf: change });
    const mine = expected(from);
    const twin = new Map(expected(to).map((e) => [e.id, e]));
    let compared = 0;
    const rows: string[] = [];
    for (const f of r.flows) {
      const w = f.whatIf;
      assert.ok(w, "every flow carries a what-if");
      const e = mine.find((x) => x.proto === f.proto && x.client.port === f.client.port && (x.client.ip === null || x.client.ip === f.client.ip));
      assert.ok(e, `flow ${f.proto} ${f.client.ip}:${f.client.port} is in ${from}'s EXPECTED.json`);
      const real = twin.get(e.id);
      if (!real) continue; // a client the twin did not run
      compared++;
      // a UDP client whose datagrams reach the container but whose answers never come back does not work
      const want = real.path === "failed" || real.clientReceived === false ? "breaks" : "works";
      rows.push(`${e.id}: ${w.outcome} (${to}: ${real.path} ${real.state})`);
      assert.equal(w.outcome, want, `${e.id}: predicted ${w.outcome}, ${to} shows ${real.path} ${real.state}: ${w.why}`);
      if (want === "works" && real.containerSees) assert.equal(w.clientSeen?.ip, real.containerSees.ip, `${e.id}: the container would see ${w.clientSeen?.ip}, ${to} shows ${real.containerSees.ip}`);
      if (want === "works") assert.equal(w.path === "docker-proxy", real.path === "docker-proxy", `${e.id}: path ${w.path}, ${to} shows ${real.path}`);
      // never a plain works/breaks that rests on an assumption left unsaid
      for (const a of w.why.matchAll(/not captured/g)) assert.match(w.why, /assumed/, `${e.id}: ${a[0]}`);
    }
    assert.ok(compared >= 7 || (from.startsWith("lab-ipv6") && compared === 8), `compared ${compared} flows:\n${rows.join("\n")}`);
    assert.ok(r.whatIf, "the report carries the host verdict");
  });
}

test("what-if userland-proxy=false on lab-proxy and lab28-proxy: [::1] and the cross-bridge clients break, grouped by cause", async () => {
  for (const dir of ["lab-proxy", "lab28-proxy"]) {
    const r = await analyzeBundle(await bundle(dir), { whatIf: "userland-proxy=false" });
    assert.equal(r.whatIf!.verdict, "breaks");
    assert.match(r.whatIf!.text, /^3 flows would break \(IPv6 loopback: 1, isolation: 2\); beyond the capture: \[::\]:5000\/tcp \(api\): IPv6 clients would be refused: no IPv6 NAT rule for the port \(api has no IPv6 address\)/);
    // the [::]:8080 listener is not repeated there: a flow of the capture already shows it break
    assert.ok(!r.whatIf!.atRisk.some((a) => a.listener === "[::]:8080/tcp"), JSON.stringify(r.whatIf!.atRisk));
    assert.deepEqual(
      r.whatIf!.breaks.map((b) => [b.cause, b.flows.map((x) => x.label)]),
      [
        ["ipv6-loopback", ["tcp host ::1 -> [::1]:8080 (web)"]],
        ["isolation", ["tcp cli2 -> 198.51.100.1:8080 (web)", "tcp cli -> 198.51.100.1:5000 (api)"]],
      ],
    );
    for (const b of r.whatIf!.breaks) for (const x of b.flows) assert.equal(r.flows[x.flow]!.whatIf!.cause, b.cause);
  }
});

test("what-if userland-proxy=false on lab-ipv6: [::1] dropped after DNAT (IPv6 has no route_localnet), the IPv6 client of an IPv4-only container refused", async () => {
  const r = await analyzeBundle(await bundle("lab-ipv6"), { whatIf: "userland-proxy=false" });
  const by = (ip: string, port: number) => r.flows.find((f) => f.client.ip === ip && f.client.port === port)!.whatIf!;
  assert.equal(by("::1", 40033).cause, "ipv6-loopback");
  assert.match(by("::1", 40033).why, /IPv6 has no route_localnet, so a connection from \[::1\] never completes to a container/);
  assert.equal(by("2001:db8:1::10", 40032).cause, "ipv6-no-nat");
  assert.equal(by("2001:db8:1::10", 40031).outcome, "works");
  assert.equal(by("2001:db8:1::10", 40031).clientSeen?.ip, "2001:db8:1::10");
  assert.match(r.whatIf!.text, /^2 flows would break \(IPv6 loopback: 1, IPv6 without NAT: 1\)/);
});

test("without the kernel release, a loopback client's fate is unknown and the verdict says what is missing", async () => {
  const b = await bundle("lab-proxy", (x) => {
    x.settings = x.settings.filter((s) => !s.key.startsWith("kernel.") && s.key !== "docker.kernel_version");
  });
  const r = await analyzeBundle(b, { whatIf: "userland-proxy=false" });
  const lo = r.flows.find((f) => f.client.ip === "127.0.0.1" && f.client.port === 40011)!.whatIf!;
  assert.equal(lo.outcome, "unknown");
  assert.match(lo.assumption!, /route_localnet/);
  assert.equal(lo.missing, "the kernel release (uname -a)");
  // the breaks that do not depend on it are still certain, and the rest is said
  assert.equal(r.whatIf!.verdict, "breaks");
  assert.match(r.whatIf!.text, /^3 flows would break \(IPv6 loopback: 1, isolation: 2\); \d+ more cannot tell \(missing: the kernel release \(uname -a\)\)/);
});

test("without bridge-nf-call-iptables and with a Docker older than 27.4, a same-bridge hairpin is unknown, not works", async () => {
  const b = await bundle("lab-proxy", (x) => {
    x.settings = x.settings.filter((s) => !s.key.startsWith("net.bridge."));
  });
  const r = await analyzeBundle(b, { whatIf: "userland-proxy=false" });
  const cli = r.flows.find((f) => f.client.container === "cli" && f.client.port === 41001)!.whatIf!;
  assert.equal(cli.outcome, "unknown");
  assert.equal(cli.missing, "net.bridge.bridge-nf-call-iptables (sysctl)");
  const zero = await analyzeBundle(
    await bundle("lab-proxy", (x) => {
      for (const s of x.settings) if (s.key === "net.bridge.bridge-nf-call-iptables") s.value = "0";
    }),
    { whatIf: "userland-proxy=false" },
  );
  const cli0 = zero.flows.find((f) => f.client.container === "cli" && f.client.port === 41001)!.whatIf!;
  assert.equal(cli0.outcome, "breaks");
  assert.equal(cli0.cause, "hairpin");
});

/** nat rules as text per chain, in order, bridge names and counters left out. */
function natText(rules: { family: number; table: string; chain: string; position: number; text: string }[]): string[] {
  return rules
    .filter((r) => r.family === 4 && r.table === "nat")
    .sort((a, b) => (a.chain < b.chain ? -1 : a.chain > b.chain ? 1 : a.position - b.position))
    .map((r) => `${r.chain}: ${r.text.replace(/br-[0-9a-f]{12}/g, "br-X")}`);
}
/**
 * SKIP DNAT rules match disjoint bridges, and Docker's DNAT rules disjoint ports: their order
 * among themselves decides nothing (it follows the order the containers started in), so each
 * kind is compared sorted in place.
 */
function skipDnatSorted(lines: string[]): string[] {
  const kinds = [/^DOCKER: -A DOCKER -i \S+ -j RETURN$/, /^DOCKER: -A DOCKER .* -j DNAT /];
  const sorted = kinds.map((k) => lines.filter((l) => k.test(l)).sort());
  const at = kinds.map(() => 0);
  return lines.map((l) => {
    const k = kinds.findIndex((re) => re.test(l));
    return k < 0 ? l : sorted[k]![at[k]!++]!;
  });
}

for (const [from, to, change] of TWINS.slice(0, 10)) {
  test(`the nat rules derived from ${from} for ${change} are ${to}'s real ones`, async () => {
    const mf = buildModel(await bundle(from));
    const mt = buildModel(await bundle(to));
    const d = deriveRules(mf, readFacts(mf), change);
    assert.equal(d.unsupported, null);
    let want = skipDnatSorted(natText(mt.rules));
    // the twin runs ≤ 28 with the proxy off: Docker 20.10 keeps the self-MASQUERADE either way, 28 only with the proxy off
    if (change === "userland-proxy=true") want = want.filter((t) => !/^POSTROUTING: -A POSTROUTING -s (\S+) -d \1 /.test(t) || natText(mf.rules).includes(t));
    const got = skipDnatSorted(natText(d.rules));
    assert.deepEqual(got.filter((t) => !/^POSTROUTING: -A POSTROUTING -s (\S+) -d \1 /.test(t)), want.filter((t) => !/^POSTROUTING: -A POSTROUTING -s (\S+) -d \1 /.test(t)));
    // every self-MASQUERADE the twin has, the derivation has
    for (const t of want.filter((x) => /^POSTROUTING: -A POSTROUTING -s (\S+) -d \1 /.test(x))) assert.ok(got.includes(t), `missing ${t}`);
  });
}

test("--what-if: values, usage errors, and the CSV columns it adds", async () => {
  assert.equal(parseWhatIf("userland-proxy=false"), "userland-proxy=false");
  assert.equal(parseWhatIf("userland-proxy=off"), "userland-proxy=false");
  assert.equal(parseWhatIf("userland-proxy=true"), "userland-proxy=true");
  assert.equal(parseWhatIf("iptables=false"), null);
  const bad = await runCli(["analyze", "samples/lab-proxy", "--what-if", "iptables=false"]);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /--what-if "iptables=false" is not a change natlens can predict/);
  const csv = await runCli(["analyze", "samples/lab-proxy", "--what-if", "userland-proxy=false", "--to", "csv"]);
  const header = csv.stdout.split("\r\n")[0]!;
  assert.ok(header.endsWith(",evidence,what_if_change,what_if_outcome,what_if_path,what_if_client_seen,what_if_cause,what_if_assumption,what_if_why,what_if_verdict"), header);
  const plain = await runCli(["analyze", "samples/lab-proxy", "--to", "csv"]);
  assert.ok(plain.stdout.split("\r\n")[0]!.endsWith(",proxy_pid,evidence"));
  const text = await runCli(["analyze", "samples/lab-proxy", "--what-if", "userland-proxy=false"]);
  assert.match(text.stdout, /\n  what if userland-proxy=false: 3 flows would break \(IPv6 loopback: 1, isolation: 2\); beyond the capture: /);
  assert.match(text.stdout, /what if userland-proxy=false: BREAKS \(isolation\): with userland-proxy=false, container cli2 dialling 198\.51\.100\.1:8080 would be DNATed/);
  const json = JSON.parse((await runCli(["analyze", "samples/lab-proxy", "--what-if", "userland-proxy=false", "--to", "json"])).stdout) as Report;
  assert.deepEqual(Object.keys(json).slice(-1), ["whatIf"]);
  assert.deepEqual(Object.keys(json.flows[0]!).slice(-1), ["whatIf"]);
});

test("the HTML report shows the verdict and each flow's prediction only with --what-if", async () => {
  const page = (await runCli(["analyze", "samples/lab-proxy", "--what-if", "userland-proxy=false", "--to", "html"])).stdout;
  assert.match(page, /<div class="whatif" id="whatif" data-what-if-change="userland-proxy=false" data-what-if-verdict="breaks">/);
  assert.match(page, /<li data-what-if-cause="isolation">isolation: tcp cli2 -&gt; 198\.51\.100\.1:8080 \(web\), tcp cli -&gt; 198\.51\.100\.1:5000 \(api\) <a href="#f4">#5<\/a> <a href="#f12">#13<\/a><\/li>/);
  const rows = [...page.matchAll(/<tr class="flow[^"]*" id="f(\d+)"[^>]* data-what-if="(works|breaks|unknown)"/g)];
  assert.equal(rows.length, 15);
  assert.deepEqual(rows.filter((m) => m[2] === "breaks").map((m) => Number(m[1])), [2, 4, 12]);
  const plain = (await runCli(["analyze", "samples/lab-proxy", "--to", "html"])).stdout;
  assert.ok(!plain.includes("data-what-if"), "no what-if attributes without --what-if");
});

test("batch --what-if userland-proxy=false: which hosts can drop docker-proxy, in hosts.csv, the summary and the fleet page", async () => {
  const { mkdtempSync, readFileSync: read } = await import("node:fs");
  const { tmpdir } = await import("node:os");
  const out = path.join(mkdtempSync(path.join(tmpdir(), "natlens-whatif-")), "out");
  const r = await runCli(["batch", "samples/lab-proxy", "samples/lab-noproxy", "samples/lab-extra", "--out", out, "--jobs", "1", "--what-if", "userland-proxy=false", "-q"]);
  assert.equal(r.code, 0, r.stderr);
  const rows = read(path.join(out, "hosts.ndjson"), "utf8").trim().split("\n").map((l) => JSON.parse(l) as Record<string, unknown>);
  const by = (id: string) => rows.find((x) => x.host_id === id)!;
  assert.deepEqual([by("lab-proxy").what_if_verdict, by("lab-proxy").what_if_breaks, by("lab-proxy").what_if_causes], ["breaks", 3, "ipv6-loopback=1;isolation=2"]);
  assert.equal(by("lab-extra").what_if_verdict, "safe");
  assert.equal(by("lab-noproxy").what_if_verdict, "no-change");
  const summary = read(path.join(out, "summary.txt"), "utf8");
  assert.match(summary, /\nwhat if userland-proxy=false, by host\n  safe: 1 host \(lab-extra\)\n  flows would break: 1 host \(lab-proxy: ipv6-loopback=1;isolation=2\)\n  already so: 1 host \(lab-noproxy\)\n/);
  const page = read(path.join(out, "index.html"), "utf8");
  assert.match(page, /data-host-id="lab-extra"[^>]* data-what-if-verdict="safe"/);
  // each host's analysis.json is what analyze --what-if gives
  const host = JSON.parse(read(path.join(out, "hosts", "lab-proxy", "analysis.json"), "utf8")) as Report;
  assert.match(host.whatIf?.text ?? "", /^3 flows would break \(IPv6 loopback: 1, isolation: 2\)/);
  // without --what-if the columns are there and empty
  const plain = path.join(mkdtempSync(path.join(tmpdir(), "natlens-whatif-")), "out");
  assert.equal((await runCli(["batch", "samples/lab-extra", "--out", plain, "--jobs", "1", "-q"])).code, 0);
  const row = JSON.parse(read(path.join(plain, "hosts.ndjson"), "utf8").trim()) as Record<string, unknown>;
  assert.deepEqual([row.what_if_change, row.what_if_verdict, row.what_if_breaks, row.what_if_causes], [null, null, null, null]);
  assert.ok(!read(path.join(plain, "summary.txt"), "utf8").includes("what if"));
});

test("the what-if from the nft ruleset alone (iptables-nft's `nft list ruleset`) answers as from iptables-save: the model's chains mark the base chains", async () => {
  for (const [dir, change] of [["lab28-proxy", "userland-proxy=false"], ["lab-proxy", "userland-proxy=false"], ["lab28-noproxy", "userland-proxy=true"]] as const) {
    const full = await analyzeBundle(await bundle(dir), { whatIf: change });
    const nft = await analyzeBundle(
      await bundle(dir, (b) => {
        b.rules = b.rules.filter((r) => r.format === "nft");
        b.chains = b.chains.filter((c) => c.format === "nft");
      }),
      { whatIf: change },
    );
    assert.ok(nft.flows.length === full.flows.length && full.flows.length > 10, dir);
    for (const f of full.flows) {
      const g = nft.flows.find((x) => x.proto === f.proto && x.client.ip === f.client.ip && x.client.port === f.client.port)!;
      const key = (w: typeof f.whatIf) => `${w!.outcome} ${w!.path} ${w!.clientSeen?.ip ?? "-"} ${w!.cause ?? "-"}`;
      assert.equal(key(g.whatIf), key(f.whatIf), `${dir} ${f.proto} ${f.client.ip}:${f.client.port}: from nft alone: ${g.whatIf!.why}`);
    }
    assert.equal(nft.whatIf!.verdict, full.whatIf!.verdict, dir);
  }
});

test("UDP: before Docker 28.0 docker-proxy answers a container client from the bridge's address (udp-reply); without the version that is unknown; a UDP placeholder is never read", async () => {
  const on = await analyzeBundle(await bundle("lab-udp-noproxy"), { whatIf: "userland-proxy=true" });
  const cli = on.flows.find((f) => f.proto === "udp" && f.client.container === "cli" && f.client.port === 41061)!.whatIf!;
  assert.equal(cli.outcome, "breaks");
  assert.equal(cli.cause, "udp-reply");
  assert.match(cli.why, /its answers leave from 172\.17\.0\.1, the address of docker0, the route back to the client, not from the dialled 198\.51\.100\.1/);
  assert.match(on.whatIf!.text, /^2 flows would break \(UDP answers from another address: 2\)/);
  // a host client is answered from the address it dialled
  assert.equal(on.flows.find((f) => f.proto === "udp" && f.client.ip === "127.0.0.1" && f.client.port === 40065)!.whatIf!.outcome, "works");
  const noVersion = await analyzeBundle(
    await bundle("lab-udp-noproxy", (b) => {
      b.settings = b.settings.filter((s) => s.key !== "docker.server_version");
    }),
    { whatIf: "userland-proxy=true" },
  );
  const u = noVersion.flows.find((f) => f.proto === "udp" && f.client.container === "cli" && f.client.port === 41061)!.whatIf!;
  assert.equal(u.outcome, "unknown");
  assert.equal(u.missing, "Docker's exact version (docker info)");
  // today: the 20.10 sender answered from the bridge's address fails, and the proxy off would serve it
  const off = await analyzeBundle(await bundle("lab-udp"), { whatIf: "userland-proxy=false" });
  assert.equal(off.flows.find((f) => f.proto === "udp" && f.client.container === "cli" && f.client.port === 41061)!.whatIf!.today, "fails");
  assert.match(off.whatIf!.text, /^1 flow would break \(IPv6 loopback: 1\); 2 failing flows would work/);
  // no NAT rule on 28.x: the UDP placeholder is bound and never read (backlog 0 is a TCP listener's)
  const bare = await analyzeBundle(
    await bundle("lab28-udp", (b) => {
      b.rules = b.rules.filter((r) => r.target !== "DNAT");
    }),
    { whatIf: "userland-proxy=false" },
  );
  const ext = bare.flows.find((f) => f.proto === "udp" && f.client.ip === "198.51.100.10" && f.client.port === 40061)!.whatIf!;
  assert.equal(ext.outcome, "breaks");
  assert.match(ext.why, /its UDP socket is bound and never read/);
  assert.doesNotMatch(ext.why, /backlog/);
});

test("what-if on a bundle with no rule dump (lab-proxy-scc, a supportconfig): cannot tell, and no port is said to lack a NAT rule", async () => {
  const r = await analyzeBundle(await bundle("lab-proxy-scc"), { whatIf: "userland-proxy=false" });
  assert.equal(r.whatIf!.verdict, "unknown");
  assert.match(r.whatIf!.text, /^cannot tell \(missing: the firewall rules/);
  // the rules are not captured, so their absence proves nothing
  assert.deepEqual(r.whatIf!.atRisk, []);
  // a client of a container's own address does not depend on the proxy; every published-port client is unknown
  for (const f of r.flows) assert.equal(f.whatIf!.outcome, f.path === "direct" ? "works" : "unknown", `${f.client.ip}:${f.client.port}`);
});
