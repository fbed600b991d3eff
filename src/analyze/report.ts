/**
 * The report stage (`natlens/analysis@1.2`): host facts, containers, published
 * ports, flows, findings, counts, inputs and diagnostics, from the stages
 * before it; and `analyzeBundle`, the stages run in order.
 */
import type { Bundle } from "./bundle.js";
import { attribute } from "./flows.js";
import { attributeRootless, rootlessWhatIf } from "./rootless.js";
import { dnatRules } from "./fingerprint.js";
import type { Flow } from "./flow-types.js";
import { explainOwnFlows } from "./explain.js";
import { resolveEvidenceText } from "./evidence.js";
import { collectGarbage } from "./memory.js";
import { AddrMemo } from "../context.js";
import { withAddrMemo } from "../net/index.js";
import { buildModel, ConntrackIndex, type EngineKind, type FirewallDumpBackend, type FirewallState, type HostModel } from "./model.js";
import { runFindings } from "../findings/registry.js";
import type { Finding } from "../findings/types.js";
import type { Diagnostic, InputSummary } from "../types.js";
import type { Change } from "../whatif/derive.js";
import { predictFlows } from "../whatif/predict.js";
import { hostVerdict, type HostWhatIf } from "../whatif/verdict.js";

export type { Finding } from "../findings/types.js";

export const ANALYSIS_SCHEMA = "natlens/analysis@1.2";

export interface Report {
  schema: typeof ANALYSIS_SCHEMA;
  host: {
    name: string | null;
    userlandProxy: "on" | "off" | "unknown";
    userlandProxyHow: string;
    firewallBackend: string;
    /** What the rule dumps hold (IPv4's, when dumped): none (no dump), empty, no-docker, docker; the dump's backend; how it was decided; IPv6's state. */
    firewall: { state: FirewallState; backend: FirewallDumpBackend; how: string; ipv6: FirewallState };
    engine: EngineKind;
    engineHow: string;
    /** A rootless engine (since analysis@1.2): its forwarder, rootlesskit's port driver, and what its network namespace's own view holds; null on other hosts. */
    rootless: { engine: "podman" | "docker"; forwarder: string; portDriver: string | null; netns: { name: string; rules: number; dnatRules: number; conntrack: number; sockets: number } | null } | null;
    dockerVersion: string;
    dockerVersionHow: string;
    localAddresses: string[];
    localAddressesInferred: boolean;
    bridges: HostModel["bridges"];
    evidencePresent: HostModel["present"];
  };
  containers: { name: string; id: string; pid: number | null; hostNetwork: boolean; addresses: { ip: string; network: string; gateway: string | null; bridge: string | null }[] }[];
  published: { proto: string; hostIp: string | null; hostPort: number; container: string | null; containerIp: string | null; containerPort: number; proxyPids: number[]; sources: string[] }[];
  flows: Flow[];
  findings: Finding[];
  counts: Record<string, number>;
  inputs: InputSummary[];
  diagnostics: Diagnostic[];
  /** `analyze --what-if`: the host verdict (src/whatif/verdict.ts); absent without --what-if. */
  whatIf?: HostWhatIf;
}

/** The report of a host model, its explained flows and its findings. Evidence text is filled in later (resolveEvidenceText). */
export function buildReport(m: HostModel, flows: Flow[], findings: Finding[]): Report {
  const counts: Record<string, number> = {};
  for (const f of flows) {
    const key = f.outcome === "open" ? f.pathDetail : `${f.pathDetail} (${f.outcome})`;
    counts[key] = (counts[key] ?? 0) + 1;
  }
  return {
    schema: ANALYSIS_SCHEMA,
    host: {
      name: m.name,
      userlandProxy: m.userlandProxy.value,
      userlandProxyHow: m.userlandProxy.how,
      firewallBackend: m.firewallBackend.value,
      firewall: { state: m.firewall.value, backend: m.firewall.backend, how: m.firewall.how, ipv6: m.firewall.byFamily[6].value },
      engine: m.engine.value,
      engineHow: m.engine.how,
      rootless: m.rootless
        ? {
            engine: m.rootless.engine,
            forwarder: m.rootless.forwarder,
            portDriver: m.rootless.portDriver,
            netns: m.rootless.netns
              ? { name: m.rootless.netns.name, rules: m.rootless.netns.rules.length, dnatRules: dnatRules(m.rootless.netns.rules).length, conntrack: m.rootless.netns.conntrack.length, sockets: m.rootless.netns.sockets.length }
              : null,
          }
        : null,
      dockerVersion: m.dockerVersion.value,
      dockerVersionHow: m.dockerVersion.how,
      localAddresses: [...m.localAddrs].sort(),
      localAddressesInferred: m.localAddrsInferred,
      bridges: m.bridges,
      evidencePresent: m.present,
    },
    containers: m.containers.map((c) => ({ name: c.name, id: c.id, pid: c.pid, hostNetwork: c.hostNetwork, addresses: c.addrs.map((a) => ({ ip: a.ip, network: a.network, gateway: a.gateway, bridge: a.bridge })) })),
    published: m.bindings.map((x) => ({
      proto: x.proto,
      hostIp: x.hostIp,
      hostPort: x.hostPort,
      container: x.container,
      containerIp: x.containerIp,
      containerPort: x.containerPort,
      proxyPids: x.proxyPids,
      sources: [...x.from],
    })),
    flows,
    findings,
    counts,
    inputs: m.inputs,
    diagnostics: m.diagnostics,
  };
}

/** Every evidence item of a report: the flows' and the findings'. */
function* citedEvidence(r: Report) {
  for (const f of r.flows) {
    yield* f.evidence;
    if (f.whatIf) yield* f.whatIf.evidence;
  }
  for (const f of r.findings) yield* f.evidence;
}

/**
 * bundle -> host model -> flows -> explanation -> findings -> report ->
 * evidence text. `release`: the caller is done with the bundle; its records
 * are dropped once the model holds what analysis needs, and the model itself
 * once the report is built (the evidence stage needs only the sources), and
 * memory is collected between the phases (memory.ts) unless `collectGarbage`
 * is false.
 */
export async function analyzeBundle(b: Bundle, opts: { release?: boolean; collectGarbage?: boolean; whatIf?: Change } = {}): Promise<Report> {
  const gc = !!opts.release && opts.collectGarbage !== false;
  // this host's address memo (src/context.ts): the synchronous stages run with it, and it goes with them
  const report = withAddrMemo(new AddrMemo(), () => modelToReport(b, !!opts.release, gc, opts.whatIf ?? null));
  // the model (its sockets, conntrack index and rule engine) is garbage from here on
  if (gc) collectGarbage();
  await resolveEvidenceText(citedEvidence(report), b.sources);
  return report;
}

/** The stages up to the report; the host model lives only inside this call. */
function modelToReport(b: Bundle, release: boolean, gc: boolean, whatIf: Change | null): Report {
  // parsing left its garbage (line strings, the parsers' full records): collected before the model is
  // built beside the bundle's records (measured: the peak of the bench host had moved here, 398-400 -> 388-389 MB)
  if (gc) collectGarbage();
  const m = buildModel(b);
  if (release) {
    // every record the model needs is in it now (the sources stay, for the evidence stage)
    b.sockets = [];
    b.conntrack = [];
    b.processes = [];
    b.rules = [];
    b.chains = [];
    b.containers = [];
    b.networks = [];
    b.addresses = [];
    b.routes = [];
    if (gc) collectGarbage(); // the socket records, merged into the model
  }
  const attributed = m.rootless ? attributeRootless(m) : attribute(m);
  // nothing after attribution reads the conntrack index (a third of the model on a big host)
  if (release) m.ct = new ConntrackIndex();
  // the attributor's indexes and its record of used legs (measured: the peak of a big host is here)
  if (gc) collectGarbage();
  let flows = explainOwnFlows(m, attributed);
  // the what-if stage (src/whatif/): each flow's fate with the daemon changed, then the host verdict
  // a rootless engine's forwarder relays every published port: dockerd's userland-proxy setting is not what decides
  if (whatIf && !m.rootless) flows = predictFlows(m, flows, whatIf);
  const report = buildReport(m, flows, runFindings(m, flows));
  if (whatIf) report.whatIf = m.rootless ? rootlessWhatIf(whatIf, m.rootless) : hostVerdict(flows, whatIf, m);
  return report;
}
