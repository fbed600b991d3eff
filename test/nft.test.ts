/** Table tests for the nft parser: statements, NAT targets, structure, detection. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { parse } from "../src/parse.js";
import { LOST_XT, nft, tokenize } from "../src/parsers/nft/index.js";
import { parseNatSpec } from "../src/parsers/_iptables-rule.js";
import { createParseCaches } from "../src/context.js";
import type { ChainRecord, RuleRecord } from "../src/types.js";

async function rules(body: string, family = "ip", table = "nat") {
  const text = `table ${family} ${table} {\n\tchain C {\n${body
    .split("\n")
    .map((l) => `\t\t${l}`)
    .join("\n")}\n\t}\n}\n`;
  const r = await parse(text, { type: "nft" });
  return { rules: r.records.filter((x): x is RuleRecord => x.kind === "rule"), diagnostics: r.diagnostics, summary: r.summary };
}

async function one(line: string, family = "ip") {
  const r = await rules(line, family);
  assert.equal(r.rules.length, 1);
  return { rule: r.rules[0]!, codes: r.diagnostics.map((d) => d.code) };
}

test("nft tokenize keeps quoted strings and sets whole", () => {
  assert.deepEqual(tokenize('iifname != "a b" tcp dport { 80, 443 } comment "x \\" y"'), [
    "iifname",
    "!=",
    '"a b"',
    "tcp",
    "dport",
    "{ 80, 443 }",
    "comment",
    '"x \\" y"',
  ]);
  assert.deepEqual(tokenize("udp dport 5353  meta mark"), ["udp", "dport", "5353", "meta", "mark"]);
  assert.deepEqual(tokenize('iifname vmap { "a" : jump b, "c" : goto d }'), ["iifname", "vmap", '{ "a" : jump b, "c" : goto d }']);
  // unbalanced input never throws
  assert.deepEqual(tokenize('comment "open'), ["comment", '"open']);
  assert.deepEqual(tokenize("ip daddr { 1.2.3.4"), ["ip", "daddr", "{ 1.2.3.4"]);
});

test("nft dnat/snat argument forms (the NAT spec grammar iptables shares)", () => {
  const cases: [string, ReturnType<typeof parseNatSpec>][] = [
    ["172.17.0.2:80", { addr: "172.17.0.2", addrTo: null, port: 80, portTo: null }],
    ["172.17.0.2:80-81", { addr: "172.17.0.2", addrTo: null, port: 80, portTo: 81 }],
    ["172.17.0.2", { addr: "172.17.0.2", addrTo: null, port: null, portTo: null }],
    ["10.0.0.1-10.0.0.3:80", { addr: "10.0.0.1", addrTo: "10.0.0.3", port: 80, portTo: null }],
    ["[fd00:dead:beef::242:ac11:2]:80", { addr: "fd00:dead:beef::242:ac11:2", addrTo: null, port: 80, portTo: null }],
    ["fd00:0:0::2", { addr: "fd00::2", addrTo: null, port: null, portTo: null }],
    ["[fd00::2]-[fd00::5]:443", { addr: "fd00::2", addrTo: "fd00::5", port: 443, portTo: null }],
    [":8080", { addr: null, addrTo: null, port: 8080, portTo: null }],
    ["[::ffff:192.0.2.1]:80", { addr: "192.0.2.1", addrTo: null, port: 80, portTo: null }],
    ["host.example:80", null],
    ["1.2.3.4:99999", null],
    ["[fd00::2", null],
  ];
  for (const [input, want] of cases) assert.deepEqual(parseNatSpec(input, createParseCaches()), want, input);
});

test("nft statements map to RuleMatches", async () => {
  const { rule } = await one('iifname != "docker0" ip daddr 127.0.0.1 tcp dport 9090 counter packets 4 bytes 240 dnat to 172.17.0.3:9000 comment "DNAT" # handle 19');
  assert.deepEqual(rule.matches.inIface, { value: "docker0", negated: true });
  assert.deepEqual(rule.matches.dst, { value: "127.0.0.1/32", negated: false });
  assert.deepEqual(rule.matches.proto, { value: "tcp", negated: false });
  assert.deepEqual(rule.matches.dport, { value: [{ from: 9090, to: 9090 }], negated: false });
  assert.equal(rule.matches.comment, "DNAT");
  assert.equal(rule.target, "DNAT");
  assert.deepEqual(rule.nat, { addr: "172.17.0.3", addrTo: null, port: 9000, portTo: null });
  assert.equal(rule.packets, 4);
  assert.equal(rule.bytes, 240);
  assert.equal(rule.handle, 19);

  const fib = (await one("ip daddr != 127.0.0.0/8 fib daddr type local counter jump DOCKER")).rule;
  assert.deepEqual(fib.matches.dst, { value: "127.0.0.0/8", negated: true });
  assert.deepEqual(fib.matches.dstType, { value: "LOCAL", negated: false });
  assert.equal(fib.target, "DOCKER");
  assert.equal(fib.goto, false);
  assert.equal(fib.packets, null, "counter without numbers");

  const go = (await one("meta l4proto tcp ip daddr 198.51.100.7 goto MYCHAIN")).rule;
  assert.equal(go.target, "MYCHAIN");
  assert.equal(go.goto, true);

  const ct = (await one("oifname \"docker0\" ct state != established | related counter drop")).rule;
  assert.deepEqual(ct.matches.ctstate, { value: ["ESTABLISHED", "RELATED"], negated: true });

  const mark = (await one("udp dport 5353  meta mark & 0x000000ff == 0x00000001  counter packets 0 bytes 0 accept")).rule;
  assert.deepEqual(mark.matches.mark, { value: "0x1/0xff", negated: false });
  assert.equal(mark.target, "ACCEPT");

  const ports = (await one("iifname \"br-*\" meta l4proto tcp ip saddr != 203.0.113.0/24 tcp dport { 8080, 9000-9010 } udp sport 53 drop")).rule;
  assert.deepEqual(ports.matches.inIface, { value: "br-*", negated: false });
  assert.deepEqual(ports.matches.src, { value: "203.0.113.0/24", negated: true });
  assert.deepEqual(ports.matches.dport, { value: [{ from: 8080, to: 8080 }, { from: 9000, to: 9010 }], negated: false });
  assert.deepEqual(ports.matches.sport, { value: [{ from: 53, to: 53 }], negated: false });

  const srcLocal = (await one('oifname "bridge1" fib saddr type local counter masquerade to :1024-2048 fully-random')).rule;
  assert.deepEqual(srcLocal.matches.srcType, { value: "LOCAL", negated: false });
  assert.equal(srcLocal.target, "MASQUERADE");
  assert.deepEqual(srcLocal.nat, { addr: null, addrTo: null, port: 1024, portTo: 2048 });
  assert.deepEqual(srcLocal.targetArgs, ["fully-random"]);

  const set1 = (await one("ip daddr { 192.0.2.2 } accept")).rule;
  assert.deepEqual(set1.matches.dst, { value: "192.0.2.2/32", negated: false });
  const setN = await one("ip daddr { 192.0.2.2, 192.0.2.0/28 } accept");
  assert.equal(setN.rule.matches.dst, null);
  assert.deepEqual(setN.rule.matches.other, ["ip daddr { 192.0.2.2, 192.0.2.0/28 }"]);
  assert.ok(setN.codes.includes("I_NFT_OTHER"));

  const ret = (await one("continue")).rule;
  assert.equal(ret.target, null);
  assert.deepEqual(ret.targetArgs, ["continue"]);

  const ms = (await one("counter meta mark set mark or 0x4000")).rule;
  assert.equal(ms.target, "MARK");
  assert.deepEqual(ms.targetArgs, ["meta mark set mark or 0x4000"]);

  const rej = (await one("tcp dport 25 reject with tcp reset")).rule;
  assert.equal(rej.target, "REJECT");
  assert.deepEqual(rej.targetArgs, ["with tcp reset"]);
  assert.deepEqual(rej.matches.other, []);
});

test("nft ip6 and inet families", async () => {
  const v6 = (await one("iifname != \"docker0\" ip6 saddr != fe80::/10 tcp dport 8080 counter dnat to [fd00::2]:80", "ip6")).rule;
  assert.equal(v6.family, 6);
  assert.deepEqual(v6.matches.src, { value: "fe80::/10", negated: true });
  assert.deepEqual(v6.nat, { addr: "fd00::2", addrTo: null, port: 80, portTo: null });

  const r = await rules("fib daddr type local tcp dport 8443 dnat ip6 to [fd00:db8::2]:443\ntcp dport 80 dnat ip to 192.0.2.2\nmeta nfproto ipv6 accept\ntcp dport 22 accept", "inet", "filter");
  assert.deepEqual(
    r.rules.map((x) => [x.family, x.matches.other[0]]),
    [
      [6, "inet"],
      [4, "inet"],
      [6, "inet"],
      [4, "inet"],
    ],
  );
  assert.equal(r.rules[0]!.table, "filter");
});

test("nft lost iptables-nft targets: stderr text, split handle, trailing blank, xt target", async () => {
  const text = [
    "table ip6 nat { # handle 3",
    "\tchain DOCKER { # handle 1",
    '\t\tiifname != "docker0" tcp dport 8443 counter packets 1 bytes 80 XT target DNAT not found',
    " # handle 9",
    '\t\tiifname != "docker0" tcp dport 8080 counter packets 0 bytes 0  # handle 11',
    '\t\tiifname != "docker0" tcp dport 8081 counter packets 0 bytes 0 ',
    '\t\tiifname != "docker0" tcp dport 8082 counter packets 0 bytes 0 xt target "DNAT" # handle 12',
    "\t}",
    "}",
  ].join("\n");
  const r = await parse(text, { type: "nft" });
  const rs = r.records.filter((x): x is RuleRecord => x.kind === "rule");
  assert.deepEqual(
    rs.map((x) => [x.position, x.target, x.nat, x.handle, x.targetArgs]),
    [
      [1, "DNAT", null, 9, ["XT target DNAT not found"]],
      [2, null, null, 11, [LOST_XT]],
      [3, null, null, null, [LOST_XT]],
      [4, "DNAT", null, 12, ['xt target "DNAT"']],
    ],
  );
  assert.equal(r.diagnostics.filter((d) => d.code === "W_NFT_XT_LOST").length, 4);
  assert.equal(r.summary.skipped, 0);
});

test("nft base chains, maps and vmaps", async () => {
  const text = [
    "table ip docker-bridges {",
    "\tmap filter-forward-in-jumps {",
    "\t\ttype ifname : verdict",
    '\t\telements = { "docker0" : jump filter-forward-in__docker0,',
    '\t\t\t     "bridge1" : jump filter-forward-in__bridge1 }',
    "\t}",
    "\tset s { type ipv4_addr; elements = { 1.2.3.4 } }",
    "\tchain filter-FORWARD {",
    "\t\ttype filter hook forward priority filter - 5; policy drop;",
    "\t\toifname vmap @filter-forward-in-jumps",
    "\t}",
    "\tchain user {",
    "\t}",
    "}",
  ].join("\n");
  const r = await parse(text, { type: "nft" });
  const chains = r.records.filter((x): x is ChainRecord => x.kind === "chain");
  assert.deepEqual(
    chains.map((c) => [c.name, c.builtin, c.type, c.hook, c.priority, c.policy]),
    [
      ["filter-FORWARD", true, "filter", "forward", "filter - 5", "DROP"],
      ["user", false, null, null, null, null],
    ],
  );
  const rule = r.records.find((x): x is RuleRecord => x.kind === "rule")!;
  assert.equal(rule.target, null);
  assert.deepEqual(rule.matches.other, ["oifname vmap @filter-forward-in-jumps"]);
  assert.deepEqual(rule.targetArgs, ['"docker0" : jump filter-forward-in__docker0', '"bridge1" : jump filter-forward-in__bridge1']);
  assert.ok(r.diagnostics.some((d) => d.code === "I_NFT_VMAP"));
  assert.equal(r.summary.skipped, 0);
  assert.equal(r.summary.ignored, 0, "map and set lines are parsed, not ignored");
});

test("nft sniff: unique headers high, other firewall dumps zero", () => {
  assert.ok(nft.sniff(["table ip nat {", "\tchain DOCKER {"]) >= 0.9);
  assert.ok(nft.sniff(["# Warning: table ip nat is managed by iptables-nft, do not touch!", "table ip nat {"]) >= 0.9);
  assert.ok(nft.sniff(["table inet filter { # handle 4"]) >= 0.9);
  // a chain pasted without its table (issue 17): claimed when nft rule lines follow, below a table header's score
  const bare = nft.sniff(["\tchain DOCKER {", '\t\tiifname "docker0" counter return']);
  assert.ok(bare >= 0.5 && bare < 0.9, String(bare));
  assert.ok(nft.sniff(["\tchain DOCKER {", "\t}"]) < 0.5);
  assert.equal(nft.sniff(["*nat", ":PREROUTING ACCEPT [0:0]", "-A DOCKER -i docker0 -j RETURN", "COMMIT"]), 0);
  assert.equal(nft.sniff(["Chain PREROUTING (policy ACCEPT 0 packets, 0 bytes)", " pkts bytes target     prot opt in     out     source               destination"]), 0);
  assert.equal(nft.sniff(["-P INPUT ACCEPT", "-N DOCKER"]), 0);
});

test("nft never throws and accounts for every line of junk", async () => {
  const junk = ["table ip nat {", "\tchain X {", "\t\t{{{ \"", "\t\tdnat to", "\t\tip saddr", "\t\tmeta mark set", "\t\tct state", "\t\t} }", "}", "}", "table", "\tchain", "XT target"].join("\n");
  const r = await parse(junk, { type: "nft" });
  assert.ok(!r.diagnostics.some((d) => d.code === "E_INTERNAL"));
  assert.ok(r.summary.ignored + r.summary.skipped <= r.summary.lines);
});

test("nft one-line chains as quoted in docs and configs", async () => {
  const text = [
    "table ip docker-bridges {",
    "\tchain nat-OUTPUT      { type nat hook output priority dstnat; ip daddr != 127.0.0.0/8 fib daddr type local counter jump nat-prerouting-and-output }",
    '\tchain filter-forward-in__br-dummy { ct state established,related counter accept; iifname "br-dummy" counter accept comment "ICC"; counter drop comment "UNPUBLISHED PORT DROP" }',
    "}",
  ].join("\n");
  const r = await parse(text, { type: "nft" });
  assert.equal(r.summary.skipped, 0);
  const chains = r.records.filter((x): x is ChainRecord => x.kind === "chain");
  assert.deepEqual(chains.map((c) => [c.name, c.hook, c.priority]), [["nat-OUTPUT", "output", "dstnat"], ["filter-forward-in__br-dummy", null, null]]);
  const rs = r.records.filter((x): x is RuleRecord => x.kind === "rule");
  assert.deepEqual(rs.map((x) => [x.chain, x.position, x.target, x.matches.comment]), [
    ["nat-OUTPUT", 1, "nat-prerouting-and-output", null],
    ["filter-forward-in__br-dummy", 1, "ACCEPT", null],
    ["filter-forward-in__br-dummy", 2, "ACCEPT", "ICC"],
    ["filter-forward-in__br-dummy", 3, "DROP", "UNPUBLISHED PORT DROP"],
  ]);
});

test("nft unclosed blocks and tables are closed at the next header", async () => {
  const text = [
    "table ip nat {",
    "\tset s {",
    "\t\ttype ipv4_addr",
    "\tchain A {",
    "\t\tcounter meta mark set ct mark accept",
    "\t}",
    "table ip6 nat {",
    "\tchain B {",
    "\t\taccept",
    "\t}",
    "}",
  ].join("\n");
  const r = await parse(text, { type: "nft" });
  const rs = r.records.filter((x): x is RuleRecord => x.kind === "rule");
  assert.deepEqual(rs.map((x) => [x.family, x.chain, x.target, x.targetArgs]), [
    [4, "A", "ACCEPT", ["meta mark set ct mark"]],
    [6, "B", "ACCEPT", []],
  ]);
  assert.equal(r.diagnostics.filter((d) => d.code === "W_NFT_UNCLOSED").length, 2);
  assert.equal(r.summary.skipped, 0);
});
