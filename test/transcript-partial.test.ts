/**
 * Partial rule dumps pasted into tickets (`iptables -t nat -S DOCKER` alone, a
 * `| grep DNAT` fragment of a listing): the chain with Docker's rules is
 * entered as Docker enters it, and the answer says it rests on that
 * assumption; a complete dump is traced as before.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { reachUnreachedChains } from "../src/engine/unreached.js";
import { parse } from "../src/parse.js";
import type { RuleRecord } from "../src/types.js";
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

test("partial dump: analyze says its rule answers rest on the assumed jump", async () => {
  const { cpSync, mkdtempSync, rmSync, writeFileSync } = await import("node:fs");
  const { tmpdir } = await import("node:os");
  const path = await import("node:path");
  const dir = mkdtempSync(path.join(tmpdir(), "natlens-partial-"));
  try {
    cpSync("samples/lab-proxy", dir, { recursive: true });
    for (const f of ["iptables-save_-c", "ip6tables-save_-c", "nft_list_ruleset", "iptables_-t_filter_-nvL_--line-numbers", "iptables_-t_nat_-nvL_--line-numbers", "iptables_-t_raw_-nvL_--line-numbers", "ip6tables_-t_nat_-nvL_--line-numbers"]) {
      rmSync(path.join(dir, "commands", f), { force: true });
    }
    writeFileSync(path.join(dir, "commands", "paste.txt"), dockerChainOnly());
    const r = await runCli(["analyze", dir, "--format", "json"]);
    const flows = (JSON.parse(r.stdout) as { flows: { path: string; explanation: string }[] }).flows;
    const ruled = flows.filter((f) => /assumed: nat chain DOCKER holds rules/.test(f.explanation));
    assert.ok(ruled.length > 0, flows.map((f) => f.explanation).join("\n"));
    // every "Not DNATed because" answer carries the assumption
    for (const f of flows.filter((x) => x.explanation.includes("Not DNATed because"))) assert.match(f.explanation, /assumed: nat chain DOCKER/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
