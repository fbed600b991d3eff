/**
 * The path diagram of one container, as inline SVG written by hand (no layout
 * library: four fixed columns and stacked boxes need no solver, and the whole
 * builder is smaller than any charting package's runtime).
 *
 *   clients (external / host / other containers)  →  published endpoint  →  docker-proxy pid  →  container
 *
 * Edges carry the path as a CSS class (colour AND dash pattern, see styles.ts)
 * and a text label with the flow count, so the diagram reads in greyscale and
 * for colour-blind readers. Every string from the bundle is escaped with esc()
 * and, where a box is too narrow for it, clipped with the full text in <title>.
 */
import type { Flow } from "../../analyze/flows.js";
import { hostPart } from "../../net/endpoint.js";
import { clip, esc } from "./escape.js";
import { PATH_LABEL, ep, seesText } from "./labels.js";

const COL = { client: 0, published: 330, proxy: 570, container: 790 } as const;
const W = { client: 210, published: 160, proxy: 130, container: 220 } as const;
const WIDTH = 1012;
const NODE_H = 38;
const GAP = 10;
const GROUP_HEAD = 20;
const TOP = 8;
/** Client boxes per group before the rest are folded into one "+ N more" box. */
const MAX_CLIENTS = 6;

type Kind = Flow["client"]["kind"];
const GROUPS: { kind: Kind; title: string }[] = [
  { kind: "external", title: "external clients" },
  { kind: "host", title: "host" },
  { kind: "container", title: "other containers" },
  { kind: "unknown", title: "client unknown" },
];

interface Node {
  key: string;
  x: number;
  w: number;
  label: string;
  sub: string;
  y: number;
  h: number;
  flows: number;
  /** edges ending / starting here: ends and starts are spread over the box */
  ins: Edge[];
  outs: Edge[];
}

interface Edge {
  from: Node;
  to: Node;
  detail: Flow["pathDetail"];
  count: number;
  failed: number;
  closed: number;
  label: (e: Edge) => string;
}

function node(key: string, x: number, w: number, label: string, sub = ""): Node {
  return { key, x, w, label, sub, y: 0, h: NODE_H, flows: 0, ins: [], outs: [] };
}

function outcomeNote(e: Edge): string {
  const parts: string[] = [];
  if (e.failed) parts.push(`${e.failed} failed`);
  if (e.closed) parts.push(`${e.closed} closed`);
  return parts.length ? ` (${parts.join(", ")})` : "";
}

function clientKey(f: Flow): string {
  return `${f.client.kind}|${f.client.container ?? ""}|${f.client.ip}`;
}

function clientLabel(f: Flow): string {
  if (f.client.kind === "unknown") return "unknown client";
  if (f.client.kind === "container" && f.client.container) return f.client.container;
  return f.client.ip;
}

const proxyKey = (f: Flow) => (f.proxy?.pid != null ? String(f.proxy.pid) : "?");

/** y of the k-th of n edge ends on a box: spread over its height, centred when alone. */
function slot(n: Node, k: number, count: number): number {
  return count > 1 ? n.y + 10 + ((n.h - 20) * k) / (count - 1) : n.y + n.h / 2;
}

/**
 * One `<svg data-container="NAME" data-flows="N">` for the flows that end in
 * container NAME (or, for `name` null, in no known container).
 */
export function containerDiagram(name: string | null, flows: Flow[]): string {
  // --- nodes: clients grouped by kind (the busiest first, the rest folded), endpoints, proxies, the container
  const clients = new Map<string, { node: Node; kind: Kind; ports: Set<number> }>();
  for (const f of flows) {
    const k = clientKey(f);
    let c = clients.get(k);
    if (!c) clients.set(k, (c = { node: node(k, COL.client, W.client, clientLabel(f), f.client.kind === "container" ? f.client.ip : ""), kind: f.client.kind, ports: new Set() }));
    c.node.flows++;
    if (f.client.port !== null) c.ports.add(f.client.port);
  }
  /** A flow's client box (folded clients share their group's "more" box). */
  const clientOf = new Map<string, Node>();
  const groups: { title: string; nodes: Node[] }[] = [];
  for (const g of GROUPS) {
    const members = [...clients.values()].filter((c) => c.kind === g.kind).sort((a, b) => b.node.flows - a.node.flows || (a.node.label < b.node.label ? -1 : a.node.label > b.node.label ? 1 : 0));
    if (!members.length) continue;
    const shown = members.length > MAX_CLIENTS ? members.slice(0, MAX_CLIENTS - 1) : members;
    const nodes: Node[] = [];
    for (const c of shown) {
      const ports = [...c.ports].sort((a, b) => a - b);
      const portText = ports.length === 0 ? "" : ports.length <= 3 ? `port${ports.length > 1 ? "s" : ""} ${ports.join(", ")}` : `${ports.length} ports`;
      c.node.sub = [c.node.sub, portText].filter(Boolean).join(" · ");
      clientOf.set(c.node.key, c.node);
      nodes.push(c.node);
    }
    if (shown.length < members.length) {
      const rest = members.slice(shown.length);
      const more = node(`${g.kind}|more`, COL.client, W.client, `+ ${rest.length} more`, `${rest.reduce((n, c) => n + c.node.flows, 0)} flows`);
      for (const c of rest) clientOf.set(c.node.key, more);
      nodes.push(more);
    }
    groups.push({ title: g.title, nodes });
  }
  const published = new Map<string, Node>();
  const proxies = new Map<string, Node>();
  for (const f of flows) {
    if (f.published) {
      const k = ep(f.published);
      let n = published.get(k);
      if (!n) published.set(k, (n = node(k, COL.published, W.published, k, f.proto)));
      n.flows++;
    }
    if (f.pathDetail === "docker-proxy") {
      const k = proxyKey(f);
      let n = proxies.get(k);
      if (!n) proxies.set(k, (n = node(k, COL.proxy, W.proxy, "docker-proxy", k === "?" ? "pid unknown" : `pid ${k}`)));
      n.flows++;
    }
  }
  const target = flows.find((f) => f.container)?.container ?? null;
  const ports = [...new Set(flows.map((f) => f.container?.port).filter((p): p is number => p != null))].sort((a, b) => a - b);
  const addr = target ? `${hostPart(target.ip)}${ports.length ? `:${ports.join(", ")}` : ""}` : "";
  const container = node("container", COL.container, W.container, name ?? "(unknown container)", addr);
  container.flows = flows.length;

  // --- edges, one per (from, to, path), counting flows
  const edges = new Map<string, Edge>();
  const edge = (from: Node, to: Node, f: Flow, label: (e: Edge) => string) => {
    const k = `${from.x}\u0000${from.key}\u0000${to.x}\u0000${to.key}\u0000${f.pathDetail}`;
    let e = edges.get(k);
    if (!e) {
      edges.set(k, (e = { from, to, detail: f.pathDetail, count: 0, failed: 0, closed: 0, label }));
      from.outs.push(e);
      to.ins.push(e);
    }
    e.count++;
    if (f.outcome === "failed") e.failed++;
    if (f.outcome === "closed") e.closed++;
  };
  const pathCount = (e: Edge) => `${PATH_LABEL[e.detail]} ×${e.count}${outcomeNote(e)}`;
  for (const f of flows) {
    const c = clientOf.get(clientKey(f))!;
    const pub = f.published ? published.get(ep(f.published))! : null;
    const px = f.pathDetail === "docker-proxy" ? proxies.get(proxyKey(f))! : null;
    if (pub) edge(c, pub, f, pathCount);
    if (px) {
      if (pub) edge(pub, px, f, (e) => `accepts ×${e.count}${outcomeNote(e)}`);
      else edge(c, px, f, pathCount);
      edge(px, container, f, (e) => `relays ×${e.count}${outcomeNote(e)}`);
    } else edge(pub ?? c, container, f, pathCount);
  }

  // --- layout: a box is tall enough for the labels of the edges leaving it
  const sized = (n: Node) => (n.h = Math.max(NODE_H, 15 * n.outs.length + 8));
  const stack = (nodes: Node[], from: number) => {
    let at = from;
    for (const n of nodes) {
      sized(n);
      n.y = at;
      at += n.h + GAP;
    }
    return at;
  };
  const heads: string[] = [];
  let y = TOP;
  for (const g of groups) {
    heads.push(`<text class="grp" x="${COL.client}" y="${y + 13}">${esc(g.title)}</text>`);
    y = stack(g.nodes, y + GROUP_HEAD) + GAP / 2;
  }
  const sees = new Map<string, number>();
  for (const f of flows) sees.set(seesText(f), (sees.get(seesText(f)) ?? 0) + 1);
  const seesLines = [...sees.entries()].sort((a, b) => b[1] - a[1]);
  const bodyBottom = Math.max(y, stack([...published.values()], TOP + GROUP_HEAD), stack([...proxies.values()], TOP + GROUP_HEAD));
  container.h = Math.max(58 + 16 * seesLines.length, 12 * container.ins.length);
  container.y = Math.max(TOP + GROUP_HEAD, Math.round((TOP + GROUP_HEAD + bodyBottom - container.h) / 2));
  const height = Math.max(bodyBottom, container.y + container.h + GAP) + 4;

  // --- draw: headings, edges, boxes, then edge labels on top
  const out: string[] = [...heads];
  if (published.size) out.push(`<text class="grp" x="${COL.published}" y="${TOP + 13}">published endpoint</text>`);
  if (proxies.size) out.push(`<text class="grp" x="${COL.proxy}" y="${TOP + 13}">userland proxy</text>`);
  out.push(`<text class="grp" x="${COL.container}" y="${TOP + 13}">container</text>`);
  const labels: string[] = [];
  for (const e of edges.values()) {
    const x1 = e.from.x + e.from.w;
    const y1 = slot(e.from, e.from.outs.indexOf(e), e.from.outs.length);
    const x2 = e.to.x - 3;
    const y2 = slot(e.to, e.to.ins.indexOf(e), e.to.ins.length);
    const mx = (x1 + x2) / 2;
    const cls = `e e-${e.detail}${e.failed === e.count ? " failed" : ""}${e.closed === e.count ? " closed" : ""}`;
    const text = esc(e.label(e));
    out.push(`<path class="${cls}" d="M${x1} ${y1} C${mx} ${y1} ${mx} ${y2} ${x2} ${y2}" marker-end="url(#nl-arrow)"><title>${text}</title></path>`);
    // labels sit at the start of their edge: many edges converge on one box, few leave one
    labels.push(`<text class="el t-${e.detail}" x="${x1 + 6}" y="${Math.round(y1 - 4)}">${text}</text>`);
  }
  const box = (n: Node, cls: string, chars: number) =>
    `<g class="node ${cls}"><title>${esc(n.label)}${n.sub ? `\n${esc(n.sub)}` : ""}</title><rect x="${n.x}" y="${n.y}" width="${n.w}" height="${n.h}" rx="5"/>` +
    `<text x="${n.x + 8}" y="${n.y + 16}" class="nl">${esc(clip(n.label, chars))}</text>` +
    (n.sub ? `<text x="${n.x + 8}" y="${n.y + 31}" class="ns">${esc(clip(n.sub, chars + 6))}</text>` : "") +
    `</g>`;
  for (const g of groups) for (const n of g.nodes) out.push(box(n, `c-${n.key.slice(0, n.key.indexOf("|"))}`, 26));
  for (const n of published.values()) out.push(box(n, "pub", 20));
  for (const n of proxies.values()) out.push(box(n, "proxy", 17));
  const cy = container.y;
  out.push(
    `<g class="node ctr"><title>${esc(container.label)}</title><rect x="${container.x}" y="${cy}" width="${container.w}" height="${container.h}" rx="5"/>` +
      `<text x="${container.x + 8}" y="${cy + 17}" class="nl">${esc(clip(container.label, 28))}</text>` +
      `<text x="${container.x + 8}" y="${cy + 32}" class="ns">${esc(clip(container.sub, 34))}</text>` +
      `<text x="${container.x + 8}" y="${cy + 47}" class="nc">${flows.length} flow${flows.length === 1 ? "" : "s"}</text>` +
      seesLines.map(([t, n], i) => `<text x="${container.x + 8}" y="${cy + 63 + 16 * i}" class="ns"><title>${esc(`sees ${t}: ${n}`)}</title>${esc(clip(`sees ${t} ×${n}`, 36))}</text>`).join("") +
      `</g>`,
  );
  out.push(...labels);
  const title = `path diagram of ${name ?? "unknown container"}: ${flows.length} flow${flows.length === 1 ? "" : "s"}`;
  return (
    `<svg class="diagram" data-container="${esc(name ?? "")}" data-flows="${flows.length}" viewBox="0 0 ${WIDTH} ${height}" width="${WIDTH}" height="${height}" role="img" aria-label="${esc(title)}">` +
    `<title>${esc(title)}</title>${out.join("")}</svg>`
  );
}

/** The legend: one sample edge per path, with its label, and the arrow head every diagram refers to. */
export function legendSvg(): string {
  const items: Flow["pathDetail"][] = ["dnat", "host-nat", "hairpin", "hairpin-self", "docker-proxy", "direct", "unknown"];
  const parts = items.map((d, i) => {
    const x = (i % 4) * 230;
    const yy = 14 + Math.floor(i / 4) * 22;
    return `<path class="e e-${d}" d="M${x} ${yy} H${x + 60}"/><text class="el t-${d}" x="${x + 68}" y="${yy + 4}">${esc(PATH_LABEL[d])}</text>`;
  });
  return (
    `<svg class="legend" viewBox="0 0 920 54" width="920" height="54" role="img" aria-label="legend: edge styles per path">` +
    `<defs><marker id="nl-arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="4" markerHeight="4" orient="auto-start-reverse"><path class="ah" d="M0 0 L10 5 L0 10 z"/></marker></defs>` +
    parts.join("") +
    `</svg>`
  );
}
