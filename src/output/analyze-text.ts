/**
 * The analyze text report: the host line, flows grouped by container and
 * published port, findings, and the count per path. Written line by line.
 */
import type { ChalkInstance } from "chalk";
import type { Flow, PathDetail } from "../analyze/flow-types.js";
import type { Report } from "../analyze/report.js";
import { endpoint } from "../net/index.js";
import { visible as v } from "../safe-text.js";

const LABEL: Record<PathDetail, string> = {
  dnat: "DNAT",
  "host-nat": "HOST-NAT",
  hairpin: "HAIRPIN",
  "hairpin-self": "HAIRPIN-SELF",
  "docker-proxy": "PROXY",
  rootlessport: "ROOTLESSPORT",
  rootlesskit: "ROOTLESSKIT",
  slirp4netns: "SLIRP4NETNS",
  direct: "DIRECT",
  unknown: "UNKNOWN",
};

const ep = (e: { ip: string; port: number | null } | null) => (e ? endpoint(e.ip, e.port) : "?");

export function renderText(r: Report, chalk: ChalkInstance | null, width?: number): string {
  let out = "";
  writeText(r, chalk, (t) => (out += t), width);
  return out;
}

/** Our own colour codes (input text never carries an ESC here: it went through `visible` first). */
const SGR = /\x1b\[[0-9;]*m/y;

/** Where `s` must be cut to fit `width` columns (colour codes take none): after the last blank that follows text, else hard; -1 when it fits. */
function cutAt(s: string, width: number): number {
  let col = 0;
  let text = false;
  let lastBlank = -1;
  for (let i = 0; i < s.length; i++) {
    SGR.lastIndex = i;
    if (s.charCodeAt(i) === 0x1b && SGR.test(s)) {
      i = SGR.lastIndex - 1;
      continue;
    }
    const blank = s[i] === " ";
    if (col === width) return blank ? i : lastBlank > 0 ? lastBlank : i;
    if (blank && text) lastBlank = i;
    if (!blank) text = true;
    col++;
  }
  return -1;
}

/**
 * `line` wrapped to `width` columns at blanks, continuation lines indented by
 * `hang` columns; each piece ends in "\n". A word longer than a line is cut.
 */
export function wrapLine(line: string, width: number, hang: number): string {
  const indent = " ".repeat(hang < width - 20 ? hang : 2);
  let out = "";
  let rest = line;
  for (let cut = cutAt(rest, width); cut > 0; cut = cutAt(rest, width)) {
    out += rest.slice(0, cut).trimEnd() + "\n";
    const tail = rest.slice(cut).replace(/^ +/, "");
    if (tail === "") return out;
    rest = indent + tail;
  }
  return out + rest + "\n";
}

/**
 * The text report, written line by line (each line ends in "\n"). `chalk` null: no colour.
 * `width` (a terminal's columns): long lines are wrapped to it, explanations
 * and findings under their first word, evidence lines two columns deeper;
 * absent (piped, a file): one line per item, for grep.
 * Every string that comes from the inputs (names, addresses, explanations that
 * quote them, evidence lines, file names) goes through `v` (safe-text.ts) before
 * any colour is added, so input text can never act on the terminal.
 */
export function writeText(r: Report, chalk: ChalkInstance | null, write: (text: string) => void, width?: number): void {
  const c = chalk;
  const bold = (s: string) => (c ? c.bold(s) : s);
  const dim = (s: string) => (c ? c.dim(s) : s);
  const pathColor = (f: Flow, s: string) => {
    if (!c) return s;
    if (f.outcome === "failed") return c.red(s);
    if (f.outcome === "closed") return c.dim(s);
    return f.path === "docker-proxy" ? c.yellow(s) : f.path === "dnat" ? c.green(s) : f.path === "direct" ? c.cyan(s) : s;
  };
  const wrap = width !== undefined && width >= 40 ? width : null;
  /** `hang`: the continuation indent (default: the line's own indent plus two). */
  const lines = {
    push: (l: string, hang?: number) => {
      if (wrap === null) return write(l + "\n");
      write(wrapLine(l, wrap, hang ?? /^(?:\x1b\[[0-9;]*m)*( *)/.exec(l)![1]!.length + 2));
    },
  };
  const h = r.host;
  const fw = h.firewall;
  const dump = fw.backend === "unknown" ? "" : fw.backend === "nft" ? "nft ruleset" : fw.backend;
  const fwText =
    fw.state === "none" ? "unknown (no rule dump)"
    : fw.state === "empty" ? `no rules${dump ? ` (${dump}): nat table empty` : ": nat table empty"}`
    : fw.state === "no-docker" ? `no Docker rules${dump ? ` (${dump})` : ""}`
    : `${h.firewallBackend}${dump ? ` (${dump})` : ""}`;
  const engine = h.engine !== "docker" && h.engine !== "unknown" ? `  engine: ${h.engine}` : "";
  lines.push(bold(`host ${v(h.name ?? "(unnamed)")}`) + v(`${engine}  userland-proxy: ${h.userlandProxy}  firewall: ${fwText}  docker: ${h.dockerVersion}`));
  lines.push(dim(`  userland-proxy: ${v(h.userlandProxyHow)}`));
  if (fw.state === "empty" || fw.state === "no-docker") lines.push(dim(`  firewall: ${v(fw.how)}`));
  if (h.rootless) lines.push(dim(`  engine: rootless ${h.rootless.engine === "podman" ? "Podman" : "Docker"}, ${h.rootless.forwarder}${h.rootless.portDriver ? ` (rootlesskit --port-driver=${h.rootless.portDriver})` : ""}: ${v(h.engineHow)}${h.rootless.netns ? `; its network namespace's own view (${v(h.rootless.netns.name)}: ${h.rootless.netns.rules} rules, ${h.rootless.netns.dnatRules} DNAT, ${h.rootless.netns.conntrack} conntrack entries) is not the host's firewall` : ""}`));
  else if (h.engine === "podman") lines.push(dim(`  engine: podman (${v(h.engineHow)}): no docker-proxy; published ports are DNATed by netavark's NETAVARK-* rules`));
  else if (h.engine === "cri-o" || h.engine === "containerd") lines.push(dim(`  engine: ${h.engine} (${v(h.engineHow)}): not Docker, so no docker-proxy and no Docker port publishing to explain`));
  if (r.whatIf) lines.push(`  ${bold(v(`what if ${r.whatIf.change}:`))} ${v(r.whatIf.text)}`);
  lines.push(dim(`  local addresses${h.localAddressesInferred ? " (inferred)" : ""}: ${v(h.localAddresses.join(", "))}`));
  lines.push("");
  const groups = new Map<string, Flow[]>();
  for (const f of r.flows) {
    const key = `${f.container?.name ?? "(unknown container)"}  ${f.container ? ep({ ip: f.container.ip, port: f.container.port }) : ""}`;
    (groups.get(key) ?? groups.set(key, []).get(key)!).push(f);
  }
  for (const [key, flows] of [...groups.entries()].sort()) {
    lines.push(bold(v(key)));
    flows.sort((a, b) => (a.published?.port ?? 0) - (b.published?.port ?? 0) || a.path.localeCompare(b.path));
    for (const f of flows) {
      const client = `${ep({ ip: f.client.ip, port: f.client.port })}${f.client.container ? ` (${f.client.container})` : ` (${f.client.kind})`}`;
      const via = f.path === "docker-proxy" || f.path === "forwarder" ? ` -> ${f.path === "forwarder" ? f.pathDetail : "docker-proxy"}${f.proxy?.pid ? ` ${f.proxy.pid}` : ""}` : "";
      const chain = `${client} -> ${f.published ? ep(f.published) : ep(f.container ? { ip: f.container.ip, port: f.container.port } : null)}${via} -> ${f.container?.name ?? "?"}`;
      const tag = `${LABEL[f.pathDetail]}${f.outcome !== "open" ? ` ${f.outcome.toUpperCase()}` : ""}`;
      lines.push(`  ${pathColor(f, tag.padEnd(16))} ${v(f.proto)} ${v(chain)}  ${dim(v(`[${f.confidence}${f.snat ? ", source NATed" : ""}; ${f.state}]`))}`);
      lines.push(`      ${v(f.explanation)}`, 6);
      for (const e of f.evidence.slice(0, 4)) lines.push(dim(v(`      ${e.file}:${e.line}: ${e.text ?? ""}${e.note ? `  (${e.note})` : ""}`)));
      const w = f.whatIf;
      if (w) {
        const tag = `${w.outcome.toUpperCase()}${w.cause ? ` (${w.cause})` : ""}${w.outcome === "works" ? ` ${LABEL[w.path === "none" ? "unknown" : w.path]}${w.clientSeen ? `, sees ${w.clientSeen.ip}` : ""}` : ""}`;
        const colour = !c ? (s: string) => s : w.outcome === "breaks" ? c.red : w.outcome === "unknown" ? c.yellow : c.green;
        lines.push(`      ${colour(v(`what if ${w.change}: ${tag}`))}: ${v(w.why)}`);
        for (const e of w.evidence.slice(0, 3)) lines.push(dim(v(`        ${e.file}:${e.line}: ${e.text ?? ""}${e.note ? `  (${e.note})` : ""}`)));
      }
    }
    lines.push("");
  }
  lines.push(bold("findings"));
  for (const f of r.findings) {
    lines.push(`  ${f.severity === "warning" ? (c ? c.yellow("!") : "!") : "*"} ${v(f.message)}`, 4);
    for (const e of f.evidence.slice(0, 3)) lines.push(dim(v(`      ${e.file}:${e.line}: ${e.text ?? ""}`)));
  }
  lines.push("");
  lines.push(bold("flows by path: ") + (Object.entries(r.counts).map(([k, n]) => `${k} ${n}`).join(", ") || "none"));
}
