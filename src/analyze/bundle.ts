/**
 * Bundle loading for `analyze`: parse every input once (the same driver as
 * `convert`), keep the records by kind, and say which evidence is present.
 */
import { expandInputs, type ByteSource } from "../input/read.js";
import type { RuleDump } from "../input/rule-dump.js";
import { createParseCaches } from "../context.js";
import type { ReadLimits } from "../input/archive/limits.js";
import { parseSource } from "../parse.js";
import type {
  AddressRecord,
  ChainRecord,
  ConntrackRecord,
  ConntrackTuple,
  ContainerRecord,
  Diagnostic,
  InputSummary,
  NatlensRecord,
  NetworkRecord,
  ProcessRecord,
  RouteRecord,
  RuleRecord,
  SettingRecord,
  SocketRecord,
} from "../types.js";

/**
 * What analysis keeps of a socket record: the fields the host model merges
 * (owner, inode, state, the tuple, the flags it checks) and the line to cite.
 * A busy host has hundreds of thousands of socket records; their queues,
 * timers, uid and process lists are dropped as each record is parsed.
 */
export type BundleSocket = Pick<SocketRecord, "source" | "format" | "netns" | "proto" | "family" | "localIp" | "localPort" | "remoteIp" | "remotePort" | "state" | "pid" | "program" | "inode" | "flags">;

const NO_FLAGS: SocketRecord["flags"] = [];

/** The analysis fields of a socket record, in a new, smaller object (the record itself becomes garbage). */
function bundleSocket(r: SocketRecord): BundleSocket {
  return {
    source: r.source,
    format: r.format,
    netns: r.netns,
    proto: r.proto,
    family: r.family,
    localIp: r.localIp,
    localPort: r.localPort,
    remoteIp: r.remoteIp,
    remotePort: r.remotePort,
    state: r.state,
    pid: r.pid,
    program: r.program,
    inode: r.inode,
    flags: r.flags.length ? r.flags : NO_FLAGS,
  };
}

/** What analysis keeps of a conntrack tuple. */
export type BundleTuple = Pick<ConntrackTuple, "src" | "dst" | "sport" | "dport">;

/**
 * What analysis keeps of a conntrack entry: the two tuples, state, flags and
 * NAT, and the line to cite (a third of the parsed record's memory: a busy
 * host lists hundreds of thousands of entries).
 */
export type BundleConntrack = Pick<ConntrackRecord, "source" | "format" | "family" | "proto" | "state" | "flags" | "dnat" | "snat"> & {
  original: BundleTuple;
  reply: BundleTuple;
  /** The attribution run that made it part of a flow (UsedLegs in flow-core.ts); null before. */
  usedBy?: object | null;
};

const tuple = (t: ConntrackTuple): BundleTuple => ({ src: t.src, dst: t.dst, sport: t.sport, dport: t.dport });

/**
 * The analysis fields of a conntrack record; `flagSets` gives every entry with
 * the same flags one array (a parser's array grows by pushes and would cost
 * far more than its few names). Analysis never changes a record's flags.
 */
function bundleConntrack(r: ConntrackRecord, flagSets: Map<string, string[]>): BundleConntrack {
  const key = r.flags.join(" ");
  let flags = flagSets.get(key);
  if (!flags) flagSets.set(key, (flags = r.flags.slice()));
  return { source: r.source, format: r.format, family: r.family, proto: r.proto, state: r.state, flags, dnat: r.dnat, snat: r.snat, original: tuple(r.original), reply: tuple(r.reply), usedBy: null };
}

export interface Bundle {
  sockets: BundleSocket[];
  processes: ProcessRecord[];
  rules: RuleRecord[];
  chains: ChainRecord[];
  conntrack: BundleConntrack[];
  containers: ContainerRecord[];
  networks: NetworkRecord[];
  addresses: AddressRecord[];
  routes: RouteRecord[];
  /** sysctl, uname, docker info, daemon.json: what the what-if reads (src/whatif/facts.ts). */
  settings: SettingRecord[];
  inputs: InputSummary[];
  /** The firewall rule dumps among the inputs and what each shows of the tables (src/input/rule-dump.ts). */
  ruleDumps: RuleDump[];
  diagnostics: Diagnostic[];
  /** Host name from a `hostname` file, if any. */
  hostname: string | null;
  /** sosreport plugins of container engines other than Docker whose output the tree holds (crio, containerd, podman, kubernetes, openshift). */
  enginePlugins: string[];
  /**
   * Every input by name, kept so that the report can re-open the sources it
   * cites (through `open()`, never by path) to show the cited lines.
   */
  sources: Map<string, ByteSource>;
  /** One array per distinct set of conntrack flags (bundleConntrack). */
  flagSets: Map<string, string[]>;
}

export function emptyBundle(): Bundle {
  return {
    sockets: [],
    processes: [],
    rules: [],
    chains: [],
    conntrack: [],
    containers: [],
    networks: [],
    addresses: [],
    routes: [],
    settings: [],
    inputs: [],
    ruleDumps: [],
    diagnostics: [],
    hostname: null,
    enginePlugins: [],
    sources: new Map(),
    flagSets: new Map(),
  };
}

export function addRecord(b: Bundle, r: NatlensRecord): void {
  switch (r.kind) {
    case "socket":
      b.sockets.push(bundleSocket(r));
      break;
    case "process":
      b.processes.push(r);
      break;
    case "rule":
      b.rules.push(r);
      break;
    case "chain":
      b.chains.push(r);
      break;
    case "conntrack":
      b.conntrack.push(bundleConntrack(r, b.flagSets));
      break;
    case "container":
      b.containers.push(r);
      break;
    case "network":
      b.networks.push(r);
      break;
    case "address":
      b.addresses.push(r);
      break;
    case "route":
      b.routes.push(r);
      break;
    case "setting":
      b.settings.push(r);
      break;
    default: {
      const never: never = r;
      throw new Error(`unknown record ${JSON.stringify(never)}`);
    }
  }
}

async function readSmallText(source: ByteSource): Promise<string> {
  let text = "";
  for await (const chunk of source.open()) {
    text += chunk.toString("utf8");
    if (text.length > 4096) break;
  }
  return text;
}

export interface LoadOptions {
  /** `--netns NAME=FILE`: sockets of FILE belong to network namespace NAME. */
  netnsOverrides: Map<string, string>;
  /** Archive limits (`--max-bytes`, `--max-member-bytes`). */
  limits?: Partial<ReadLimits>;
}

/**
 * Sources in the order of their names, compared path segment by path segment
 * (the order a directory walk gives): the report does not depend on the order
 * the inputs were given in. Sources of the same name keep their order.
 */
function inNameOrder(sources: readonly ByteSource[]): ByteSource[] {
  const keyed = sources.map((s) => ({ s, parts: s.name.split("/") }));
  keyed.sort((a, b) => {
    const n = Math.min(a.parts.length, b.parts.length);
    for (let i = 0; i < n; i++) {
      const x = a.parts[i]!;
      const y = b.parts[i]!;
      if (x !== y) return x < y ? -1 : 1;
    }
    return a.parts.length - b.parts.length;
  });
  return keyed.map((k) => k.s);
}

/** The bundle of the inputs named on a command line (files, directories, globs, `-`). */
export async function loadBundle(inputs: readonly string[], opts: LoadOptions, stdin?: AsyncIterable<Buffer | string>): Promise<Bundle> {
  const { sources, problems } = await expandInputs(inputs, stdin, { ...(opts.limits ? { limits: opts.limits } : {}) });
  const diagnostics: Diagnostic[] = problems.map((p) => ({ severity: "error", code: "E_INPUT", file: p.input, line: null, message: p.message, ...(p.hint ? { hint: p.hint } : {}) }));
  return loadSources(sources, opts, diagnostics);
}

/**
 * The bundle stage: parse every source once (the same driver as `convert`),
 * in name order, and keep the records by kind. `diagnostics` are earlier problems (inputs
 * that could not be read) to report first.
 */
export async function loadSources(sources: readonly ByteSource[], opts: Partial<LoadOptions> = {}, diagnostics: Diagnostic[] = []): Promise<Bundle> {
  const b = emptyBundle();
  b.diagnostics.push(...diagnostics);
  const overrides = opts.netnsOverrides ?? new Map<string, string>();
  // one set of parse caches for the host's sources, dropped with the bundle (src/context.ts)
  const caches = createParseCaches();
  for (const source of inNameOrder(sources)) {
    for (const n of source.notes ?? []) for (const e of n.engines ?? []) if (!b.enginePlugins.includes(e)) b.enginePlugins.push(e);
    if (!b.sources.has(source.name)) b.sources.set(source.name, source);
    if (/(^|\/)hostname$/.test(source.name)) {
      const name = (await readSmallText(source)).split("\n").find((l) => l.trim() && !l.startsWith("$ "));
      if (name) b.hostname = name.trim();
      continue;
    }
    const override = overrides.get(source.name);
    const summary = await parseSource(source, {
      // every record is kept: repeated addresses get one shared copy (ParseOptions.shareStrings)
      options: { shareStrings: true, caches },
      onRecord: (r) => {
        if (override && r.kind === "socket") r.netns = `netns:${override}`;
        addRecord(b, r);
      },
      onDiagnostic: (d) => b.diagnostics.push(d),
      onRuleDump: (d) => b.ruleDumps.push(d),
    });
    b.inputs.push(summary);
  }
  return b;
}
