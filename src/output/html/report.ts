/**
 * `analyze --to html`: one self-contained page for one host (issue 20).
 *
 * Header (host facts, evidence present and missing), findings ranked and
 * linked to their flows, one path diagram per container, and the flow table.
 * Rows and diagrams are rendered here, so the page reads without its script;
 * explanations and evidence lines travel once, deduplicated and compressed, in
 * a data block (page.ts) and are shown when a row is expanded.
 *
 * Public contract (docs/html.md): every flow row is
 * `<tr class="flow" id="fN" data-flow-path data-client data-container ...>`
 * where N is the flow's index in the JSON report; every container diagram is
 * `<svg data-container="NAME" data-flows="COUNT">`.
 */
import type { Flow } from "../../analyze/flows.js";
import type { Evidence } from "../../analyze/model.js";
import type { Finding, Report } from "../../analyze/report.js";
import { CLIENT_JS } from "./client.js";
import { containerDiagram, legendSvg } from "./diagram.js";
import { esc } from "./escape.js";
import { PATH_LABEL, ep, seesText } from "./labels.js";
import { writePage } from "./page.js";
import { CSS } from "./styles.js";

const PATH_ORDER: Flow["pathDetail"][] = ["dnat", "host-nat", "hairpin", "hairpin-self", "docker-proxy", "direct", "unknown"];

const EVIDENCE_NAMES: Record<string, string> = {
  conntrack: "conntrack",
  socketOwners: "socket owners (ss -p / netstat -p)",
  hostSockets: "host sockets",
  containerNetns: "container socket tables",
  rules: "firewall rules",
  inspect: "docker inspect",
  addresses: "ip addr",
  processes: "processes (ps)",
};

/** `data-client`: the client as `IP:PORT` (IPv6 in brackets, `*` for an unknown port). */
export function flowClient(f: Flow): string {
  return ep({ ip: f.client.ip, port: f.client.port });
}

/** The flows each finding is about: those citing one of the finding's evidence lines. */
export function findingFlows(r: Report): number[][] {
  const byLine = new Map<string, number[]>();
  r.flows.forEach((f, i) => {
    for (const e of f.evidence) {
      const k = `${e.file}\u0000${e.line}`;
      const list = byLine.get(k);
      if (!list) byLine.set(k, [i]);
      else if (list[list.length - 1] !== i) list.push(i);
    }
  });
  return r.findings.map((fd) => {
    const set = new Set<number>();
    for (const e of fd.evidence) for (const i of byLine.get(`${e.file}\u0000${e.line}`) ?? []) set.add(i);
    return [...set].sort((a, b) => a - b);
  });
}

/** Findings in the order shown: warnings first, then by the number of flows they concern; ties keep the report's order. */
export function rankFindings(r: Report, linked: number[][]): number[] {
  return r.findings
    .map((_, i) => i)
    .sort((a, b) => sevRank(r.findings[b]!) - sevRank(r.findings[a]!) || linked[b]!.length - linked[a]!.length || a - b);
}

const sevRank = (f: Finding) => (f.severity === "warning" ? 1 : 0);

function evidenceLine(e: Evidence): string {
  return `<div class="ev"><span class="src">${esc(`${e.file}:${e.line}: `)}</span>${esc(e.text ?? "")}${e.note ? `<span class="note">${esc(`  (${e.note})`)}</span>` : ""}</div>`;
}

function options(values: Iterable<string>, all: string, label: (v: string) => string = (v) => v): string {
  return `<option value="">${esc(all)}</option>` + [...new Set(values)].sort().map((v) => `<option value="${esc(v)}">${esc(label(v))}</option>`).join("");
}

function pathBar(flows: Flow[]): string {
  const by = new Map<Flow["pathDetail"], number>();
  for (const f of flows) by.set(f.pathDetail, (by.get(f.pathDetail) ?? 0) + 1);
  const total = flows.length || 1;
  let x = 0;
  const rects: string[] = [];
  const words: string[] = [];
  for (const d of PATH_ORDER) {
    const n = by.get(d);
    if (!n) continue;
    const w = (600 * n) / total;
    rects.push(`<rect class="b-${d}" x="${x.toFixed(1)}" y="0" width="${w.toFixed(1)}" height="14"><title>${esc(`${PATH_LABEL[d]}: ${n}`)}</title></rect>`);
    x += w;
    words.push(`${PATH_LABEL[d]} ${n}`);
  }
  return `<svg class="pathbar" viewBox="0 0 600 14" width="600" height="14" role="img" aria-label="${esc(`flows by path: ${words.join(", ")}`)}">${rects.join("")}</svg>`;
}

/** The HTML report, written piece by piece. */
export function writeHtml(r: Report, write: (text: string) => void): void {
  const h = r.host;
  const linked = findingFlows(r);
  // --- data block: explanations and evidence, each evidence line once
  const files: string[] = [];
  const fileIdx = new Map<string, number>();
  const evs: [number, number, string | null, string | null][] = [];
  const evIdx = new Map<string, number>();
  const evRef = (e: Evidence) => {
    let fi = fileIdx.get(e.file);
    if (fi === undefined) fileIdx.set(e.file, (fi = files.push(e.file) - 1));
    const k = `${fi}\u0000${e.line}\u0000${e.text ?? ""}\u0000${e.note ?? ""}`;
    let i = evIdx.get(k);
    if (i === undefined) evIdx.set(k, (i = evs.push([fi, e.line, e.text ?? null, e.note ?? null]) - 1));
    return i;
  };
  const data = {
    files,
    ev: evs,
    // with --what-if, the expanded row also tells what the change would do to the flow, with its evidence
    flows: r.flows.map((f) => [
      f.whatIf ? `${f.explanation}\n\nwhat if ${f.whatIf.change}: ${f.whatIf.outcome}${f.whatIf.cause ? ` (${f.whatIf.cause})` : ""}. ${f.whatIf.why}` : f.explanation,
      [...f.evidence, ...(f.whatIf?.evidence ?? [])].map(evRef),
      f.proxy?.pairing && f.proxy.pairing !== "none" ? f.proxy.pairing : null,
    ]),
    findings: linked,
  };

  writePage(write, {
    title: `natlens: ${h.name ?? "unnamed host"}`,
    css: CSS,
    js: CLIENT_JS,
    data,
    body: (w) => {
      // --- header
      const engine = (h as { engine?: unknown }).engine;
      w(`<header><h1>${esc(`host ${h.name ?? "(unnamed)"}`)}</h1><dl class="facts">`);
      w(`<dt>engine</dt><dd>${esc(typeof engine === "string" ? engine : "docker")}</dd>`);
      w(`<dt>userland-proxy</dt><dd><strong>${esc(h.userlandProxy)}</strong> <span class="mute">${esc(h.userlandProxyHow)}</span></dd>`);
      w(`<dt>firewall backend</dt><dd>${esc(h.firewallBackend)}</dd>`);
      w(`<dt>Docker version</dt><dd>${esc(h.dockerVersion)} <span class="mute">${esc(h.dockerVersionHow)}</span></dd>`);
      w(`<dt>local addresses</dt><dd class="mono">${esc(h.localAddresses.join(", "))}${h.localAddressesInferred ? ` <span class="mute">(inferred)</span>` : ""}</dd>`);
      w(`<dt>containers</dt><dd>${r.containers.length} <span class="mute">${esc(r.containers.map((c) => c.name).join(", "))}</span></dd>`);
      w(`</dl><h3>evidence</h3><ul class="chips">`);
      for (const [k, v] of Object.entries(h.evidencePresent)) w(`<li class="chip ${v ? "yes" : "no"}">${esc(EVIDENCE_NAMES[k] ?? k)}</li>`);
      w(`</ul>`);
      const missing = r.findings.filter((f) => f.id === "missing-evidence");
      if (missing.length) w(`<p>missing evidence and what it costs:</p><ul class="missing">${missing.map((f) => `<li>${esc(f.message)}</li>`).join("")}</ul>`);
      if (r.whatIf) {
        const wi = r.whatIf;
        const refs = (list: { flow: number }[]) => list.map((x) => `<a href="#f${x.flow}">#${x.flow + 1}</a>`).join(" ");
        w(`<div class="whatif" id="whatif" data-what-if-change="${esc(wi.change)}" data-what-if-verdict="${wi.verdict}"><h3>${esc(`what if ${wi.change}`)}</h3><p><strong>${esc(wi.text)}</strong></p><ul>`);
        for (const b of wi.breaks) w(`<li data-what-if-cause="${esc(b.cause)}">${esc(`${b.title}: ${b.flows.map((x) => x.label).join(", ")}`)} ${refs(b.flows)}</li>`);
        for (const u of wi.unknown) w(`<li data-what-if-cause="unknown">${esc(`cannot tell, depends on ${u.assumption}${u.missing ? ` (missing: ${u.missing})` : ""}: ${u.flows.map((x) => x.label).join(", ")}`)} ${refs(u.flows)}</li>`);
        if (wi.wouldWork.length) w(`<li data-what-if-cause="would-work">${esc(`would work: ${wi.wouldWork.map((x) => x.label).join(", ")}`)} ${refs(wi.wouldWork)}</li>`);
        w(`</ul></div>`);
      }
      w(`<h3>flows by path</h3>${pathBar(r.flows)}<p class="mute">${r.flows.length} flow${r.flows.length === 1 ? "" : "s"}: ${esc(Object.entries(r.counts).map(([k, v]) => `${k} ${v}`).join(", ") || "none")}</p></header>\n`);

      // --- findings
      w(`<section id="findings"><h2>Findings</h2><ol class="findings">`);
      for (const i of rankFindings(r, linked)) {
        const f = r.findings[i]!;
        const flows = linked[i]!;
        const links = flows.length
          ? ` <a href="#flows" data-finding="${i}">${flows.length} flow${flows.length === 1 ? "" : "s"}</a>: ${flows
              .slice(0, 8)
              .map((n) => `<a href="#f${n}">#${n + 1}</a>`)
              .join(" ")}${flows.length > 8 ? " …" : ""}`
          : f.id === "missing-evidence"
            ? ` <span class="mute">(applies to every flow)</span>`
            : "";
        w(`<li data-finding-id="${esc(f.id)}"><span class="sev ${f.severity}">${f.severity}</span>${esc(f.message)}${links}`);
        for (const e of f.evidence.slice(0, 3)) w(evidenceLine(e));
        w(`</li>`);
      }
      w(`</ol></section>\n`);

      // --- diagrams
      const byContainer = new Map<string | null, Flow[]>();
      for (const f of r.flows) {
        const k = f.container?.name ?? null;
        const list = byContainer.get(k);
        if (list) list.push(f);
        else byContainer.set(k, [f]);
      }
      const names = [...byContainer.keys()].sort((a, b) => (a === null ? 1 : b === null ? -1 : a < b ? -1 : a > b ? 1 : 0));
      w(`<section id="diagrams"><h2>Paths per container</h2>${legendSvg()}`);
      if (!names.length) w(`<p class="mute">no flow reached a container or a published port in this bundle</p>`);
      for (const n of names) {
        const flows = byContainer.get(n)!;
        w(`<h3>${esc(n ?? "(unknown container)")} <span class="mute">${flows.length} flow${flows.length === 1 ? "" : "s"}</span></h3><div class="fig">${containerDiagram(n, flows)}</div>\n`);
      }
      const quiet = r.containers.filter((c) => !byContainer.has(c.name)).map((c) => c.name);
      if (quiet.length) w(`<p class="mute">${esc(`no flow ends in: ${quiet.join(", ")}`)}</p>`);
      w(`</section>\n`);

      // --- flow table
      w(`<section id="flows"><h2>Flows</h2><div class="controls">`);
      const filter = (label: string, attr: string, values: string[], all: string, show?: (v: string) => string) =>
        w(`<label>${label}<select data-filter="${attr}">${options(values, all, show)}</select></label>`);
      filter("path", "data-flow-path", r.flows.map((f) => f.pathDetail), "every path", (v) => PATH_LABEL[v as Flow["pathDetail"]] ?? v);
      filter("container", "data-container", r.flows.map((f) => f.container?.name ?? ""), "every container", (v) => v || "(unknown)");
      filter("client kind", "data-client-kind", r.flows.map((f) => f.client.kind), "every kind");
      filter("state", "data-state", r.flows.map((f) => f.state), "every state");
      filter("confidence", "data-confidence", r.flows.map((f) => f.confidence), "any confidence");
      w(`<label>text<input id="nl-q" type="search" placeholder="address, name, pid…"></label><button type="button" id="nl-clear" hidden>show every flow</button></div>`);
      w(`<div class="pager"><button type="button" id="nl-prev">previous</button><span id="nl-status" role="status">${r.flows.length} flows</span><button type="button" id="nl-next">next</button></div>`);
      const cols = ["#", "path", "container", "client", "client kind", "published", "via", "container sees", "state", "confidence", ...(r.whatIf ? [`what if ${r.whatIf.change}`] : [])];
      w(`<table class="flows"><thead><tr><th><span class="mute" title="expand">·</span></th>${cols.map((c, i) => `<th data-col="${i + 1}"><button type="button">${c}</button></th>`).join("")}</tr></thead><tbody>\n`);
      r.flows.forEach((f, i) => {
        const client = flowClient(f);
        const sees = seesText(f);
        const cls = `flow${f.outcome !== "open" ? ` ${f.outcome}` : ""}`;
        const wi = f.whatIf;
        const wiCell = wi ? `<td><span class="wi wi-${wi.outcome}">${wi.outcome}</span> <span class="mute">${esc(wi.outcome === "works" ? `${wi.path === "none" ? "" : PATH_LABEL[wi.path]}${wi.clientSeen ? `, sees ${wi.clientSeen.ip}` : ""}` : (wi.cause ?? wi.missing ?? wi.assumption ?? ""))}</span></td>` : "";
        w(
          `<tr class="${cls}" id="f${i}" data-flow-path="${f.pathDetail}" data-client="${esc(client)}" data-container="${esc(f.container?.name ?? "")}" data-client-kind="${f.client.kind}" data-state="${esc(f.state)}" data-confidence="${f.confidence}"${wi ? ` data-what-if="${wi.outcome}"` : ""}>` +
            `<td class="x"></td><td>${i + 1}</td>` +
            `<td><span class="tag p-${f.pathDetail}">${PATH_LABEL[f.pathDetail]}</span>${f.outcome !== "open" ? ` <span class="mute">${f.outcome}</span>` : ""}</td>` +
            `<td>${esc(f.container?.name ?? "")}</td>` +
            `<td class="ep">${esc(client)}${f.client.container ? ` <span class="mute">${esc(f.client.container)}</span>` : ""}</td>` +
            `<td>${f.client.kind}</td>` +
            `<td class="ep">${f.published ? esc(ep(f.published)) : ""}</td>` +
            `<td>${f.pathDetail === "docker-proxy" ? `docker-proxy${f.proxy?.pid != null ? ` ${f.proxy.pid}` : ""}` : ""}</td>` +
            `<td>${esc(sees)}${f.containerSees && sees !== "the real client" ? ` <span class="ep mute">${esc(ep(f.containerSees))}</span>` : ""}</td>` +
            `<td>${esc(`${f.proto} ${f.state}`)}</td>` +
            `<td>${f.confidence}${f.snat ? `<span class="mute">, source NATed</span>` : ""}</td>${wiCell}</tr>\n`,
        );
      });
      w(`</tbody></table></section>\n`);

      // --- inputs
      const skipped = r.inputs.reduce((n, i) => n + i.skipped, 0);
      w(`<details class="inputs"><summary>${r.inputs.length} input files, ${r.diagnostics.length} diagnostics${skipped ? `, ${skipped} lines skipped` : ""}</summary><table class="flows"><thead><tr><th>file</th><th>format</th><th>lines</th><th>records</th><th>skipped</th></tr></thead><tbody>`);
      for (const i of r.inputs) w(`<tr><td class="ep">${esc(i.file)}</td><td>${esc(i.format ?? "-")}</td><td>${i.lines}</td><td>${i.records}</td><td>${i.skipped}</td></tr>`);
      w(`</tbody></table>`);
      for (const d of r.diagnostics.slice(0, 200)) w(`<div class="ev"><span class="src">${esc(`${d.file}${d.line ? `:${d.line}` : ""}: ${d.severity}: `)}</span>${esc(`${d.message} [${d.code}]`)}</div>`);
      w(`</details>\n<footer class="mute"><p>natlens ${esc(r.schema)} · this page makes no network request; its data is the analysis above</p></footer>\n`);
    },
  });
}
