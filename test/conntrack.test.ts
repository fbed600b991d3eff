/** conntrack parser: NAT derivation, field disambiguation, large input. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { parse } from "../src/parse.js";
import type { ConntrackRecord } from "../src/types.js";

async function rows(text: string): Promise<{ recs: ConntrackRecord[]; skipped: number }> {
  const r = await parse(text, { type: "conntrack" });
  return { recs: r.records as ConntrackRecord[], skipped: r.summary.skipped };
}

test("conntrack: dnat/snat derived from the reply tuple", async () => {
  const { recs } = await rows(
    [
      // DNAT only (published port)
      "tcp      6 431999 ESTABLISHED src=198.51.100.2 dst=198.51.100.1 sport=51006 dport=8080 src=172.17.0.2 dst=198.51.100.2 sport=80 dport=51006 [ASSURED] mark=0 use=1",
      // SNAT only (masquerade)
      "tcp      6 431999 ESTABLISHED src=172.17.0.2 dst=198.51.100.2 sport=52972 dport=9100 src=198.51.100.2 dst=198.51.100.1 sport=9100 dport=52972 [ASSURED] mark=0 use=1",
      // both (localhost to a published port, proxy off)
      "tcp      6 431999 ESTABLISHED src=127.0.0.1 dst=127.0.0.1 sport=48356 dport=8080 src=172.17.0.2 dst=172.17.0.1 sport=80 dport=48356 [ASSURED] mark=0 use=1",
      // neither
      "tcp      6 431999 ESTABLISHED src=198.51.100.2 dst=198.51.100.1 sport=53828 dport=9000 src=198.51.100.1 dst=198.51.100.2 sport=9000 dport=53828 [ASSURED] mark=0 use=1",
      // port-only DNAT (same address, other port)
      "udp      17 20 src=198.51.100.2 dst=198.51.100.1 sport=40 dport=5353 src=198.51.100.1 dst=198.51.100.2 sport=53 dport=40 mark=0 use=1",
    ].join("\n"),
  );
  assert.deepEqual(
    recs.map((r) => [r.dnat, r.snat]),
    [[true, false], [false, true], [true, true], [false, false], [true, false]],
  );
});

test("conntrack: ICMP tuple id vs entry id (-o id), flags, offload without timeout", async () => {
  const { recs, skipped } = await rows(
    [
      "icmp     1 29 src=172.17.0.2 dst=198.51.100.2 type=8 code=0 id=7 src=198.51.100.2 dst=198.51.100.1 type=0 code=0 id=7 mark=0 use=1 id=3798427364",
      "ipv4     2 tcp      6 ESTABLISHED src=198.51.100.2 dst=198.51.100.1 sport=1 dport=2 src=198.51.100.1 dst=198.51.100.2 sport=2 dport=1 [OFFLOAD] mark=0 zone=0 use=3",
      "ipv6     10 udp      17 28 src=2001:0db8:0000:0000:0000:0000:0000:0001 dst=2001:0db8:0000:0000:0000:0000:0000:0002 sport=1 dport=2 [UNREPLIED] src=2001:0db8:0000:0000:0000:0000:0000:0002 dst=2001:0db8:0000:0000:0000:0000:0000:0001 sport=2 dport=1 mark=0 zone=0 use=2",
    ].join("\n"),
  );
  assert.equal(skipped, 0);
  const [icmp, off, v6] = recs as [ConntrackRecord, ConntrackRecord, ConntrackRecord];
  assert.deepEqual(icmp.original.icmp, { type: 8, code: 0, id: 7 });
  assert.deepEqual(icmp.reply.icmp, { type: 0, code: 0, id: 7 });
  assert.equal(icmp.id, 3798427364);
  assert.equal(icmp.state, null);
  assert.equal(off.timeout, null);
  assert.equal(off.state, "ESTABLISHED");
  assert.deepEqual(off.flags, ["OFFLOAD"]);
  assert.equal(v6.family, 6);
  assert.equal(v6.original.src, "2001:db8::1");
  assert.deepEqual(v6.flags, ["UNREPLIED"]);
  assert.equal(v6.zone, 0);
});

test("conntrack: XML flow equals the text row", async () => {
  const xml =
    '<flow><meta direction="original"><layer3 protonum="2" protoname="ipv4"><src>198.51.100.2</src><dst>198.51.100.1</dst></layer3><layer4 protonum="6" protoname="tcp"><sport>51006</sport><dport>8080</dport></layer4></meta><meta direction="reply"><layer3 protonum="2" protoname="ipv4"><src>172.17.0.2</src><dst>198.51.100.2</dst></layer3><layer4 protonum="6" protoname="tcp"><sport>80</sport><dport>51006</dport></layer4></meta><meta direction="independent"><state>ESTABLISHED</state><timeout>431999</timeout><mark>66</mark><zone>5</zone><use>1</use><id>42</id><assured/></meta></flow>';
  const txt = "tcp      6 431999 ESTABLISHED src=198.51.100.2 dst=198.51.100.1 sport=51006 dport=8080 src=172.17.0.2 dst=198.51.100.2 sport=80 dport=51006 [ASSURED] mark=66 zone=5 use=1 id=42";
  const a = (await rows(xml)).recs[0]!;
  const b = (await rows(txt)).recs[0]!;
  assert.deepEqual({ ...a, source: null }, { ...b, source: null });
});

test("conntrack: a large dump parses completely (speed is measured in scripts/bench.ts, not here)", async () => {
  const line = (i: number) =>
    `ipv4     2 tcp      6 431999 ESTABLISHED src=198.51.100.${i % 250} dst=198.51.100.1 sport=${1024 + (i % 60000)} dport=8080 src=172.17.0.${i % 200} dst=198.51.100.${i % 250} sport=80 dport=${1024 + (i % 60000)} [ASSURED] mark=0 zone=0 use=2`;
  const n = 20_000;
  const parts: string[] = [];
  for (let i = 0; i < n; i++) parts.push(line(i));
  let count = 0;
  const { parseSource } = await import("../src/parse.js");
  const { textSource } = await import("../src/input/read.js");
  const s = await parseSource(textSource("big", parts.join("\n")), { type: "conntrack", onRecord: () => count++, onDiagnostic: () => {} });
  assert.equal(count, n);
  assert.equal(s.skipped, 0);
});

test("conntrack: records are the same with and without shared strings (analyze shares, convert does not)", async () => {
  const { readdirSync, readFileSync } = await import("node:fs");
  const dir = "test/fixtures/conntrack";
  let compared = 0;
  for (const name of readdirSync(dir)) {
    if (name.endsWith(".md")) continue;
    const text = readFileSync(`${dir}/${name}`);
    const plain = await parse(text, { type: "conntrack", file: name });
    const shared = await parse(text, { type: "conntrack", file: name, options: { shareStrings: true } });
    assert.deepEqual(shared.records, plain.records, name);
    assert.deepEqual(shared.diagnostics, plain.diagnostics, name);
    compared += plain.records.length;
  }
  assert.ok(compared > 100, `only ${compared} records compared`);
});

test("property: a captured row reads the same whatever runs of spaces and tabs separate its fields (a row without a tab takes the native token search)", async () => {
  const { readFileSync } = await import("node:fs");
  const fc = (await import("fast-check")).default;
  // the samples' real captures, IPv4 and IPv6, TCP and UDP
  const captured = ["lab-proxy", "lab-ipv6", "lab-udp", "lab28-proxy"]
    .flatMap((s) => readFileSync(`samples/${s}/commands/conntrack_-L_-o_extended`, "utf8").split("\n"))
    .filter((l) => /\bsrc=/.test(l) && !l.startsWith("$ "));
  assert.ok(captured.length >= 10, `${captured.length} captured rows`);
  const tokens = (l: string) => l.trim().match(/\[[^\]]*\]|\S+/g)!;
  const reference = new Map<string, unknown>();
  for (const l of captured) reference.set(l, (await rows(tokens(l).join(" "))).recs[0]);
  await fc.assert(
    fc.asyncProperty(fc.constantFrom(...captured), fc.array(fc.constantFrom(" ", "  ", "\t", " \t"), { minLength: 40, maxLength: 40 }), async (l, gaps) => {
      const text = tokens(l).reduce((acc, t, k) => (k === 0 ? t : acc + gaps[k % gaps.length] + t), "");
      const { recs } = await rows(text);
      const want = reference.get(l) as ConntrackRecord;
      assert.deepEqual({ ...recs[0], source: null }, { ...want, source: null });
    }),
    { numRuns: 300 },
  );
});
