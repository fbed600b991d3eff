/**
 * Replays every kernel-oracle case (test/oracle/cases/<name>/, recorded by
 * `npm run oracle` from real network namespaces) offline through `natlens trace`
 * and compares what trace says with what the kernel did: the verdict
 * (delivered / dropped / rejected), where the packet was delivered (address:port
 * after DNAT/REDIRECT), the source the receiver saw (after SNAT/MASQUERADE) and
 * whether the reply made it back.
 *
 * Cases where trace and the kernel still disagree are listed in KNOWN_DISAGREEMENTS:
 * the test fails when a listed case starts to agree (shrink the list) and when an
 * unlisted case disagrees. `unknown` from trace is not a disagreement, but its
 * share is bounded.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { runCli } from "./_io.js";

const ROOT = path.join("test", "oracle", "cases");

interface Expected {
  stable: boolean;
  verdict: "delivered" | "dropped" | "rejected";
  delivered: { ns: string; local: string; peer: string } | null;
  connection: "established" | "reply-lost" | null;
}

interface CaseJson {
  name: string;
  category: string;
  packet: { proto: string; src: string; sport: number; dst: string; dport: number; from: "client" | "c1" | "c2" | "host" };
}

/** The oracle host's interface towards each sender (see scripts/kernel-oracle.ts). */
const IN_IFACE: Record<CaseJson["packet"]["from"], string | null> = { client: "eth0", c1: "docker0", c2: "br-lab", host: null };

/**
 * Cases on which trace and the kernel disagree today, each with what goes wrong.
 * Keep it exact: remove a case as soon as it agrees.
 */
export const KNOWN_DISAGREEMENTS: Record<string, string> = {};

function ap(addr: string, port: number | null): string {
  return addr.includes(":") ? `[${addr}]:${port}` : `${addr}:${port}`;
}

export interface Replay {
  name: string;
  category: string;
  kernel: string;
  natlens: string;
  unknown: boolean;
}

function kernelSays(e: Expected): string {
  if (e.verdict !== "delivered") return e.verdict;
  return `delivered ${e.delivered!.local} from ${e.delivered!.peer} (${e.connection})`;
}

async function replay(dir: string): Promise<Replay> {
  const c = JSON.parse(readFileSync(path.join(dir, "case.json"), "utf8")) as CaseJson;
  const e = JSON.parse(readFileSync(path.join(dir, "expected.json"), "utf8")) as Expected;
  const cap = path.join(dir, "captured");
  const files = readdirSync(cap)
    .filter((f) => f !== "ip_-o_addr")
    .sort()
    .map((f) => path.join(cap, f));
  const p = c.packet;
  const inIface = IN_IFACE[p.from];
  const argv = ["trace", ...files, "--addrs", path.join(cap, "ip_-o_addr"), "--src", ap(p.src, p.sport), "--dst", ap(p.dst, p.dport), "--proto", p.proto, ...(inIface ? ["--in", inIface] : ["--local"]), "--to", "json"];
  const r = await runCli(argv);
  let natlens: string;
  let unknown = false;
  try {
    const j = JSON.parse(r.stdout) as {
      schema: string;
      verdict: "delivered" | "dropped" | "rejected" | "unknown";
      to: { addr: string; port: number | null } | null;
      from: { addr: string; port: number | null } | null;
      reply: { verdict: "delivered" | "dropped" | "rejected" | "unknown" } | null;
    };
    assert.equal(j.schema, "natlens/trace@1");
    if (j.verdict === "unknown" || j.reply?.verdict === "unknown") {
      natlens = "unknown";
      unknown = true;
    } else if (j.verdict !== "delivered") natlens = j.verdict;
    else {
      const reply = j.reply === null ? "established" : j.reply.verdict === "delivered" ? "established" : "reply-lost";
      natlens = `delivered ${ap(j.to!.addr, j.to!.port)} from ${ap(j.from!.addr, j.from!.port)} (${reply})`;
    }
  } catch {
    natlens = `no JSON (exit ${r.code}): ${r.stderr.trim().split("\n")[0] ?? ""}`;
  }
  return { name: c.name, category: c.category, kernel: kernelSays(e), natlens, unknown };
}

/**
 * Does the case's bundle lack a table its packet meets? Told from the capture
 * file names alone (independent of natlens's own coverage logic): a family is
 * fully captured by its `iptables-save` (no `-t`) or by `nft list ruleset`.
 */
function lacksTable(dir: string): boolean {
  const c = JSON.parse(readFileSync(path.join(dir, "case.json"), "utf8")) as CaseJson;
  const files = readdirSync(path.join(dir, "captured"));
  const v6 = c.packet.src.includes(":");
  const whole = files.includes("nft_list_ruleset") || files.includes(v6 ? "ip6tables-save" : "iptables-save");
  return !whole;
}

const names = existsSync(ROOT) ? readdirSync(ROOT).filter((n) => existsSync(path.join(ROOT, n, "expected.json"))).sort() : [];

test("oracle: at least 150 recorded cases, every one stable across runs and with its captures", () => {
  assert.ok(names.length >= 150, `only ${names.length} recorded cases`);
  for (const n of names) {
    const e = JSON.parse(readFileSync(path.join(ROOT, n, "expected.json"), "utf8")) as Expected;
    assert.equal(e.stable, true, `${n}: the kernel's outcome differed between runs`);
    assert.ok(existsSync(path.join(ROOT, n, "captured", "ip_-o_addr")), `${n}: no ip -o addr capture`);
  }
});

test("oracle: trace agrees with the kernel on every case outside the known-disagreement list", async (t) => {
  const results: Replay[] = [];
  for (const n of names) results.push(await replay(path.join(ROOT, n)));
  const disagree = results.filter((r) => !r.unknown && r.kernel !== r.natlens);
  // cases whose bundle lacks a table the packet meets must be unknown; they are not counted in the 5 % budget
  const lacking = results.filter((r) => r.category === "not-captured" && lacksTable(path.join(ROOT, r.name)));
  assert.ok(lacking.length >= 5, `only ${lacking.length} cases with an uncaptured table`);
  for (const r of lacking) assert.ok(r.unknown, `${r.name}: the capture lacks a table, yet trace answered ${r.natlens} (kernel: ${r.kernel})`);
  const unknown = results.filter((r) => r.unknown && !lacking.includes(r));
  const agree = results.length - disagree.length - unknown.length - lacking.length;
  t.diagnostic(`${lacking.length} cases lack a table in their capture: all unknown`);
  t.diagnostic(`${results.length - lacking.length} other cases: ${agree} agree (${((100 * agree) / (results.length - lacking.length)).toFixed(1)} %), ${disagree.length} disagree, ${unknown.length} unknown (${((100 * unknown.length) / (results.length - lacking.length)).toFixed(1)} %)`);
  for (const r of unknown) t.diagnostic(`unknown: ${r.name} (kernel: ${r.kernel})`);
  for (const r of disagree) t.diagnostic(`disagrees: ${r.name} (kernel: ${r.kernel}; natlens: ${r.natlens})`);
  const unexpected = disagree.filter((r) => !(r.name in KNOWN_DISAGREEMENTS)).map((r) => `${r.name}\n    kernel:  ${r.kernel}\n    natlens: ${r.natlens}`);
  const nowAgree = Object.keys(KNOWN_DISAGREEMENTS).filter((n) => !disagree.some((r) => r.name === n));
  assert.deepEqual(unexpected, [], "cases where trace disagrees with the kernel and that are not listed in KNOWN_DISAGREEMENTS");
  assert.deepEqual(nowAgree, [], "cases listed in KNOWN_DISAGREEMENTS that now agree (or are unknown, or gone): remove them from the list");
  assert.ok(unknown.length * 20 <= results.length - lacking.length, `unknown on ${unknown.length} of ${results.length - lacking.length} cases (must stay under 5 %)`);
});

test("trace: the order of the rule files never changes a trace (permutations of every mixed-backend oracle case's captures)", async () => {
  const fc = (await import("fast-check")).default;
  const mixed = names.filter((n) => {
    const c = JSON.parse(readFileSync(path.join(ROOT, n, "case.json"), "utf8")) as CaseJson & { rules: unknown[] };
    return c.rules.length > 1 || c.category === "partial-capture" || n.startsWith("nft-nat--");
  });
  assert.ok(mixed.length >= 10, `only ${mixed.length} cases with several rule sources`);
  const traceWith = async (dir: string, files: string[]): Promise<string> => {
    const c = JSON.parse(readFileSync(path.join(dir, "case.json"), "utf8")) as CaseJson;
    const p = c.packet;
    const inIface = IN_IFACE[p.from];
    const cap = path.join(dir, "captured");
    const r = await runCli(["trace", ...files, "--addrs", path.join(cap, "ip_-o_addr"), "--src", ap(p.src, p.sport), "--dst", ap(p.dst, p.dport), "--proto", p.proto, ...(inIface ? ["--in", inIface] : ["--local"]), "--to", "json"]);
    return r.stdout;
  };
  for (const n of mixed) {
    const dir = path.join(ROOT, n);
    const cap = path.join(dir, "captured");
    const files = readdirSync(cap)
      .filter((f) => f !== "ip_-o_addr")
      .sort()
      .map((f) => path.join(cap, f));
    const want = await traceWith(dir, files);
    await fc.assert(
      fc.asyncProperty(fc.shuffledSubarray(files, { minLength: files.length, maxLength: files.length }), async (order) => {
        assert.equal(await traceWith(dir, order), want, `${n}: ${order.map((f) => path.basename(f)).join(" ")}`);
      }),
      { numRuns: 4 },
    );
  }
});
