/**
 * Every sample's analyze report, in every output format, and a set of traces
 * over the samples' real rule dumps, as golden files: the safety net for any
 * change to the pipeline. A change in these bytes must be intended and read
 * (`UPDATE_GOLDENS=1 npm test`, then `git diff test/golden/analyze`).
 */
import { test } from "node:test";
import { existsSync, readdirSync } from "node:fs";
import path from "node:path";
import { assertGolden } from "./_golden.js";
import { runCli } from "./_io.js";

const samples = readdirSync("samples").filter((d) => existsSync(path.join("samples", d, "EXPECTED.json"))).sort();
const FORMATS = [
  ["text", "txt"],
  ["json", "json"],
  ["csv", "csv"],
] as const;

for (const s of samples) {
  for (const [format, ext] of FORMATS) {
    test(`analyze golden: ${s} as ${format}`, async () => {
      const r = await runCli(["analyze", "--format", format, path.join("samples", s)]);
      assertGolden(path.join("test/golden/analyze", `${s}.${ext}`), `exit ${r.code}\n--- stdout\n${r.stdout}--- stderr\n${r.stderr}`);
    });
  }
}

/** Packets a support engineer would ask about, over each engine generation's real dumps. */
const TRACES: { name: string; argv: string[] }[] = [
  { name: "lab-proxy-external", argv: ["samples/lab-proxy/commands/iptables-save_-c", "--addrs", "samples/lab-proxy/commands/ip_-o_addr", "--src", "198.51.100.10:40002", "--dst", "198.51.100.1:8080", "--in", "eth0"] },
  { name: "lab-proxy-container-cross-bridge", argv: ["samples/lab-proxy/commands/iptables-save_-c", "samples/lab-proxy/docker/docker_network_inspect", "--addrs", "samples/lab-proxy/commands/ip_-o_addr", "--src", "172.17.0.4:41003", "--dst", "198.51.100.1:5000", "--in", "docker0"] },
  { name: "lab-proxy-loopback", argv: ["samples/lab-proxy/commands/iptables-save_-c", "--addrs", "samples/lab-proxy/commands/ip_-o_addr", "--src", "127.0.0.1:40010", "--dst", "127.0.0.1:8080", "--local"] },
  { name: "lab28-noproxy-cross-bridge", argv: ["samples/lab28-noproxy/commands/iptables-save_-c", "samples/lab28-noproxy/docker/docker_network_inspect", "--addrs", "samples/lab28-noproxy/commands/ip_-o_addr", "--src", "172.17.0.4:41003", "--dst", "198.51.100.1:5000", "--in", "docker0"] },
  { name: "lab28-noproxy-loopback-nft", argv: ["samples/lab28-noproxy/commands/nft_list_ruleset", "--addrs", "samples/lab28-noproxy/commands/ip_-o_addr", "--src", "127.0.0.1:40010", "--dst", "127.0.0.1:8080", "--local"] },
  // partial dumps (issue 17): the jump into the chain is assumed and printed as such, not as a rule of the input
  { name: "partial-iptables-list-docker-fragment", argv: ["test/fixtures/iptables-list/pasted-header-first-fragment-of-docker-chain.txt", "--addrs", "samples/lab-proxy/commands/ip_-o_addr", "--src", "198.51.100.10:40002", "--dst", "198.51.100.1:8080", "--in", "eth0"] },
  { name: "partial-nft-docker-chain", argv: ["test/fixtures/nft/handwritten-partial-nat-docker-chain-only.txt", "--addrs", "samples/lab28-noproxy/commands/ip_-o_addr", "--src", "198.51.100.10:40002", "--dst", "198.51.100.1:5000", "--in", "eth0"] },
  { name: "lab-ipv6-external-v6", argv: ["samples/lab-ipv6/commands/ip6tables-save_-c", "--addrs", "samples/lab-ipv6/commands/ip_-o_addr", "--src", "[2001:db8:1::10]:40020", "--dst", "[2001:db8:1::1]:8080", "--in", "eth0"] },
];

for (const t of TRACES) {
  for (const to of ["text", "json"] as const) {
    test(`trace golden: ${t.name} as ${to}`, async () => {
      const r = await runCli(["trace", ...t.argv, "--to", to]);
      assertGolden(path.join("test/golden/trace", `${t.name}.${to === "text" ? "txt" : "json"}`), `exit ${r.code}\n--- stdout\n${r.stdout}--- stderr\n${r.stderr}`);
    });
  }
}
