/**
 * Bundle loading for `analyze`: parse every input once (the same driver as
 * `convert`), keep the records by kind, and say which evidence is present.
 */
import { expandInputs, type ByteSource } from "../input/read.js";
import { parseSource } from "../parse.js";
import type {
  AddressRecord,
  ChainRecord,
  ConntrackRecord,
  ContainerRecord,
  Diagnostic,
  InputSummary,
  NatlensRecord,
  NetworkRecord,
  ProcessRecord,
  RouteRecord,
  RuleRecord,
  SocketRecord,
} from "../types.js";

export interface Bundle {
  sockets: SocketRecord[];
  processes: ProcessRecord[];
  rules: RuleRecord[];
  chains: ChainRecord[];
  conntrack: ConntrackRecord[];
  containers: ContainerRecord[];
  networks: NetworkRecord[];
  addresses: AddressRecord[];
  routes: RouteRecord[];
  inputs: InputSummary[];
  diagnostics: Diagnostic[];
  /** Host name from a `hostname` file, if any. */
  hostname: string | null;
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
    inputs: [],
    diagnostics: [],
    hostname: null,
  };
}

export function addRecord(b: Bundle, r: NatlensRecord): void {
  switch (r.kind) {
    case "socket":
      b.sockets.push(r);
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
      b.conntrack.push(r);
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
}

export async function loadBundle(inputs: readonly string[], opts: LoadOptions, stdin?: AsyncIterable<Buffer | string>): Promise<Bundle> {
  const b = emptyBundle();
  const { sources, problems } = await expandInputs(inputs, stdin);
  for (const p of problems) {
    b.diagnostics.push({ severity: "error", code: "E_INPUT", file: p.input, line: null, message: p.message, ...(p.hint ? { hint: p.hint } : {}) });
  }
  for (const source of sources) {
    if (/(^|\/)hostname$/.test(source.name)) {
      const name = (await readSmallText(source)).split("\n").find((l) => l.trim() && !l.startsWith("$ "));
      if (name) b.hostname = name.trim();
      continue;
    }
    const override = opts.netnsOverrides.get(source.name);
    const summary = await parseSource(source, {
      // every record is kept: repeated addresses get one shared copy (ParseOptions.shareStrings)
      options: { shareStrings: true },
      onRecord: (r) => {
        if (override && r.kind === "socket") r.netns = `netns:${override}`;
        addRecord(b, r);
      },
      onDiagnostic: (d) => b.diagnostics.push(d),
    });
    b.inputs.push(summary);
  }
  return b;
}
