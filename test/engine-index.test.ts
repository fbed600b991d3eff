/** The engine's long-chain index (src/engine/chain-index.ts) never changes a trace: property test against a plain walk. */
import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { parse } from "../src/parse.js";
import { assembleChains } from "../src/engine/chains.js";
import { RuleSet, type EngineTraceResult, type HostFacts, type Packet } from "../src/engine/index.js";
import type { ChainRecord, RuleRecord } from "../src/types.js";

const FACTS: HostFacts = {
  localAddrs: new Set(["198.51.100.1", "172.17.0.1"]),
  interfaces: [
    { name: "eth0", subnets: ["198.51.100.1/24"] },
    { name: "docker0", subnets: ["172.17.0.1/16"] },
  ],
  defaultIface: "eth0",
};

const ADDRS = ["198.51.100.1", "198.51.100.7", "172.17.0.2", "172.17.0.3", "203.0.113.5", "10.99.0.7"];
const PORTS = [22, 53, 80, 443, 8080];

const addr = fc.constantFrom(...ADDRS);
const port = fc.constantFrom(...PORTS);

/** A match part: mostly ones the index files under a key (host address, single port), some open ones. */
const match = fc.oneof(
  { weight: 4, arbitrary: addr.map((a) => `-d ${a}/32`) },
  { weight: 2, arbitrary: addr.map((a) => `-s ${a}`) },
  { weight: 4, arbitrary: fc.tuple(fc.constantFrom("tcp", "udp"), port).map(([p, n]) => `-p ${p} -m ${p} --dport ${n}`) },
  { weight: 2, arbitrary: fc.tuple(addr, port).map(([a, n]) => `-d ${a}/32 -p tcp -m tcp --dport ${n}`) },
  { weight: 1, arbitrary: addr.map((a) => `! -d ${a}/32`) },
  { weight: 1, arbitrary: fc.constantFrom("-d 172.17.0.0/16", "-s 198.51.100.0/24", "-i docker0", "! -i docker0", "-o eth0", "-p tcp -m tcp --dport 80:443", "-p tcp -m tcp ! --dport 80", "") },
);

const target = (user: boolean) =>
  fc.oneof(
    { weight: 3, arbitrary: fc.constantFrom("ACCEPT", "DROP", "REJECT", "RETURN", "LOG", "MARK --set-xmark 0x1/0xffffffff") },
    { weight: user ? 1 : 0, arbitrary: fc.constant("USER") },
  );

const rules = (chain: string, user: boolean, min: number) =>
  fc.array(fc.tuple(match, target(user)).map(([m, t]) => `-A ${chain} ${m} -j ${t}`.replace(/ {2,}/g, " ")), { minLength: min, maxLength: min + 40 });

const natRules = fc.array(
  fc.tuple(match, fc.oneof(fc.constant("RETURN"), fc.tuple(addr, port).map(([a, n]) => `DNAT --to-destination ${a}:${n}`))).map(([m, t]) => `-A PREROUTING ${m} -j ${t}`.replace(/ {2,}/g, " ")),
  { minLength: 32, maxLength: 60 },
);

const packet = fc.record<Packet>({
  family: fc.constant(4),
  proto: fc.constantFrom("tcp", "udp"),
  src: addr,
  sport: fc.constantFrom(40000, 53),
  dst: addr,
  dport: fc.oneof(port, fc.constantFrom(85, 9999)),
  inIface: fc.constantFrom("eth0", "docker0", null),
});

/** Everything a trace says, rules named by their line. */
function traceText(r: EngineTraceResult): string {
  return JSON.stringify(r, (k, v) => (k === "rule" && v ? `${(v as RuleRecord).chain}@${(v as RuleRecord).source.line}` : v));
}

test("on generated chains of 32+ rules, the long-chain index gives exactly the plain walk's trace", async () => {
  let indexed = 0;
  let runs = 0;
  await fc.assert(
    fc.asyncProperty(rules("FORWARD", true, 32), rules("USER", false, 32), rules("INPUT", true, 0), natRules, fc.array(packet, { minLength: 4, maxLength: 8 }), async (fwd, user, input, nat, packets) => {
      const text =
        `*nat\n:PREROUTING ACCEPT [0:0]\n:INPUT ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n:POSTROUTING ACCEPT [0:0]\n${nat.join("\n")}\nCOMMIT\n` +
        `*filter\n:INPUT DROP [0:0]\n:FORWARD DROP [0:0]\n:OUTPUT ACCEPT [0:0]\n:USER - [0:0]\n${[...fwd, ...user, ...input].join("\n")}\nCOMMIT\n`;
      const recs = (await parse(text, { file: "gen", type: "iptables-save" })).records;
      const rs = recs.filter((r): r is RuleRecord => r.kind === "rule");
      const cs = recs.filter((r): r is ChainRecord => r.kind === "chain");
      assert.equal(rs.length, fwd.length + user.length + input.length + nat.length, "every generated rule parses");
      runs++;
      if ([...assembleChains(rs, cs).chains.values()].some((c) => c.index)) indexed++;
      const withIndex = new RuleSet(rs, cs);
      const plain = new RuleSet(rs, cs, { longChainIndex: false });
      for (const p of packets) assert.equal(traceText(withIndex.trace(p, FACTS)), traceText(plain.trace(p, FACTS)), JSON.stringify(p));
    }),
    { numRuns: 60 },
  );
  // the property compares something only when an index was built
  assert.ok(indexed * 2 > runs, `an index was built in only ${indexed} of ${runs} runs`);
});

test("the plain walk is really plain, and the index really skips (the comparison above is not vacuous)", async () => {
  const body = Array.from({ length: 40 }, (_, i) => `-A FORWARD -d 172.17.0.${i + 2}/32 -p tcp -m tcp --dport 80 -j ACCEPT`).join("\n");
  const recs = (await parse(`*filter\n:INPUT ACCEPT [0:0]\n:FORWARD DROP [0:0]\n:OUTPUT ACCEPT [0:0]\n${body}\nCOMMIT\n`, { file: "gen", type: "iptables-save" })).records;
  const rs = recs.filter((r): r is RuleRecord => r.kind === "rule");
  const cs = recs.filter((r): r is ChainRecord => r.kind === "chain");
  const fwd = (index: boolean) => [...assembleChains(rs, cs, index).chains.values()].find((c) => c.name === "FORWARD")!;
  assert.ok(fwd(true).index, "40 host rules are indexed");
  assert.equal(fwd(false).index, null);
  const p: Packet = { family: 4, proto: "tcp", src: "203.0.113.5", sport: 40000, dst: "172.17.0.41", dport: 80, inIface: "eth0" };
  const a = new RuleSet(rs, cs).trace(p, FACTS);
  assert.equal(a.verdict, "accept");
  assert.equal(traceText(a), traceText(new RuleSet(rs, cs, { longChainIndex: false }).trace(p, FACTS)));
});
