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
export const KNOWN_DISAGREEMENTS: Record<string, string> = {
  "addrtype--limit-iface-in-other-addr": "kernel delivered 172.17.0.1:22 from 198.51.100.10:40001 (established); natlens dropped",
  "ctstate-dnat-orig--direct-no-origport": "kernel dropped; natlens delivered 172.17.0.2:80 from 198.51.100.10:40001 (established)",
  "dnat-port-range--in-range-8005": "kernel delivered 172.17.0.2:8005 from 198.51.100.10:40001 (established); natlens delivered 172.17.0.2:8000 from 198.51.100.10:40001 (established)",
  "docker2010-noproxy--host-loopback-published": "kernel dropped; natlens delivered 172.17.0.2:80 from 172.17.0.1:40001 (established)",
  "docker2010-noproxy--own-bridge-to-published": "kernel dropped; natlens delivered 172.17.0.2:80 from 172.17.0.1:40001 (established)",
  "docker2010-noproxy-v6--v6-host-loopback": "kernel dropped; natlens delivered [fd00:17::2]:80 from [::1]:40001 (established)",
  "docker2810-nft-user--published-c2-dropped": "kernel dropped; natlens delivered 10.99.0.2:90 from 198.51.100.10:40001 (established)",
  "docker2810-nft-user--ssh-dropped": "kernel dropped; natlens delivered 198.51.100.1:22 from 198.51.100.10:40001 (established)",
  "docker28x-noproxy--host-loopback-published": "kernel dropped; natlens delivered 172.17.0.2:80 from 172.17.0.1:40001 (established)",
  "docker28x-noproxy--own-bridge-to-published": "kernel dropped; natlens delivered 172.17.0.2:80 from 172.17.0.1:40001 (established)",
  "docker28x-noproxy-v6--v6-host-loopback": "kernel dropped; natlens delivered [fd00:17::2]:80 from [::1]:40001 (established)",
  "docker29x-noproxy--host-loopback-published": "kernel dropped; natlens delivered 172.17.0.2:80 from 172.17.0.1:40001 (established)",
  "docker29x-noproxy--own-bridge-to-published": "kernel dropped; natlens delivered 172.17.0.2:80 from 172.17.0.1:40001 (established)",
  "loopback-dnat--loopback-to-container": "kernel dropped; natlens delivered 172.17.0.2:80 from 172.17.0.1:40001 (established)",
  "neg-iface-proto--udp-from-c1": "kernel delivered 198.51.100.10:53 from 172.17.0.2:40001 (reply-lost); natlens delivered 198.51.100.10:53 from 172.17.0.2:40001 (established)",
  "nft-fib-misc--direct-brlab": "kernel dropped; natlens delivered 10.99.0.2:90 from 198.51.100.10:40001 (established)",
  "nft-fib-misc--fib-iif-own-addr": "kernel delivered 198.51.100.1:22 from 198.51.100.10:40001 (established); natlens dropped",
  "nft-nat--dnat-local": "kernel delivered 172.17.0.2:80 from 198.51.100.10:40001 (established); natlens delivered 198.51.100.1:8080 from 198.51.100.10:40001 (established)",
  "nft-nat--dnat-range": "kernel delivered 172.17.0.2:8007 from 198.51.100.10:40001 (established); natlens delivered 198.51.100.1:8007 from 198.51.100.10:40001 (established)",
  "nft-nat--masq-c1": "kernel delivered 198.51.100.10:443 from 198.51.100.1:40001 (established); natlens delivered 198.51.100.10:443 from 172.17.0.2:40001 (established)",
  "nft-nat--redirect": "kernel delivered 198.51.100.1:3128 from 198.51.100.10:40001 (established); natlens delivered 198.51.100.1:80 from 198.51.100.10:40001 (established)",
  "nft-nat--snat-c2": "kernel delivered 198.51.100.10:443 from 198.51.100.1:40001 (established); natlens delivered 198.51.100.10:443 from 10.99.0.2:40001 (established)",
  "nft-nat--udp-dnat": "kernel delivered 172.17.0.2:53 from 198.51.100.10:40001 (established); natlens delivered 198.51.100.1:5353 from 198.51.100.10:40001 (established)",
  "nft-priorities--direct-fwd": "kernel delivered 172.17.0.2:80 from 198.51.100.10:40001 (established); natlens dropped",
  "nft-sets--anon-miss": "kernel delivered 198.51.100.1:8005 from 198.51.100.10:40001 (established); natlens rejected",
  "nft-sets--anon-range": "kernel dropped; natlens rejected",
  "nft-sets--anon-single": "kernel dropped; natlens rejected",
  "nft-sets--named-set-not-blocked": "kernel delivered 198.51.100.1:8080 from 198.51.100.10:40001 (established); natlens dropped",
  "nft-sets--neg-set-private-accept": "kernel delivered 10.99.0.1:22 from 10.99.0.2:40001 (established); natlens dropped",
  "nft-vmaps--ct-new-forward": "kernel delivered 172.17.0.2:80 from 198.51.100.10:40001 (established); natlens dropped",
  "nft-vmaps--ct-new-from-c1": "kernel delivered 198.51.100.10:443 from 172.17.0.2:40001 (established); natlens dropped",
  "nft-vmaps--dport-drop": "kernel dropped; natlens delivered 198.51.100.1:80 from 198.51.100.10:40001 (established)",
  "nft-vmaps--dport-jump-reject": "kernel rejected; natlens delivered 198.51.100.1:443 from 198.51.100.10:40001 (established)",
  "nft-vmaps--l4proto-udp": "kernel rejected; natlens delivered 198.51.100.1:53 from 198.51.100.10:40001 (established)",
  "nft-vmaps--saddr-drop": "kernel dropped; natlens delivered 198.51.100.1:5000 from 203.0.113.5:40001 (established)",
  "nft-vmaps--v6-dport-drop": "kernel dropped; natlens delivered [2001:db8:1::1]:80 from [2001:db8:1::10]:40001 (established)",
  "notrack--notrack-tcp": "kernel delivered 198.51.100.1:5000 from 203.0.113.5:40001 (established); natlens delivered 172.17.0.2:5000 from 203.0.113.5:40001 (established)",
  "notrack--notrack-udp": "kernel delivered 198.51.100.1:5353 from 198.51.100.10:40001 (established); natlens delivered 172.17.0.2:53 from 198.51.100.10:40001 (established)",
  "notrack-ctstate--output-untracked-passes": "kernel delivered 198.51.100.10:443 from 198.51.100.1:40001 (established); natlens dropped",
  "notrack-ctstate--untracked-drop": "kernel dropped; natlens delivered 198.51.100.1:22 from 198.51.100.10:40001 (established)",
  "policies--c1-out-reply-dropped": "kernel delivered 198.51.100.10:443 from 172.17.0.2:40001 (reply-lost); natlens delivered 198.51.100.10:443 from 172.17.0.2:40001 (established)",
  "snat--to-c1-snat-port": "kernel delivered 172.17.0.2:80 from 172.17.0.1:40001 (established); natlens delivered 172.17.0.2:80 from 172.17.0.1:40000 (established)",
  "wildcard-iface--to-c2": "kernel delivered 10.99.0.2:90 from 198.51.100.10:40001 (reply-lost); natlens delivered 10.99.0.2:90 from 198.51.100.10:40001 (established)",
};

function ap(addr: string, port: number | null): string {
  return addr.includes(":") ? `[${addr}]:${port}` : `${addr}:${port}`;
}

/** The first address of `iface` in the captured `ip -o addr`, of the given family. */
function ifaceAddr(addrText: string, iface: string, family: 4 | 6): string | null {
  for (const line of addrText.split("\n")) {
    const f = line.trim().split(/\s+/);
    if (f[1]?.replace(/@.*$/, "") !== iface) continue;
    if ((family === 4 && f[2] === "inet") || (family === 6 && f[2] === "inet6")) {
      const a = f[3]!.replace(/\/\d+$/, "");
      if (!a.startsWith("fe80")) return a;
    }
  }
  return null;
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
      verdict: string;
      finalDst: { addr: string; port: number | null };
      finalSrc: { addr: string; port: number | null };
      snat: { addr: string | null; masquerade: boolean } | null;
      outIface: string | null;
      route: string;
      reply?: { verdict: string } | null;
    };
    if (j.verdict === "drop" || j.verdict === "dropped") natlens = "dropped";
    else if (j.verdict === "reject" || j.verdict === "rejected") natlens = "rejected";
    else if (j.verdict === "unknown") {
      natlens = "unknown";
      unknown = true;
    } else {
      let peerAddr = j.finalSrc.addr;
      if (j.snat?.masquerade && j.outIface) {
        peerAddr = ifaceAddr(readFileSync(path.join(cap, "ip_-o_addr"), "utf8"), j.outIface, p.src.includes(":") ? 6 : 4) ?? "?";
      }
      const reply = j.reply ? (j.reply.verdict === "delivered" || j.reply.verdict === "accept" ? "established" : j.reply.verdict === "unknown" ? "unknown" : "reply-lost") : "established";
      natlens = `delivered ${ap(j.finalDst.addr, j.finalDst.port)} from ${ap(peerAddr, j.finalSrc.port)} (${reply})`;
    }
  } catch {
    natlens = `no JSON (exit ${r.code}): ${r.stderr.trim().split("\n")[0] ?? ""}`;
  }
  return { name: c.name, category: c.category, kernel: kernelSays(e), natlens, unknown };
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
  const unknown = results.filter((r) => r.unknown);
  const agree = results.length - disagree.length - unknown.length;
  t.diagnostic(`${results.length} cases: ${agree} agree (${((100 * agree) / results.length).toFixed(1)} %), ${disagree.length} disagree, ${unknown.length} unknown (${((100 * unknown.length) / results.length).toFixed(1)} %)`);
  const unexpected = disagree.filter((r) => !(r.name in KNOWN_DISAGREEMENTS)).map((r) => `${r.name}\n    kernel:  ${r.kernel}\n    natlens: ${r.natlens}`);
  const nowAgree = Object.keys(KNOWN_DISAGREEMENTS).filter((n) => !disagree.some((r) => r.name === n));
  assert.deepEqual(unexpected, [], "cases where trace disagrees with the kernel and that are not listed in KNOWN_DISAGREEMENTS");
  assert.deepEqual(nowAgree, [], "cases listed in KNOWN_DISAGREEMENTS that now agree (or are unknown, or gone): remove them from the list");
  assert.ok(unknown.length * 20 <= results.length, `unknown on ${unknown.length} of ${results.length} cases (must stay under 5 %)`);
});
