/**
 * What a rule dump shows of the kernel's tables (src/input/rule-dump.ts), as
 * the parse driver reports it, and the table coverage the engine builds from
 * it (src/engine/coverage.ts).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { ruleDumpCommandFromName, ruleDumpScope, type RuleDump } from "../src/input/rule-dump.js";
import { textSource, type ByteSource } from "../src/input/read.js";
import { parseSource } from "../src/parse.js";
import { tableCoverage } from "../src/engine/index.js";
import type { ChainRecord, NatlensRecord, RuleRecord } from "../src/types.js";

test("ruleDumpScope: the tables and family each rule-dump command prints", () => {
  const cases: [string, ReturnType<typeof ruleDumpScope>][] = [
    ["iptables-save", { format: "iptables-save", family: 4, tables: "all" }],
    ["iptables-save -c", { format: "iptables-save", family: 4, tables: "all" }],
    ["sudo ip6tables-legacy-save -t nat", { format: "iptables-save", family: 6, tables: ["nat"] }],
    ["iptables-nft-save --table=raw", { format: "iptables-save", family: 4, tables: ["raw"] }],
    ["iptables -t nat -nvL --line-numbers", { format: "iptables-list", family: 4, tables: ["nat"] }],
    ["iptables -vnxL", { format: "iptables-list", family: 4, tables: ["filter"] }],
    ["ip6tables -S", { format: "iptables-save", family: 6, tables: ["filter"] }],
    ["iptables -tnat -S DOCKER", { format: "iptables-save", family: 4, tables: ["nat"] }],
    ["nft list ruleset", { format: "nft", family: null, tables: "all" }],
    ["nft -a list ruleset ip6", { format: "nft", family: 6, tables: "all" }],
    ["nft list table ip nat", { format: "nft", family: 4, tables: ["nat"] }],
    ["nft list table filter", { format: "nft", family: 4, tables: ["filter"] }],
    ["nft list table inet firewalld", { format: "nft", family: null, tables: ["firewalld"] }],
    ["iptables -A INPUT -j DROP", null],
    ["nft add rule ip filter input drop", null],
    ["ss -tanp", null],
  ];
  for (const [cmd, want] of cases) assert.deepEqual(ruleDumpScope(cmd), want, cmd);
});

test("ruleDumpCommandFromName: collector and sosreport file names of rule dumps", () => {
  assert.equal(ruleDumpCommandFromName("b/commands/iptables_-t_nat_-nvL_--line-numbers"), "iptables -t nat -nvL --line-numbers");
  assert.equal(ruleDumpCommandFromName("sos_commands/networking/ip6tables-save"), "ip6tables-save");
  assert.equal(ruleDumpCommandFromName("x.tar.gz!/nft_list_ruleset"), "nft list ruleset");
  assert.equal(ruleDumpCommandFromName("proc/net/tcp"), null);
  assert.equal(ruleDumpCommandFromName("rules.txt"), null);
});

async function dumpsOf(source: ByteSource): Promise<{ dumps: RuleDump[]; records: NatlensRecord[] }> {
  const dumps: RuleDump[] = [];
  const records: NatlensRecord[] = [];
  await parseSource(source, { onRecord: (r) => records.push(r), onDiagnostic: () => {}, onRuleDump: (d) => dumps.push(d) });
  return { dumps, records };
}

const NAT_SAVE = "*nat\n:PREROUTING ACCEPT [0:0]\n:INPUT ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n:POSTROUTING ACCEPT [0:0]\n-A PREROUTING -p tcp -m tcp --dport 8080 -j DNAT --to-destination 172.17.0.2:80\nCOMMIT\n";

test("parse driver: a dump's scope comes from its MANIFEST command, its file name, its banner or the format's default", async () => {
  const withCmd: ByteSource = { ...textSource("b/commands/x", NAT_SAVE), command: "iptables-save -t nat", exit: 0 };
  assert.deepEqual((await dumpsOf(withCmd)).dumps.map((d) => [d.format, d.family, d.tables, d.command, d.empty, d.exit]), [["iptables-save", 4, ["nat"], "iptables-save -t nat", false, 0]]);
  const byName = textSource("b/iptables-save_-t_nat", NAT_SAVE);
  assert.deepEqual((await dumpsOf(byName)).dumps.map((d) => d.tables), [["nat"]]);
  const banner = textSource("paste.txt", `$ iptables-save -t nat\n${NAT_SAVE}`);
  assert.deepEqual((await dumpsOf(banner)).dumps.map((d) => d.tables), [["nat"]]);
  const plain = textSource("rules.txt", NAT_SAVE);
  assert.deepEqual((await dumpsOf(plain)).dumps.map((d) => [d.tables, d.family, d.command]), [["all", null, null]]);
  // a transcript: one dump per section, each with its own command
  const two = textSource("t.txt", `$ iptables-save -t nat\n${NAT_SAVE}$ ip6tables-save\n*filter\n:INPUT ACCEPT [0:0]\n:FORWARD DROP [0:0]\n:OUTPUT ACCEPT [0:0]\nCOMMIT\n`);
  assert.deepEqual((await dumpsOf(two)).dumps.map((d) => [d.family, d.tables, d.line]), [[4, ["nat"], 1], [6, "all", 9]]);
});

test("parse driver: an empty output of a rule-dump command is a dump that shows no table; other empty files are none", async () => {
  const empty: ByteSource = { ...textSource("b/commands/iptables-save_-c", ""), command: "iptables-save -c", exit: 0 };
  assert.deepEqual((await dumpsOf(empty)).dumps.map((d) => [d.family, d.tables, d.empty, d.exit]), [[4, "all", true, 0]]);
  const failed: ByteSource = { ...textSource("b/commands/nft_list_ruleset", ""), command: "nft list ruleset", exit: 127 };
  assert.deepEqual((await dumpsOf(failed)).dumps.map((d) => [d.empty, d.exit]), [[true, 127]]);
  assert.deepEqual((await dumpsOf(textSource("b/proc/net/tcp", ""))).dumps, []);
});

test("tableCoverage: present where a dump shows the table, absent where a whole-family dump lacks it, not captured otherwise", async () => {
  const nat = await dumpsOf(textSource("b/iptables_-t_nat_-S", "-P PREROUTING ACCEPT\n-P INPUT ACCEPT\n-P OUTPUT ACCEPT\n-P POSTROUTING ACCEPT\n-A PREROUTING -p tcp -m tcp --dport 8080 -j DNAT --to-destination 172.17.0.2:80\n"));
  const chains = (r: NatlensRecord[]) => r.filter((x): x is ChainRecord => x.kind === "chain");
  const rules = (r: NatlensRecord[]) => r.filter((x): x is RuleRecord => x.kind === "rule");
  const c1 = tableCoverage(nat.dumps, chains(nat.records), rules(nat.records));
  assert.deepEqual([c1.state(4, "nat"), c1.state(4, "filter"), c1.state(4, "raw"), c1.state(6, "nat")], ["present", "not-captured", "not-captured", "not-captured"]);
  // add a whole IPv4 dump: its other tables are absent, IPv6 is still not captured
  const all = await dumpsOf(textSource("b/iptables-save", NAT_SAVE));
  const c2 = tableCoverage([...nat.dumps, ...all.dumps], [...chains(nat.records), ...chains(all.records)], [...rules(nat.records), ...rules(all.records)]);
  assert.deepEqual([c2.state(4, "nat"), c2.state(4, "filter"), c2.state(4, "raw"), c2.state(6, "filter")], ["present", "absent", "absent", "not-captured"]);
  // an empty `nft list ruleset` that ran: every table of both families is absent
  const nft: ByteSource = { ...textSource("b/nft_list_ruleset", ""), command: "nft list ruleset", exit: 0 };
  const c3 = tableCoverage((await dumpsOf(nft)).dumps, [], []);
  assert.deepEqual(c3.facts.map((f) => f.state), ["absent", "absent", "absent", "absent", "absent", "absent"]);
  // the same output of a command that failed proves nothing
  const c4 = tableCoverage((await dumpsOf({ ...nft, exit: 1 })).dumps, [], []);
  assert.ok(c4.facts.every((f) => f.state === "not-captured"));
});
