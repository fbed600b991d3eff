/** Invariants checked on random input (fast-check). */
import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import Papa from "papaparse";
import { decodeHexIpv4, decodeHexIpv6, encodeProcHex } from "../src/net/index.js";
import { csvCell, csvHeader, csvRow } from "../src/output/csv.js";
import { visible } from "../src/safe-text.js";
import { COLUMNS } from "../src/output/columns.js";
import { parse } from "../src/parse.js";
import { FORMATS } from "../src/registry.js";
import type { SocketRecord } from "../src/types.js";

const hex = (n: number) => fc.array(fc.constantFrom(..."0123456789ABCDEF"), { minLength: n, maxLength: n }).map((a) => a.join(""));

test("kernel hex -> IPv4 -> kernel hex is the identity (both byte orders)", () => {
  fc.assert(
    fc.property(hex(8), fc.boolean(), (h, little) => {
      const ip = decodeHexIpv4(h, little)!;
      assert.equal(encodeProcHex(ip, little), h);
    }),
  );
});

test("kernel hex -> IPv6 -> kernel hex is the identity (mapped addresses included)", () => {
  const mapped = hex(8).map((w) => `0000000000000000FFFF0000${w}`);
  fc.assert(
    fc.property(fc.oneof(hex(32), mapped), fc.boolean(), (h, little) => {
      const n = decodeHexIpv6(h, little)!;
      const back = n.mapped ? encodeProcHex(`::ffff:${n.ip}`, little) : encodeProcHex(n.ip, little);
      assert.equal(back, h);
    }),
  );
});

test("a /proc/net/tcp6 row's addresses, family and mapped flag are what decodeHexIpv6 makes of its hex (mapped and :: read without it)", async () => {
  const word = (little: boolean) => (little ? "FFFF0000" : "0000FFFF");
  const addr = (little: boolean) =>
    fc.oneof(hex(32), hex(8).map((w) => `0000000000000000${word(little)}${w}`), fc.constant("0".repeat(32)), hex(8).map((w) => `0000000000000000${w}00000000`));
  await fc.assert(
    fc.asyncProperty(
      fc.boolean().chain((little) => fc.tuple(fc.constant(little), addr(little), addr(little))),
      async ([little, l, r]) => {
        const text = `  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n   0: ${l}:0050 ${r}:9C50 01 00000000:00000000 00:00000000 00000000     0        0 101175 1 0000000000000000 20 4 31 11 -1\n`;
        const { records } = await parse(text, { type: "proc-net-tcp", options: { byteOrder: little ? "little" : "big", shareStrings: true } });
        const s = records[0] as SocketRecord;
        const dl = decodeHexIpv6(l, little)!;
        const dr = decodeHexIpv6(r, little)!;
        assert.equal(s.localIp, dl.ip);
        assert.equal(s.remoteIp, dr.ip);
        assert.equal(s.family, dl.family === 4 && dr.family === 4 ? 4 : 6);
        assert.deepEqual([...s.flags], dl.mapped || dr.mapped ? ["mapped"] : []);
      },
    ),
    { numRuns: 300 },
  );
});

test("a CSV cell is exactly what papaparse writes for it once controls are made visible; --csv-raw keeps every character", () => {
  fc.assert(
    fc.property(fc.string({ unit: "binary" }), (s) => {
      assert.equal(csvCell(s), Papa.unparse([[visible(s)]], { header: false, newline: "\r\n", escapeFormulae: true }));
      assert.equal(csvCell(s, true), Papa.unparse([[s]], { header: false, newline: "\r\n", escapeFormulae: false }));
    }),
  );
});

const socketArb: fc.Arbitrary<SocketRecord> = fc.record({
  kind: fc.constant("socket" as const),
  source: fc.record({ file: fc.string(), line: fc.nat() }),
  format: fc.constant("ss"),
  netns: fc.option(fc.string(), { nil: null }),
  proto: fc.constantFrom("tcp" as const, "udp" as const),
  family: fc.constantFrom(4 as const, 6 as const),
  localIp: fc.string(),
  localPort: fc.option(fc.nat(65535), { nil: null }),
  remoteIp: fc.string(),
  remotePort: fc.option(fc.nat(65535), { nil: null }),
  state: fc.constantFrom("ESTABLISHED" as const, "LISTEN" as const),
  recvQ: fc.option(fc.nat(), { nil: null }),
  sendQ: fc.option(fc.nat(), { nil: null }),
  uid: fc.option(fc.nat(), { nil: null }),
  user: fc.option(fc.string(), { nil: null }),
  inode: fc.option(fc.nat(), { nil: null }),
  pid: fc.option(fc.nat(), { nil: null }),
  program: fc.option(fc.string({ unit: "binary" }), { nil: null }),
  iface: fc.option(fc.string(), { nil: null }),
  timer: fc.option(fc.string(), { nil: null }),
  processes: fc.constant([]),
  flags: fc.constant([]),
});

test("CSV written then read back with papaparse gives the records' cells (controls made visible); --csv-raw gives them exactly", () => {
  const columns = COLUMNS.socket;
  fc.assert(
    fc.property(fc.array(socketArb, { maxLength: 20 }), fc.boolean(), (records, raw) => {
      const text = csvHeader(columns as never) + records.map((r) => csvRow(columns, r, raw)).join("");
      const back = Papa.parse<string[]>(text, { header: false, delimiter: ",", newline: "\r\n", skipEmptyLines: false }).data;
      assert.deepEqual(back[0], columns.map((c) => c.name));
      records.forEach((r, i) => {
        const row = back[i + 1]!;
        columns.forEach((c, j) => {
          const v = c.get(r);
          const cell = v === null ? "" : String(v);
          const got = row[j]!;
          if (raw) return assert.equal(got, cell, c.name);
          // formula-like text is neutralised with a leading quote, controls are escaped, nothing else changes
          const expected = visible(cell);
          assert.ok(got === expected || got === `'${expected}`, `${c.name}: ${JSON.stringify(got)} vs ${JSON.stringify(expected)}`);
          if (got !== expected) assert.match(expected, /^[=+\-@\t\r]/);
        });
      });
    }),
    { numRuns: 200 },
  );
});

test("no parser throws or loses lines on random input", async () => {
  const line = fc.oneof(
    fc.string({ unit: "binary", maxLength: 200 }),
    fc.array(fc.constantFrom("tcp", "0.0.0.0:80", "*:*", "LISTEN", "users:((", "-A", "DOCKER", "!", "-j", "src=1.2.3.4", "[", "{", "\"", ":", "0100007F:1F90", "Chain", "table", "ip", "ESTAB", "->", "/"), { maxLength: 12 }).map((a) => a.join(" ")),
  );
  await fc.assert(
    fc.asyncProperty(fc.constantFrom(...FORMATS.map((f) => f.id)), fc.array(line, { maxLength: 30 }), async (type, lines) => {
      const text = lines.join("\n");
      const r = await parse(text, { type });
      assert.ok(!r.diagnostics.some((d) => d.code === "E_INTERNAL"), `${type} threw: ${JSON.stringify(r.diagnostics.find((d) => d.code === "E_INTERNAL"))}`);
      assert.ok(r.summary.ignored + r.summary.skipped <= r.summary.lines);
    }),
    { numRuns: 300 },
  );
});
