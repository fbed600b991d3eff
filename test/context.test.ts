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
