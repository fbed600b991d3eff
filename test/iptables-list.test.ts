/**
 * iptables -L listings against iptables-save of the same rule set (real
 * captures of one lab): both parsers must give the same structure, except
 * counters (captured at different moments) and the text of unmodelled matches
 * (listing syntax vs save syntax).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { parse } from "../src/parse.js";
import type { RuleRecord } from "../src/types.js";

async function rules(file: string, type: string): Promise<RuleRecord[]> {
  const r = await parse(readFileSync(file), { file, type });
  assert.equal(r.summary.skipped, 0, JSON.stringify(r.diagnostics));
  return r.records.filter((x): x is RuleRecord => x.kind === "rule");
}

const key = (r: RuleRecord) => `${r.family} ${r.table} ${r.chain} ${r.position}`;

const PAIRS: [string, string, string][] = [
  // [save file, list file, table]
  ["docker28-proxy-on/iptables-save_-c.txt", "docker28-proxy-on/iptables_-vnxL.txt", "filter"],
  ["docker28-proxy-on/iptables-save_-c.txt", "docker28-proxy-on/iptables_-t_nat_-L_-n_-v_--line-numbers.txt", "nat"],
  ["docker28-proxy-on/iptables-save_-c.txt", "docker28-proxy-on/iptables_-t_nat_-L.txt", "nat"],
  ["docker28-proxy-on/iptables-save_-c.txt", "docker28-proxy-on/iptables_-L_-v.txt", "filter"],
  ["docker28-proxy-on/iptables-save_-c.txt", "docker28-proxy-on/iptables_-t_mangle_-L_-n_-v.txt", "mangle"],
  ["docker28-proxy-on/iptables-save_-c.txt", "docker28-proxy-on/iptables_-t_raw_-L_-n_-v_-x_--line-numbers.txt", "raw"],
  ["docker28-proxy-on/ip6tables-save_-c.txt", "docker28-proxy-on/ip6tables_-t_nat_-L_-n_-v.txt", "nat"],
  ["docker28-proxy-on/ip6tables-save_-c.txt", "docker28-proxy-on/ip6tables_-L_-n_-v_--line-numbers.txt", "filter"],
  ["docker29-proxy-off/iptables-save_-c.txt", "docker29-proxy-off/iptables_-vnxL_then_-t_nat_-vnxL.txt", "filter"],
  ["docker29-proxy-off/iptables-save_-c.txt", "docker29-proxy-off/iptables_-vnxL_then_-t_nat_-vnxL.txt", "nat"],
];

for (const [saveFile, listFile, table] of PAIRS) {
  test(`iptables-list ${listFile} (${table}) has the structure of ${saveFile}`, async () => {
    const saved = (await rules(`test/fixtures/iptables-save/${saveFile}`, "iptables-save")).filter((r) => r.table === table);
    const listed = (await rules(`test/fixtures/iptables-list/${listFile}`, "iptables-list")).filter((r) => r.table === table);
    assert.ok(listed.length > 0);
    assert.deepEqual(listed.map(key), saved.map(key));
    const noIfaces = !listFile.includes("-v");
    listed.forEach((l, i) => {
      const s = saved[i]!;
      const where = `${listFile}:${l.source.line} vs ${saveFile}:${s.source.line}`;
      const { other: lo, ...lm } = l.matches;
      const { other: so, ...sm } = s.matches;
      if (noIfaces) {
        sm.inIface = null;
        sm.outIface = null;
      }
      assert.deepEqual(lm, sm, where);
      assert.equal(lo.length, so.length, `${where}: other ${JSON.stringify(lo)} vs ${JSON.stringify(so)}`);
      assert.equal(l.target, s.target, where);
      assert.equal(l.goto, s.goto, where);
      assert.deepEqual(l.nat, s.nat, where);
      assert.deepEqual(l.targetArgs, s.targetArgs, where);
    });
  });
}
