/**
 * Partial rule dumps pasted into tickets (`iptables -t nat -S DOCKER` alone, a
 * `| grep DNAT` fragment of a listing): the chain with Docker's rules is
 * entered as Docker enters it, and the answer says it rests on that
 * assumption; a complete dump is traced as before. The same for nft rulesets
 * pasted without their base chains.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { reachUnreachedChains } from "../src/engine/unreached.js";
import { parse } from "../src/parse.js";
import type { ChainRecord, RuleRecord } from "../src/types.js";
import { runCli } from "./_io.js";

const SAVE = "samples/lab-proxy/commands/iptables-save_-c";

/** `iptables -t nat -S DOCKER` of the sample, as iptables prints it, pasted under a prompt. */
function dockerChainOnly(): string {
  const rules = readFileSync(SAVE, "utf8")
    .split("\n")
    .filter((l) => / -A DOCKER /.test(` ${l.replace(/^\[\d+:\d+\] /, "")}`) && !l.startsWith("*"));
  const nat = rules.slice(rules.findIndex((l) => l.includes("-i br-210ea4ba92bc -j RETURN")));
  return ["[ec2-user@ip-10-0-0-1 ~]$ sudo iptables -t nat -S DOCKER", "-N DOCKER", ...nat.map((l) => l.replace(/^\[\d+:\d+\] /, ""))].join("\n") + "\n";
}

async function traceJson(args: string[], stdin?: string): Promise<{ assumed: string[]; dnat: { addr: string; port: number } | null; verdict: string; code: number }> {
  const r = await runCli(["trace", ...args, "--to", "json"], stdin === undefined ? {} : { stdin });
  const d = JSON.parse(r.stdout) as { assumed: string[]; dnat: { addr: string; port: number } | null; verdict: string };
  return { ...d, code: r.code };
}

test("partial dump: a complete rule set comes back unchanged, with no assumption", async () => {
  for (const f of [SAVE, "samples/lab28-noproxy/commands/iptables-save_-c", "samples/lab-ipv6/commands/ip6tables-save_-c", "samples/lab-proxy/commands/iptables_-t_nat_-nvL_--line-numbers"]) {
    const rules = (await parse(readFileSync(f), { file: f })).records.filter((r): r is RuleRecord => r.kind === "rule");
    assert.ok(rules.length > 0, f);
    const r = reachUnreachedChains(rules);
    assert.equal(r.rules, rules, f);
    assert.deepEqual(r.assumed, [], f);
  }
});

test("partial dump: `iptables -t nat -S DOCKER` alone answers as the full dump would, marked as an assumption", async () => {
  const paste = dockerChainOnly();
  for (const [src, dst, want] of [
    ["198.51.100.10:40000", "198.51.100.1:8080", { addr: "172.17.0.2", port: 80 }],
    ["198.51.100.10:40000", "198.51.100.1:5000", { addr: "10.99.0.2", port: 5000 }],
  ] as const) {
    const full = await traceJson([SAVE, "--src", src, "--dst", dst, "--in", "eth0"]);
    const part = await traceJson(["-", "--src", src, "--dst", dst, "--in", "eth0"], paste);
    assert.deepEqual(full.dnat && { addr: full.dnat.addr, port: full.dnat.port }, want);
    assert.deepEqual(part.dnat && { addr: part.dnat.addr, port: part.dnat.port }, want);
    assert.ok(!full.assumed.some((a) => /no base chain/.test(a)), full.assumed.join("\n"));
    assert.ok(part.assumed.some((a) => /nat chain DOCKER holds rules that no base chain in the inputs reaches.*as if PREROUTING and OUTPUT jumped to it/.test(a)), part.assumed.join("\n"));
  }
  // no DNAT for a packet from docker0 (DOCKER returns first): still said to rest on the assumption, never a plain answer
  const ret = await traceJson(["-", "--src", "172.17.0.4:41003", "--dst", "198.51.100.1:8080", "--in", "docker0"], paste);
  assert.equal(ret.dnat, null);
  assert.ok(ret.assumed.some((a) => /DOCKER.*the answer holds only if they do/.test(a)));
});

test("partial dump: the (unknown) chain of an `iptables -L | grep DNAT` fragment is entered too", async () => {
  const file = "test/fixtures/iptables-list/pasted-grep-dnat-rows-no-chain-line.txt";
  const t = await traceJson([file, "--src", "198.51.100.10:40000", "--dst", "198.51.100.1:8080", "--in", "eth0"]);
  assert.deepEqual(t.dnat && { addr: t.dnat.addr, port: t.dnat.port }, { addr: "172.17.0.2", port: 80 });
  assert.ok(t.assumed.some((a) => a.includes("nat chain (unknown) holds rules")), t.assumed.join("\n"));
});

/**
 * Analyse `sample` with its rule dumps replaced by `paste` (named `name`): every answer the rules
 * give must carry the assumption `assumed` names, and at least one flow must have such an answer.
 */
async function analyzeWithPaste(sample: string, name: string, paste: string, assumed: RegExp): Promise<void> {
  const { cpSync, mkdtempSync, readdirSync: ls, rmSync, writeFileSync } = await import("node:fs");
  const { tmpdir } = await import("node:os");
  const path = await import("node:path");
  const dir = mkdtempSync(path.join(tmpdir(), "natlens-partial-"));
  try {
    cpSync(sample, dir, { recursive: true });
    for (const f of ls(path.join(dir, "commands"))) if (/tables|nft/.test(f)) rmSync(path.join(dir, "commands", f));
    writeFileSync(path.join(dir, "commands", name), paste);
    const r = await runCli(["analyze", dir, "--to", "json"]);
    const flows = (JSON.parse(r.stdout) as { flows: { path: string; explanation: string }[] }).flows;
    const ruled = flows.filter((f) => assumed.test(f.explanation));
    assert.ok(ruled.length > 0, flows.map((f) => f.explanation).join("\n"));
    // every "Not DNATed because" answer carries the assumption
    for (const f of flows.filter((x) => x.explanation.includes("Not DNATed because"))) assert.match(f.explanation, assumed);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test("partial dump: analyze says its rule answers rest on the assumed jump", async () => {
  await analyzeWithPaste("samples/lab-proxy", "paste.txt", dockerChainOnly(), /assumed: nat chain DOCKER holds rules/);
});

// ------------------------------------------------------------------ nft --
// Fixtures cut by hand from real rulesets (test/fixtures/nft/README.md): the nat table's DOCKER chain of
// samples/lab28-noproxy without the PREROUTING/OUTPUT base chains, the same chain without even its table
// line, and Docker 29's nat-prerouting-and-output chain without nat-PREROUTING/nat-OUTPUT.
const NFT_FULL = "samples/lab28-noproxy/commands/nft_list_ruleset";
const NFT_CUTS = [
  { cut: "test/fixtures/nft/handwritten-partial-nat-docker-chain-only.txt", full: NFT_FULL, chain: "ip nat chain DOCKER", dsts: [["198.51.100.1:8080", "172.17.0.2", 80], ["198.51.100.1:5000", "10.99.0.2", 5000]] },
  { cut: "test/fixtures/nft/handwritten-partial-bare-docker-chain.txt", full: NFT_FULL, chain: "ip (unknown) chain DOCKER", dsts: [["198.51.100.1:8080", "172.17.0.2", 80], ["198.51.100.1:5000", "10.99.0.2", 5000]] },
  { cut: "test/fixtures/nft/handwritten-partial-docker29-prerouting-and-output.txt", full: "test/fixtures/nft/docker29-nftables/nft_list_ruleset.txt", chain: "ip docker-bridges chain nat-prerouting-and-output", dsts: [["198.51.100.1:8080", "192.0.2.2", 80], ["198.51.100.1:5353", "192.0.2.3", 53]] },
] as const;

test("partial nft: complete rulesets (every sample's, Docker 29's) come back unchanged, with no assumption", async () => {
  const files = ["test/fixtures/nft/docker29-nftables/nft_list_ruleset.txt", "test/fixtures/nft/iptables-nft-proxy-on/nft_list_ruleset.txt", "test/fixtures/nft/inet-sets/nft_list_ruleset.txt"];
  for (const s of readdirSync("samples")) if (existsSync(`samples/${s}/commands/nft_list_ruleset`)) files.push(`samples/${s}/commands/nft_list_ruleset`);
  assert.ok(files.length > 8);
  for (const f of files) {
    const recs = (await parse(readFileSync(f), { file: f })).records;
    const rules = recs.filter((r): r is RuleRecord => r.kind === "rule");
    const chains = recs.filter((r): r is ChainRecord => r.kind === "chain");
    const r = reachUnreachedChains(rules, chains);
    assert.equal(r.rules, rules, f);
    assert.equal(r.chains, chains, f);
    assert.deepEqual(r.assumed, [], f);
  }
});

test("partial nft: a DNAT chain pasted without its base chains answers as the whole ruleset does, marked as an assumption", async () => {
  for (const c of NFT_CUTS) {
    for (const [dst, addr, port] of c.dsts) {
      const proto = dst.endsWith(":5353") ? ["--proto", "udp"] : [];
      const full = await traceJson([c.full, "--src", "198.51.100.10:40000", "--dst", dst, "--in", "eth0", ...proto]);
      const part = await traceJson([c.cut, "--src", "198.51.100.10:40000", "--dst", dst, "--in", "eth0", ...proto]);
      assert.deepEqual(full.dnat && { addr: full.dnat.addr, port: full.dnat.port }, { addr, port }, `${c.full} ${dst}`);
      assert.deepEqual(part.dnat && { addr: part.dnat.addr, port: part.dnat.port }, { addr, port }, `${c.cut} ${dst}`);
      assert.ok(!full.assumed.some((a) => /no base chain/.test(a)), full.assumed.join("\n"));
      assert.ok(part.assumed.some((a) => a.startsWith(`${c.chain} holds rules that no base chain in the inputs reaches`) && /nat prerouting and nat output jumped to it first.*holds only if they do/.test(a)), part.assumed.join("\n"));
    }
  }
  // a packet no rule of the chain NATs: "no DNAT", still resting on the assumption, never a plain answer
  const none = await traceJson([NFT_CUTS[0].cut, "--src", "198.51.100.10:40000", "--dst", "198.51.100.1:7777", "--in", "eth0"]);
  assert.equal(none.dnat, null);
  assert.ok(none.assumed.some((a) => /ip nat chain DOCKER holds rules/.test(a)), none.assumed.join("\n"));
});

test("partial nft: a chain without its table line is read into table (unknown) with a warning, not refused", async () => {
  const f = NFT_CUTS[1].cut;
  const p = await parse(readFileSync(f), { file: f });
  assert.equal(p.records.filter((r) => r.kind === "rule").length, 4);
  assert.deepEqual(p.diagnostics.map((d) => d.code), ["W_NFT_NO_TABLE"]);
  assert.ok(p.records.every((r) => (r.kind === "rule" || r.kind === "chain") && r.table === "(unknown)"));
});

test("partial nft: analyze says its rule answers rest on the assumed jump", async () => {
  await analyzeWithPaste("samples/lab28-noproxy", "nft_list_table_ip_nat", readFileSync(NFT_CUTS[0].cut, "utf8"), /assumed: ip nat chain DOCKER holds rules/);
});
