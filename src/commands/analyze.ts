/**
 * `natlens analyze`: load a bundle, build the host model, attribute flows,
 * and write text (grouped by container and published port), JSON or CSV.
 */
import type { ChalkInstance } from "chalk";
import { loadBundle } from "../analyze/bundle.js";
import { analyzeBundle, type Report } from "../analyze/report.js";
import { writeJson } from "../analyze/json-stream.js";
import type { Flow } from "../analyze/flows.js";
import { ExitCode, type Io, UsageError } from "../io.js";
import { makeChalk, resolveColor, type ColorChoice } from "../_color.js";
import { DiagnosticPrinter } from "../diagnostics.js";
import { csvCell } from "../output/csv.js";
import { openOutput } from "../output/sink.js";
import { endpoint } from "../net/index.js";

export const ANALYZE_FORMATS = ["text", "json", "csv"] as const;
export type AnalyzeFormat = (typeof ANALYZE_FORMATS)[number];

export interface AnalyzeArgs {
  inputs: string[];
  format: AnalyzeFormat;
  output?: string | undefined;
  netns: string[];
  color: ColorChoice;
  verbose: boolean;
  quiet: boolean;
}

/** CSV columns of `analyze --format csv`: a public contract (docs/schema.md). */
export const FLOW_CSV_COLUMNS: { name: string; get(f: Report["flows"][number], r: Report): string | number | boolean | null }[] = [
  { name: "host", get: (_f, r) => r.host.name },
  { name: "container", get: (f) => f.container?.name ?? null },
  { name: "container_ip", get: (f) => f.container?.ip ?? null },
  { name: "container_port", get: (f) => f.container?.port ?? null },
  { name: "published_ip", get: (f) => f.published?.ip ?? null },
  { name: "published_port", get: (f) => f.published?.port ?? null },
  { name: "client_ip", get: (f) => f.client.ip },
  { name: "client_port", get: (f) => f.client.port },
  { name: "client_kind", get: (f) => f.client.kind },
  { name: "path", get: (f) => f.path },
  { name: "snat", get: (f) => f.snat },
  { name: "state", get: (f) => f.state },
  { name: "confidence", get: (f) => f.confidence },
  { name: "explanation", get: (f) => f.explanation },
  // Added after the contracted columns:
  { name: "proto", get: (f) => f.proto },
  { name: "outcome", get: (f) => f.outcome },
  { name: "path_detail", get: (f) => f.pathDetail },
  { name: "client_container", get: (f) => f.client.container },
  { name: "container_sees", get: (f) => (f.containerSees ? `${f.containerSees.ip}:${f.containerSees.port ?? ""}` : null) },
  { name: "proxy_pid", get: (f) => f.proxy?.pid ?? null },
  { name: "evidence", get: (f) => f.evidence.map((e) => `${e.file}:${e.line}`).join(" ") },
];

function parseNetns(specs: string[]): Map<string, string> {
  const map = new Map<string, string>();
  for (const s of specs) {
    const eq = s.indexOf("=");
    if (eq <= 0 || eq === s.length - 1) throw new UsageError(`--netns ${JSON.stringify(s)} is not NAME=FILE`, "e.g. --netns web=dumps/web-tcp6.txt");
    map.set(s.slice(eq + 1), s.slice(0, eq));
  }
  return map;
}

const LABEL: Record<Flow["pathDetail"], string> = {
  dnat: "DNAT",
  "host-nat": "HOST-NAT",
  hairpin: "HAIRPIN",
  "hairpin-self": "HAIRPIN-SELF",
  "docker-proxy": "PROXY",
  direct: "DIRECT",
  unknown: "UNKNOWN",
};

const ep = (e: { ip: string; port: number | null } | null) => (e ? endpoint(e.ip, e.port) : "?");

export function renderText(r: Report, chalk: ChalkInstance | null): string {
  let out = "";
  writeText(r, chalk, (t) => (out += t));
  return out;
}

/** The text report, written line by line (each line ends in "\n"). */
export function writeText(r: Report, chalk: ChalkInstance | null, write: (text: string) => void): void {
  const c = chalk;
  const bold = (s: string) => (c ? c.bold(s) : s);
  const dim = (s: string) => (c ? c.dim(s) : s);
  const pathColor = (f: Report["flows"][number], s: string) => {
    if (!c) return s;
    if (f.outcome === "failed") return c.red(s);
    if (f.outcome === "closed") return c.dim(s);
    return f.path === "docker-proxy" ? c.yellow(s) : f.path === "dnat" ? c.green(s) : f.path === "direct" ? c.cyan(s) : s;
  };
  const lines = { push: (l: string) => write(l + "\n") };
  const h = r.host;
  lines.push(bold(`host ${h.name ?? "(unnamed)"}`) + `  userland-proxy: ${h.userlandProxy}  firewall: ${h.firewallBackend}  docker: ${h.dockerVersion}`);
  lines.push(dim(`  userland-proxy: ${h.userlandProxyHow}`));
  lines.push(dim(`  local addresses${h.localAddressesInferred ? " (inferred)" : ""}: ${h.localAddresses.join(", ")}`));
  lines.push("");
  const groups = new Map<string, Report["flows"]>();
  for (const f of r.flows) {
    const key = `${f.container?.name ?? "(unknown container)"}  ${f.container ? ep({ ip: f.container.ip, port: f.container.port }) : ""}`;
    (groups.get(key) ?? groups.set(key, []).get(key)!).push(f);
  }
  for (const [key, flows] of [...groups.entries()].sort()) {
    lines.push(bold(key));
    flows.sort((a, b) => (a.published?.port ?? 0) - (b.published?.port ?? 0) || a.path.localeCompare(b.path));
    for (const f of flows) {
      const client = `${ep({ ip: f.client.ip, port: f.client.port })}${f.client.container ? ` (${f.client.container})` : ` (${f.client.kind})`}`;
      const via = f.path === "docker-proxy" ? ` -> docker-proxy${f.proxy?.pid ? ` ${f.proxy.pid}` : ""}` : "";
      const chain = `${client} -> ${f.published ? ep(f.published) : ep(f.container ? { ip: f.container.ip, port: f.container.port } : null)}${via} -> ${f.container?.name ?? "?"}`;
      const tag = `${LABEL[f.pathDetail]}${f.outcome !== "open" ? ` ${f.outcome.toUpperCase()}` : ""}`;
      lines.push(`  ${pathColor(f, tag.padEnd(16))} ${f.proto} ${chain}  ${dim(`[${f.confidence}${f.snat ? ", source NATed" : ""}; ${f.state}]`)}`);
      lines.push(`      ${f.explanation}`);
      for (const e of f.evidence.slice(0, 4)) lines.push(dim(`      ${e.file}:${e.line}: ${e.text ?? ""}${e.note ? `  (${e.note})` : ""}`));
    }
    lines.push("");
  }
  lines.push(bold("findings"));
  for (const f of r.findings) {
    lines.push(`  ${f.severity === "warning" ? (c ? c.yellow("!") : "!") : "*"} ${f.message}`);
    for (const e of f.evidence.slice(0, 3)) lines.push(dim(`      ${e.file}:${e.line}: ${e.text ?? ""}`));
  }
  lines.push("");
  lines.push(bold("flows by path: ") + Object.entries(r.counts).map(([k, v]) => `${k} ${v}`).join(", "));
}

export function renderCsv(r: Report): string {
  let out = "";
  writeCsv(r, (t) => (out += t));
  return out;
}

/** The CSV report, written row by row (each row ends in "\r\n"). */
export function writeCsv(r: Report, write: (text: string) => void): void {
  write(FLOW_CSV_COLUMNS.map((c) => c.name).join(",") + "\r\n");
  for (const f of r.flows) write(FLOW_CSV_COLUMNS.map((c) => csvCell(c.get(f, r))).join(",") + "\r\n");
}

/** The JSON report: the bytes of `JSON.stringify(report, null, 2) + "\n"`, written flow by flow. */
export function writeJsonReport(r: Report, write: (text: string) => void): void {
  writeJson(r, write, 2);
  write("\n");
}

export async function analyze(args: AnalyzeArgs, io: Io): Promise<ExitCode> {
  const bundle = await loadBundle(args.inputs, { netnsOverrides: parseNetns(args.netns) }, io.stdin);
  const stderrChalk = await makeChalk(resolveColor(args.color, io.env, io.stderrIsTTY));
  const printer = new DiagnosticPrinter((l) => io.stderr.write(l), stderrChalk, { verbose: args.verbose, quiet: args.quiet, perFile: 5 });
  for (const d of bundle.diagnostics) printer.print(d);
  printer.flush();
  if (bundle.inputs.length === 0) return ExitCode.Usage;
  if (bundle.inputs.every((i) => i.format === null)) {
    io.stderr.write(`natlens: error: none of the inputs is a capture natlens reads\n    hint: run \`natlens formats\` for the list, or capture a host with scripts/collect.sh\n`);
    return ExitCode.Usage;
  }
  const report = analyzeBundle(bundle, { release: true });
  const out = openOutput(io, args.output, false);
  const write = (t: string) => out.sink.write(t);
  if (args.format === "json") writeJsonReport(report, write);
  else if (args.format === "csv") writeCsv(report, write);
  else writeText(report, await makeChalk(!args.output && resolveColor(args.color, io.env, io.stdoutIsTTY)), write);
  out.close();
  if (bundle.diagnostics.some((d) => d.code === "E_INPUT")) return ExitCode.Usage;
  return bundle.inputs.some((i) => i.skipped > 0) ? ExitCode.Skipped : ExitCode.Ok;
}
