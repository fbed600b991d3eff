/**
 * The report's one style sheet, inlined and allowed by its hash in the CSP.
 *
 * Paths are told apart by colour (Okabe-Ito palette, safe for the common
 * colour-vision deficiencies) AND by dash pattern, so they survive greyscale
 * printing: DNAT solid, host NAT long dashes, hairpin dash-dot, docker-proxy
 * short dashes, direct dots, unknown sparse dots.
 */
export const CSS = `
:root{color-scheme:light dark;--bg:#fff;--fg:#1b1f24;--mute:#57606a;--line:#d0d7de;--card:#f6f8fa;--hi:#fff8c5;
--dnat:#0072b2;--host-nat:#56b4e9;--hairpin:#cc79a7;--proxy:#d55e00;--direct:#009e73;--unknown:#7a7a7a;--warn:#9a6700;--bad:#cf222e;--ok:#1a7f37}
@media (prefers-color-scheme:dark){:root{--bg:#0d1117;--fg:#e6edf3;--mute:#9198a1;--line:#30363d;--card:#161b22;--hi:#3b2e00;
--dnat:#56b4e9;--host-nat:#9ad3f5;--hairpin:#e09cc4;--proxy:#f0a35a;--direct:#3fcf9f;--unknown:#a0a0a0;--warn:#d29922;--bad:#f85149;--ok:#3fb950}}
*{box-sizing:border-box}
body{margin:0;padding:16px 24px 40px;background:var(--bg);color:var(--fg);font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif}
h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:28px 0 8px;border-bottom:1px solid var(--line);padding-bottom:4px}
h3{font-size:15px;margin:18px 0 4px}
code,.mono,td.ep,.ev{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:12.5px}
.mute{color:var(--mute)}
dl.facts{display:grid;grid-template-columns:max-content 1fr;gap:2px 14px;margin:8px 0}
dl.facts dt{color:var(--mute)}dl.facts dd{margin:0}
.chips{display:flex;flex-wrap:wrap;gap:6px;margin:6px 0;padding:0;list-style:none}
.chip{border:1px solid var(--line);border-radius:12px;padding:1px 9px;font-size:12.5px}
.chip.yes::before{content:"\\2713  ";color:var(--ok)}.chip.no{border-style:dashed}.chip.no::before{content:"\\2717  ";color:var(--bad)}
ul.missing{margin:4px 0 0 18px;padding:0}
svg.pathbar{display:block;margin:6px 0 2px;border:1px solid var(--line)}
.b-dnat{fill:var(--dnat)}.b-host-nat{fill:var(--host-nat)}.b-hairpin,.b-hairpin-self{fill:var(--hairpin)}
.b-docker-proxy{fill:var(--proxy)}.b-direct{fill:var(--direct)}.b-unknown{fill:var(--unknown)}
.fig{overflow-x:auto;border:1px solid var(--line);border-radius:6px;padding:8px;margin:8px 0 14px;background:var(--card)}
svg{max-width:100%;height:auto}
svg text{fill:var(--fg);font:12px system-ui,sans-serif}
svg .grp{fill:var(--mute);font-size:11px;text-transform:uppercase;letter-spacing:.04em}
svg .node rect{fill:var(--bg);stroke:var(--line);stroke-width:1.2}
svg .node.ctr rect{stroke:var(--fg);stroke-width:1.6}svg .node.proxy rect{stroke:var(--proxy);stroke-dasharray:4 3}
svg .nl{font-weight:600}svg .ns{fill:var(--mute);font-size:11px}svg .nc{font-size:11px;font-weight:600}
svg .e{fill:none;stroke-width:2.4}
svg .ah{fill:var(--mute)}
.e-dnat{stroke:var(--dnat)}.e-host-nat{stroke:var(--host-nat);stroke-dasharray:12 4}
.e-hairpin,.e-hairpin-self{stroke:var(--hairpin);stroke-dasharray:10 3 2 3}
.e-docker-proxy{stroke:var(--proxy);stroke-dasharray:5 4}
.e-direct{stroke:var(--direct);stroke-dasharray:1 4;stroke-linecap:round;stroke-width:3}
.e-unknown{stroke:var(--unknown);stroke-dasharray:2 8}
svg .e.failed{stroke-width:1.4}svg .e.closed{opacity:.45}
svg .el{font-size:11px;font-weight:600;paint-order:stroke;stroke:var(--card);stroke-width:4px;stroke-linejoin:round}
svg.legend .el{stroke:var(--bg)}
.t-dnat{fill:var(--dnat)}.t-host-nat{fill:var(--host-nat)}.t-hairpin,.t-hairpin-self{fill:var(--hairpin)}.t-docker-proxy{fill:var(--proxy)}.t-direct{fill:var(--direct)}.t-unknown{fill:var(--unknown)}
.tag{display:inline-block;border-radius:3px;padding:0 6px;font-size:12px;font-weight:600;border:1.5px solid;white-space:nowrap}
.tag.p-dnat{color:var(--dnat)}.tag.p-host-nat{color:var(--host-nat);border-style:dashed}.tag.p-hairpin,.tag.p-hairpin-self{color:var(--hairpin);border-style:double;border-width:3px}
.tag.p-docker-proxy{color:var(--proxy);border-style:dashed}.tag.p-direct{color:var(--direct);border-style:dotted}.tag.p-unknown{color:var(--unknown);border-style:dotted}
ol.findings{padding-left:22px}ol.findings li{margin:6px 0}
.sev{font-size:11px;font-weight:700;text-transform:uppercase;border-radius:3px;padding:0 5px;margin-right:6px}
.sev.warning{color:var(--warn);border:1px solid var(--warn)}.sev.info{color:var(--mute);border:1px solid var(--line)}
.controls{display:flex;flex-wrap:wrap;gap:8px 14px;align-items:end;margin:8px 0}
.controls label{display:flex;flex-direction:column;font-size:12px;color:var(--mute)}
select,input,button{font:inherit;font-size:13px;color:var(--fg);background:var(--bg);border:1px solid var(--line);border-radius:4px;padding:3px 6px}
button{cursor:pointer}button:focus-visible,select:focus-visible,input:focus-visible,a:focus-visible{outline:2px solid var(--dnat);outline-offset:1px}
table.flows{border-collapse:collapse;width:100%;margin-top:6px}
table.flows th,table.flows td{border-bottom:1px solid var(--line);padding:4px 6px;text-align:left;vertical-align:top}
table.flows th{position:sticky;top:0;background:var(--bg);z-index:1}
table.flows th button{border:0;padding:0;background:none;font-weight:600}
th[aria-sort=ascending] button::after{content:" \\25B2"}th[aria-sort=descending] button::after{content:" \\25BC"}
tr.flow:target,tr.flow.hl{background:var(--hi)}
tr.flow.failed td{color:var(--bad)}.wi{font-weight:600}.wi-breaks{color:var(--bad)}.whatif{border:1px solid var(--line);border-radius:6px;padding:4px 12px;margin:10px 0}tr.flow.closed td{opacity:.7}
button.x{width:26px;padding:0 4px}
tr.detail td{background:var(--card);padding:8px 12px 10px 40px}
.ev{margin:2px 0;white-space:pre-wrap;word-break:break-all}.ev .src{color:var(--mute)}.ev .note{color:var(--mute);font-style:italic}
.f-hidden,.pg-hidden{display:none}
table.hosts svg.pathbar{max-width:none;margin:3px 0}table.hosts td{white-space:nowrap}
table.hosts td.wrap{white-space:normal;min-width:16em;max-width:300px;font-size:12px;overflow-wrap:anywhere}tr.host.failed td{color:var(--bad)}
.pager{display:flex;gap:10px;align-items:center;margin:8px 0}
details.inputs summary{cursor:pointer}
@media print{body{padding:0;font-size:11px}.controls,.pager,button.x{display:none}.pg-hidden{display:table-row}
.fig{break-inside:avoid;border:0;padding:0}table.flows th{position:static}tr{break-inside:avoid}}
`;
