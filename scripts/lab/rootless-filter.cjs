#!/usr/bin/env node
// natlens rootless lab: keep only the lab's own rows in the root namespace's captures.
// A rootless engine runs in this machine's own network namespace, so collect.sh's host
// tables also hold the machine's unrelated sockets and processes; they are no part of the
// sample.  Kept: ps rows of the lab user's processes and the clients (and their
// descendants); socket rows whose local or peer port is one of the lab's (published and
// container ports, client source ports) or whose owner is a kept process; conntrack rows
// with a lab port.  Everything else in the bundle is left as captured.  In place.
//   node rootless-filter.cjs --bundle DIR --flows flows.tsv --pids FILE
'use strict';
const fs = require('fs');
const path = require('path');

const args = {};
for (let i = 2; i < process.argv.length; i += 2) args[process.argv[i].replace(/^--/, '')] = process.argv[i + 1];
const B = args.bundle;

const ports = new Set();
for (const l of fs.readFileSync(args.flows, 'utf8').split('\n')) {
  const c = l.trim().split(/\s+/);
  if (c.length < 9) continue;
  for (const p of [c[4], c[6], c[8]]) ports.add(Number(p));
}
const roots = fs.readFileSync(args.pids, 'utf8').split(/\s+/).filter(Boolean).map(Number);

function rewrite(rel, keepLine) {
  const f = path.join(B, rel);
  if (!fs.existsSync(f)) return;
  const lines = fs.readFileSync(f, 'utf8').split('\n');
  const out = lines.filter((l, i) => l === '' || keepLine(l, i));
  fs.writeFileSync(f, out.join('\n'));
  console.error(`rootless-filter: ${rel}: kept ${out.filter(Boolean).length} of ${lines.filter(Boolean).length} lines`);
}

// ps -efww: the lab user's processes and the clients, with their descendants
const ps = fs.readFileSync(path.join(B, 'commands/ps_-efww'), 'utf8').split('\n');
const rows = ps.slice(1).map((l) => l.trim().split(/\s+/)).filter((t) => t.length > 7).map((t) => ({ pid: Number(t[1]), ppid: Number(t[2]) }));
const keep = new Set(roots);
for (let grew = true; grew;) {
  grew = false;
  for (const r of rows) if (!keep.has(r.pid) && keep.has(r.ppid)) { keep.add(r.pid); grew = true; }
}
rewrite('commands/ps_-efww', (l, i) => i === 0 || keep.has(Number(l.trim().split(/\s+/)[1])));

const portOf = (s) => { const m = /:(\d+|\*)$/.exec(s); return m && m[1] !== '*' ? Number(m[1]) : -1; };
const ownedByLab = (l) => [...l.matchAll(/pid=(\d+)/g)].some((m) => keep.has(Number(m[1]))) ||
  (/(\d+)\/\S+\s*$/.test(l) && keep.has(Number(/(\d+)\/\S+\s*$/.exec(l)[1])));
// ss: header, then rows "State Recv-Q Send-Q Local Peer ..." (netid first with -a and two protocols)
for (const rel of ['commands/ss_-tanpeiO', 'commands/ss_-uanpe']) {
  rewrite(rel, (l, i) => {
    if (i === 0) return true;
    const t = l.trim().split(/\s+/);
    return ports.has(portOf(t[3] || '')) || ports.has(portOf(t[4] || '')) || ownedByLab(l);
  });
}
rewrite('commands/netstat_-tanpeW', (l) => {
  const t = l.trim().split(/\s+/);
  if (!/^(tcp|udp)/.test(t[0])) return true;
  return ports.has(portOf(t[3] || '')) || ports.has(portOf(t[4] || '')) || ownedByLab(l);
});
for (const f of ['tcp', 'tcp6', 'udp', 'udp6']) {
  rewrite(`proc/net/${f}`, (l, i) => {
    if (i === 0) return true;
    const t = l.trim().split(/\s+/);
    const lp = parseInt((t[1] || '').split(':')[1], 16);
    const rp = parseInt((t[2] || '').split(':')[1], 16);
    return ports.has(lp) || ports.has(rp);
  });
}
const ctPorts = (l) => [...l.matchAll(/\b[sd]port=(\d+)/g)].some((m) => ports.has(Number(m[1])));
rewrite('commands/conntrack_-L_-o_extended', ctPorts);
rewrite('proc/net/nf_conntrack', ctPorts);
