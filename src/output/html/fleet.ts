/**
 * `DIR/index.html` of `natlens batch` / `natlens merge`: one self-contained
 * page over the fleet's hosts table (docs/html.md). A chart of the paths per
 * host, then a sortable, filterable table, one row per host, linking to
 * `hosts/<host-id>/report.html`.
 *
 * Contract: every host row is `<tr class="host" data-host-id data-status
 * data-userland-proxy>`; its link (for hosts that have a report) is
 * `<a class="report" href="hosts/<host-id>/report.html">`.
 */
import type { HostRow } from "../../batch/host-row.js";
import { clip, esc } from "./escape.js";
import { writePage } from "./page.js";
import { CSS } from "./styles.js";

/** The hosts table's path columns, as the fleet page draws them. */
const PATHS = [
  { key: "flows_dnat", cls: "dnat", label: "DNAT" },
  { key: "flows_docker_proxy", cls: "docker-proxy", label: "docker-proxy" },
  { key: "flows_direct", cls: "direct", label: "direct" },
  { key: "flows_unknown", cls: "unknown", label: "unknown" },
  { key: "flows_forwarder", cls: "forwarder", label: "rootless forwarder" },
] as const;

/** Hosts drawn in the fleet chart (the busiest first); the table has every host. */
const CHART_HOSTS = 60;

/**
 * The link to a host's report: relative, always under `hosts/`, each segment
 * percent-encoded. Host ids are made of `A-Za-z0-9._+@-` (src/batch/discover.ts),
 * so this only guards against a future change; no id can become a scheme.
 */
export function reportHref(hostId: string): string {
  const segment = encodeURIComponent(hostId).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
  return `hosts/${segment}/report.html`;
}

function pathBar(r: HostRow, width: number, height: number): string {
  const total = r.flows ?? 0;
  if (!total) return `<svg class="pathbar" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" role="img" aria-label="no flows"></svg>`;
  let x = 0;
  const parts: string[] = [];
  const words: string[] = [];
  for (const p of PATHS) {
    const n = r[p.key] ?? 0;
    if (!n) continue;
    const w = (width * n) / total;
    parts.push(`<rect class="b-${p.cls}" x="${x.toFixed(1)}" y="0" width="${w.toFixed(1)}" height="${height}"><title>${p.label}: ${n}</title></rect>`);
    words.push(`${p.label} ${n}`);
    x += w;
  }
  return `<svg class="pathbar" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" role="img" aria-label="${esc(words.join(", "))}">${parts.join("")}</svg>`;
}

/** Paths per host, as horizontal stacked bars on one scale (the busiest hosts). */
function fleetChart(rows: readonly HostRow[]): string {
  const busy = rows.filter((r) => (r.flows ?? 0) > 0).sort((a, b) => (b.flows ?? 0) - (a.flows ?? 0) || (a.host_id < b.host_id ? -1 : 1));
  const shown = busy.slice(0, CHART_HOSTS);
  if (!shown.length) return `<p class="mute">no host has flows</p>`;
  const max = shown[0]!.flows ?? 1;
  const LABEL = 180;
  const BAR = 700;
  const ROW = 16;
  const parts: string[] = [];
  shown.forEach((r, i) => {
    const y = 4 + i * ROW;
    parts.push(`<text class="ns" x="0" y="${y + 11}"><title>${esc(r.host_id)}</title>${esc(clip(r.host_id, 28))}</text>`);
    let x = LABEL;
    for (const p of PATHS) {
      const n = r[p.key] ?? 0;
      if (!n) continue;
      const w = (BAR * n) / max;
      parts.push(`<rect class="b-${p.cls}" x="${x.toFixed(1)}" y="${y}" width="${w.toFixed(1)}" height="${ROW - 4}"><title>${esc(`${r.host_id}: ${p.label} ${n}`)}</title></rect>`);
      x += w;
    }
    parts.push(`<text class="ns" x="${(x + 4).toFixed(1)}" y="${y + 11}">${r.flows}</text>`);
  });
  const height = 8 + shown.length * ROW;
  const legend = PATHS.map((p, i) => `<rect class="b-${p.cls}" x="${LABEL + i * 130}" y="${height + 2}" width="12" height="12"/><text class="ns" x="${LABEL + i * 130 + 16}" y="${height + 12}">${p.label}</text>`).join("");
  return (
    `<svg class="fleetchart" data-hosts="${shown.length}" viewBox="0 0 ${LABEL + BAR + 60} ${height + 20}" width="${LABEL + BAR + 60}" height="${height + 20}" role="img" aria-label="flows by path per host">${parts.join("")}${legend}</svg>` +
    (busy.length > shown.length ? `<p class="mute">the ${shown.length} hosts with the most flows of ${busy.length} with flows; the table lists every host</p>` : "")
  );
}

const FLEET_JS = `(function(){"use strict";
var tbody=document.querySelector("table.hosts tbody"),rows=Array.prototype.slice.call(tbody.rows);
var selects=Array.prototype.slice.call(document.querySelectorAll("select[data-filter]")),q=document.getElementById("nl-q"),status=document.getElementById("nl-status");
function apply(){var n=0,t=q.value.trim().toLowerCase();rows.forEach(function(tr){var m=selects.every(function(s){return s.value===""||tr.getAttribute(s.getAttribute("data-filter"))===s.value;})&&(!t||tr.textContent.toLowerCase().indexOf(t)>=0);
  tr.classList.toggle("f-hidden",!m);if(m)n++;});status.textContent=n+" of "+rows.length+" hosts";}
selects.forEach(function(s){s.addEventListener("change",apply);});q.addEventListener("input",apply);
var ths=Array.prototype.slice.call(document.querySelectorAll("table.hosts th[data-col]"));
ths.forEach(function(th){th.querySelector("button").addEventListener("click",function(){
  var col=+th.getAttribute("data-col"),dir=th.getAttribute("aria-sort")==="ascending"?-1:1;
  ths.forEach(function(o){o.removeAttribute("aria-sort");});th.setAttribute("aria-sort",dir>0?"ascending":"descending");
  var key=function(tr){var c=tr.cells[col];var s=c.getAttribute("data-s");return s===null?c.textContent:s;};
  rows.sort(function(a,b){return dir*key(a).localeCompare(key(b),undefined,{numeric:true})||(+a.getAttribute("data-n"))-(+b.getAttribute("data-n"));});
  var f=document.createDocumentFragment();rows.forEach(function(tr){f.appendChild(tr);});tbody.appendChild(f);});});
apply();document.documentElement.classList.add("nl-ready");
})();`;

/** The fleet page. `hasReport(row)`: whether `hosts/<id>/report.html` was written for that host. */
export function writeFleetIndex(rows: readonly HostRow[], write: (text: string) => void, opts: { hasReport: (row: HostRow) => boolean; title?: string }): void {
  const count = (pred: (r: HostRow) => boolean) => rows.filter(pred).length;
  const sum = (k: "flows" | "flows_sees_gateway" | "warnings") => rows.reduce((n, r) => n + (r[k] ?? 0), 0);
  writePage(write, {
    title: opts.title ?? `natlens fleet: ${rows.length} hosts`,
    css: CSS,
    js: FLEET_JS,
    data: null,
    body: (w) => {
      w(`<header><h1>${esc(opts.title ?? `fleet of ${rows.length} host${rows.length === 1 ? "" : "s"}`)}</h1><dl class="facts">`);
      w(`<dt>status</dt><dd>${count((r) => r.status === "ok")} ok, ${count((r) => r.status === "partial")} partial, ${count((r) => r.status === "failed")} failed</dd>`);
      w(`<dt>userland-proxy</dt><dd>${count((r) => r.userland_proxy === "on")} on, ${count((r) => r.userland_proxy === "off")} off, ${count((r) => r.userland_proxy === "unknown" || r.userland_proxy === null)} unknown</dd>`);
      w(`<dt>flows</dt><dd>${sum("flows")}; containers see the gateway, not the client, for ${sum("flows_sees_gateway")}</dd>`);
      const asked = rows.filter((r) => r.what_if_verdict !== null);
      const changes = [...new Set(asked.map((r) => r.what_if_change))];
      if (asked.length) w(`<dt>${esc(`what if ${changes.join(", ")}`)}</dt><dd>${count((r) => r.what_if_verdict === "safe")} safe, ${count((r) => r.what_if_verdict === "breaks")} with flows that would break, ${count((r) => r.what_if_verdict === "unknown")} cannot tell, ${count((r) => r.what_if_verdict === "no-change")} already so</dd>`);
      w(`<dt>warnings</dt><dd>${sum("warnings")}</dd></dl></header>\n`);
      w(`<section id="chart"><h2>Paths per host</h2><div class="fig">${fleetChart(rows)}</div></section>\n`);
      w(`<section id="hosts"><h2>Hosts</h2><div class="controls">`);
      const filter = (label: string, attr: string, values: string[], all: string) =>
        w(
          `<label>${label}<select data-filter="${attr}"><option value="">${all}</option>${[...new Set(values)]
            .sort()
            .map((v) => `<option value="${esc(v)}">${esc(v)}</option>`)
            .join("")}</select></label>`,
        );
      filter("status", "data-status", rows.map((r) => r.status), "every status");
      filter("userland-proxy", "data-userland-proxy", rows.map((r) => r.userland_proxy ?? "unknown"), "any mode");
      filter("firewall", "data-firewall", rows.map((r) => r.firewall_backend ?? "unknown"), "any backend");
      if (asked.length) filter("what if", "data-what-if-verdict", asked.map((r) => r.what_if_verdict!), "any verdict");
      w(`<label>text<input id="nl-q" type="search" placeholder="host, finding, error…"></label><span id="nl-status" role="status">${rows.length} hosts</span></div>`);
      const cols = ["host", "hostname", "status", "userland-proxy", "firewall", "Docker", "containers", "flows", "paths", "gateway-hidden clients", "warnings", "findings", ...(asked.length ? [`what if ${changes.join(", ")}`] : [])];
      w(`<table class="flows hosts"><thead><tr>${cols.map((c, i) => `<th data-col="${i}"><button type="button">${c}</button></th>`).join("")}</tr></thead><tbody>\n`);
      rows.forEach((r, n) => {
        const num = (v: number | null) => `<td data-s="${v ?? -1}">${v ?? ""}</td>`;
        const link = opts.hasReport(r) ? `<a class="report" href="${esc(reportHref(r.host_id))}">${esc(r.host_id)}</a>` : esc(r.host_id);
        w(
          `<tr class="host ${r.status}" data-n="${n}" data-host-id="${esc(r.host_id)}" data-status="${r.status}" data-userland-proxy="${esc(r.userland_proxy ?? "unknown")}" data-firewall="${esc(r.firewall_backend ?? "unknown")}"${r.what_if_verdict !== null ? ` data-what-if-verdict="${esc(r.what_if_verdict)}"` : ""}>` +
            `<td>${link}</td><td>${esc(r.hostname ?? "")}</td>` +
            `<td class="wrap">${r.status}${r.error ? `<div class="mute">${esc(r.error)}</div>` : ""}</td>` +
            `<td>${esc(r.userland_proxy ?? "")}</td><td>${esc(r.firewall_backend ?? "")}</td><td>${esc(r.docker_version ?? "")}</td>` +
            num(r.containers) +
            num(r.flows) +
            `<td data-s="${r.flows ? ((r.flows_docker_proxy ?? 0) / r.flows).toFixed(4) : -1}">${pathBar(r, 140, 12)}</td>` +
            num(r.flows_sees_gateway) +
            num(r.warnings) +
            `<td class="wrap mono">${esc((r.findings ?? "").split(";").join(" "))}</td>` +
            (asked.length ? `<td class="wrap">${esc(r.what_if_verdict ?? "")}${r.what_if_causes ? `<div class="mute mono">${esc(r.what_if_causes.split(";").join(" "))}</div>` : ""}</td>` : "") +
            `</tr>\n`,
        );
      });
      w(`</tbody></table></section>\n<footer class="mute"><p>natlens fleet page · links open each host's report.html; this page makes no network request</p></footer>\n`);
    },
  });
}
