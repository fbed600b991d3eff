/** Parse caches belong to a run (src/context.ts), never to the process. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { createParseCaches } from "../src/context.js";
import { parse, parseSource } from "../src/parse.js";
import { textSource } from "../src/input/read.js";
import type { NatlensRecord } from "../src/types.js";

const SS = readFileSync("samples/lab-proxy/commands/ss_-tanpeiO", "utf8");
const IPT = readFileSync("samples/lab-proxy/commands/iptables-save_-c", "utf8");
const NFT = readFileSync("samples/lab28-noproxy/commands/nft_list_ruleset", "utf8");

test("a parse fills the caches it is given, and only those", async () => {
  const host1 = createParseCaches();
  const host2 = createParseCaches();
  const a = await parse(SS, { file: "ss", options: { shareStrings: true, caches: host1 } });
  const filled = { ips: host1.ips.size, strings: host1.strings.size, quads: host1.quads.size };
  assert.ok(filled.ips + filled.quads > 0 && filled.strings > 0, `the ss parse used its caches: ${JSON.stringify(filled)}`);
  // a parse without caches, and one with another host's, leave host1 as it was
  await parse(SS, { file: "ss", options: { shareStrings: true } });
  const b = await parse(SS, { file: "ss", options: { shareStrings: true, caches: host2 } });
  assert.deepEqual({ ips: host1.ips.size, strings: host1.strings.size, quads: host1.quads.size }, filled);
  assert.deepEqual({ ips: host2.ips.size, strings: host2.strings.size, quads: host2.quads.size }, filled, "a fresh run starts empty and fills the same way");
  // the caches change no record
  assert.deepEqual(b.records, a.records);
});

test("rule parsers keep their tables (CIDRs, nft NAT targets) in the run's caches", async () => {
  const c = createParseCaches();
  await parse(IPT, { file: "iptables-save", options: { caches: c } });
  assert.ok(c.cidrs.size > 0, "iptables-save CIDRs");
  const before = c.cidrs.size;
  const nft = await parse(NFT, { file: "nft", options: { caches: c } });
  assert.ok(c.table("nft:nat").size > 0, "nft NAT targets");
  assert.ok(c.cidrs.size >= before);
  // the NAT target objects are not shared between records
  const nats = nft.records.flatMap((r: NatlensRecord) => (r.kind === "rule" && r.nat ? [r.nat] : []));
  assert.ok(nats.length > 1);
  assert.equal(new Set(nats).size, nats.length);
});

test("one set of caches for several sources of a host: the same answers as a fresh set per source", async () => {
  const shared = createParseCaches();
  const out: NatlensRecord[][] = [[], []];
  for (const [i, caches] of [[0, shared], [1, undefined]] as const) {
    for (const [name, text] of [["ss", SS], ["iptables-save", IPT], ["nft", NFT]] as const) {
      await parseSource(textSource(name, text), { options: { shareStrings: true, ...(caches ? { caches } : {}) }, onRecord: (r) => out[i]!.push(r), onDiagnostic: () => {} });
    }
  }
  assert.deepEqual(out[0], out[1]);
});

// ------------------------------------------------------- address memos --
// The analysis side memoises address parsing (src/net/addr.ts) in the run's AddrMemo, never in
// module state: nothing of one host's addresses is left when the next host is analysed.

test("address memos belong to the run: filled inside withAddrMemo only, none active after", async () => {
  const { AddrMemo } = await import("../src/context.js");
  const { activeAddrMemo, inCidr, normalizeAddr, withAddrMemo } = await import("../src/net/index.js");
  const host1 = new AddrMemo();
  const host2 = new AddrMemo();
  const inside = withAddrMemo(host1, () => [inCidr("172.17.0.2", "172.17.0.0/16"), normalizeAddr("::ffff:10.0.0.1"), activeAddrMemo() === host1]);
  assert.deepEqual(inside, [true, "10.0.0.1", true]);
  const filled = { addrs: host1.addrs.size, cidrs: host1.cidrs.size, norms: host1.norms.size };
  assert.ok(filled.addrs > 0 && filled.cidrs > 0 && filled.norms > 0, JSON.stringify(filled));
  assert.equal(activeAddrMemo(), null, "no memo outside a run");
  // outside a run: the same answers, computed, and no memo grows
  assert.deepEqual([inCidr("172.17.0.2", "172.17.0.0/16"), normalizeAddr("::ffff:10.0.0.1")], [true, "10.0.0.1"]);
  assert.deepEqual({ addrs: host1.addrs.size, cidrs: host1.cidrs.size, norms: host1.norms.size }, filled);
  // a second host starts empty; nested runs restore the outer memo
  assert.equal(host2.addrs.size + host2.cidrs.size + host2.norms.size, 0);
  withAddrMemo(host1, () => withAddrMemo(host2, () => inCidr("10.99.0.2", "10.99.0.0/24")));
  assert.ok(host2.addrs.size > 0);
  assert.equal(host1.cidrs.has("10.99.0.0/24"), false, "the inner run's addresses went to its own memo");
  assert.equal(activeAddrMemo(), null);
});

test("two hosts analysed in one process, one after the other or at once, report as each does alone", async () => {
  const { analyzeHost } = await import("../src/api.js");
  const { expandInputs } = await import("../src/input/read.js");
  const { activeAddrMemo } = await import("../src/net/index.js");
  const host = async (d: string) => (await expandInputs([d])).sources;
  const A = "samples/lab-ipv6";
  const B = "samples/lab28-noproxy";
  const opts = { collectGarbage: false };
  const bAlone = JSON.stringify(await analyzeHost(await host(B), opts));
  const aAlone = JSON.stringify(await analyzeHost(await host(A), opts));
  assert.equal(activeAddrMemo(), null, "nothing of a host is left in module state");
  // B after A (A's addresses would be in a process-wide memo), and both at once (interleaved awaits)
  assert.equal(JSON.stringify(await analyzeHost(await host(B), opts)), bAlone);
  const [a2, b2] = await Promise.all([analyzeHost(await host(A), opts), analyzeHost(await host(B), opts)]);
  assert.equal(JSON.stringify(a2), aAlone);
  assert.equal(JSON.stringify(b2), bAlone);
  assert.equal(activeAddrMemo(), null);
});
