/** TupleMap (src/analyze/tuple-map.ts) against a Map with text keys. */
import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { TupleMap } from "../src/analyze/tuple-map.js";

type Tuple = [string, string, number | null, string, number | null];

const addr = fc.constantFrom("10.0.0.1", "10.0.0.2", "::1", "172.17.0.2", "fe80::1", "");
// ports a parser gives (0..65535, none) and ones only a malformed dump could give
const port = fc.oneof(fc.integer({ min: 0, max: 65535 }), fc.constantFrom(null, 0, 80, 65535, 65536, 70000, -1, 1.5));
const tuple = fc.tuple(fc.constantFrom("tcp", "udp", "icmp"), addr, port, addr, port) as fc.Arbitrary<Tuple>;

test("TupleMap finds what a text-keyed map finds: first value wins, values in insertion order", () => {
  fc.assert(
    fc.property(fc.array(fc.tuple(tuple, fc.nat()), { maxLength: 200 }), fc.array(tuple, { maxLength: 50 }), (adds, probes) => {
      const tm = new TupleMap<number>();
      const ref = new Map<string, number>();
      const key = (t: Tuple) => JSON.stringify(t);
      for (const [t, v] of adds) {
        const held = tm.add(...t, v);
        if (!ref.has(key(t))) ref.set(key(t), v);
        assert.equal(held, ref.get(key(t)));
      }
      assert.equal(tm.size, ref.size);
      assert.deepEqual([...tm.values()], [...ref.values()]);
      for (const t of [...probes, ...adds.map(([t]) => t)]) assert.equal(tm.get(...t), ref.get(key(t)));
    }),
  );
});

test("TupleMap keeps the two ends apart: (a, b) is not (b, a), and port 65535 is not `no port`", () => {
  const tm = new TupleMap<string>();
  tm.add("tcp", "10.0.0.1", 80, "10.0.0.2", 40000, "forward");
  assert.equal(tm.get("tcp", "10.0.0.2", 40000, "10.0.0.1", 80), undefined);
  assert.equal(tm.get("udp", "10.0.0.1", 80, "10.0.0.2", 40000), undefined);
  tm.add("tcp", "10.0.0.1", 65535, "10.0.0.2", null, "max");
  assert.equal(tm.get("tcp", "10.0.0.1", 65535, "10.0.0.2", 65535), undefined);
  assert.equal(tm.get("tcp", "10.0.0.1", 65535, "10.0.0.2", null), "max");
});
