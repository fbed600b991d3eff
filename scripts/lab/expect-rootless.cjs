#!/usr/bin/env node
// natlens rootless lab checker: turn the lab's flow table into samples/<scenario>/EXPECTED.json,
// CONFIRMING each flow from what the lab saw appear while that client connected.  The lab
// starts the clients one at a time and, after each, saves `ss -tanpeiO` / `ss -uanpe` of the
// root namespace, of the rootless network namespace and of every container's namespace
// (snap/NN-<id>/).  The sockets that are new in a client's snapshot are that client's: the
// forwarder's accepted socket on the host (which process relayed it), the legs inside the
// rootless namespace (docker-proxy, slirp4netns), the container's accepted socket (what the
// container saw as the client).  It never uses natlens.  Plain Node, no dependencies.
'use strict';
const fs = require('fs');
const path = require('path');

const args = {};
for (let i = 2; i < process.argv.length; i += 2) args[process.argv[i].replace(/^--/, '')] = process.argv[i + 1];
const B = args.bundle;
const rd = (p) => { try { return fs.readFileSync(p, 'utf8'); } catch { return ''; } };

function canon(ip) {
  if (!ip) return ip;
  ip = ip.replace(/^\[|\]$/g, '').replace(/%.*$/, '');
  const m = ip.match(/^::ffff:(\d+\.\d+\.\d+\.\d+)$/i);
  if (m) return m[1];
  return ip === '*' ? '0.0.0.0' : ip;
}
function hp(s) {
  const i = s.lastIndexOf(':');
  return { ip: canon(s.slice(0, i)), port: s.slice(i + 1) === '*' ? 0 : Number(s.slice(i + 1)) };
}
const ep = (a) => (a.ip.includes(':') ? `[${a.ip}]:${a.port}` : `${a.ip}:${a.port}`);
const eq = (a, b) => a.ip === b.ip && a.port === b.port;

function parseSs(text) {
  const out = [];
  for (const l of text.split('\n')) {
    if (!l.trim() || /^(State|Netid)\s/.test(l)) continue;
    const t = l.trim().split(/\s+/);
    if (t.length < 5) continue;
    const owners = [...l.matchAll(/\("([^"]+)",pid=(\d+),fd=\d+\)/g)].map((m) => ({ proc: m[1], pid: Number(m[2]) }));
    const ino = /ino:(\d+)/.exec(l);
    out.push({ state: t[0], local: hp(t[3]), peer: hp(t[4]), owners, proc: owners[0] ? owners[0].proc : null, pid: owners[0] ? owners[0].pid : null, ino: ino ? Number(ino[1]) : null });
  }
  return out;
}
const key = (s) => `${s.state} ${ep(s.local)} ${ep(s.peer)} ${s.ino}`;
const own = (s) => (s.owners.length ? [...new Set(s.owners.map((o) => `${o.proc} pid ${o.pid}`))].join(', ') : 'owner unknown');
const show = (where, s) => `${where}: ${s.state} ${ep(s.local)} <-> ${ep(s.peer)} (${own(s)})`;

// ---------- inputs
const flows = fs.readFileSync(args.flows, 'utf8').split('\n').filter((l) => l.trim()).map((l) => {
  const c = l.trim().split(/\s+/);
  return { id: c[0], proto: c[1], kind: c[2], from: c[3] === '-' ? null : c[3], sport: Number(c[4]), dialIp: canon(c[5]), dialPort: Number(c[6]), target: c[7], tport: Number(c[8]) };
});
const clientErr = {};
for (const l of rd(args.clients).split('\n')) { const i = l.indexOf('\t'); if (i > 0) clientErr[l.slice(0, i)] = l.slice(i + 1).trim(); }
const engine = args.engine;
const inspect = JSON.parse(rd(path.join(B, `docker/${engine}_inspect_containers`)) || '[]');
const ctr = {};
for (const c of inspect) {
  const name = c.Name.replace(/^\//, '');
  const nets = Object.entries(c.NetworkSettings.Networks || {});
  const [netName, n] = nets[0] || [c.HostConfig.NetworkMode, {}];
  ctr[name] = { name, id: c.Id, pid: c.State.Pid, network: netName, ip: n.IPAddress || c.NetworkSettings.IPAddress || null, gw: n.Gateway || c.NetworkSettings.Gateway || null };
}
const ver = rd(path.join(B, `docker/${engine}_version`));
const serverVer = ((ver.split(/^Server:/m)[1] || (engine === 'podman' ? ver : '')).match(/Version:\s*(\S+)/) || [])[1] || null;

// snapshots in order: snap/00-start, snap/01-<id>, ...
const snaps = fs.readdirSync(args.snap).sort().map((d) => {
  const dir = path.join(args.snap, d);
  const tables = {};
  for (const f of fs.readdirSync(dir)) tables[f] = parseSs(rd(path.join(dir, f)));
  return { name: d, id: d.replace(/^\d+-/, ''), tables };
});
function fresh(i, table) {
  const before = new Set((snaps[i - 1].tables[table] || []).map(key));
  return (snaps[i].tables[table] || []).filter((s) => !before.has(key(s)));
}

const FORWARDERS = /^(rootlessport|rootlesskit|slirp4netns)$/;
// the capture's socket and conntrack files (the sample as committed)
const captureText = [];
(function walk(dir) {
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) walk(p);
    else if (/(^|\/)(ss_|netstat_|conntrack_|tcp6?$|udp6?$|nf_conntrack$)/.test(p.slice(B.length))) captureText.push(rd(p));
  }
})(B);
const results = [];
let problems = 0;
flows.forEach((f) => {
  const i = snaps.findIndex((s) => s.id === f.id);
  const ev = [];
  const tc = ctr[f.target];
  const p = f.proto;
  let out = { path: 'unknown', snat: false, sees: null, state: null };
  let client = { ip: f.kind === 'external' ? (f.dialIp.includes(':') ? '2001:db8:1::10' : '198.51.100.10') : f.kind === 'container' ? null : f.dialIp, port: f.sport, kind: f.kind, container: f.from };
  let forwarder = null; let hostClient = null; const hops = []; let undelivered = false;
  const err = clientErr[f.id] || '';
  if (i < 1) { problems++; console.error(`no snapshot for ${f.id}`); return; }

  const hostNew = fresh(i, `host-${p}`);
  const rlNew = fresh(i, `rlns-${p}`);
  const tgtNew = tc ? fresh(i, `${f.target}-${p}`) : [];
  if (f.kind === 'container') {
    const cs = fresh(i, `${f.from}-${p}`).find((s) => s.local.port === f.sport && eq(s.peer, { ip: f.dialIp, port: f.dialPort }));
    if (cs) { client.ip = cs.local.ip; ev.push(show(`container ${f.from}`, cs)); }
  }
  if (/refused/i.test(err)) {
    out = { path: 'failed', snat: false, sees: null, state: 'REFUSED' };
    ev.push(`client: ${err.replace(/^\S+ \S+ \S+ /, '')}`);
    const lis = (snaps[i].tables[`host-${p}`] || []).filter((s) => s.local.port === f.dialPort && (s.state === 'LISTEN' || s.state === 'UNCONN'));
    ev.push(`host listeners on port ${f.dialPort}: ${lis.map((s) => `${ep(s.local)} (${own(s)})`).join(', ') || 'none'}`);
  } else {
    // the container's accepted socket (TCP), or the datagram leg that reached the UDP server
    // (rootless Docker: docker-proxy's datagram leg lives in rootlesskit's namespace, connected to the container)
    const server = p === 'tcp'
      ? tgtNew.find((s) => s.local.port === f.tport && s.state.startsWith('ESTAB'))
      : tgtNew.find((s) => s.peer.port === f.tport) || rlNew.find((s) => s.proc === 'docker-proxy' && tc && s.peer.ip === tc.ip && s.peer.port === f.tport);
    if (server) {
      out.sees = p === 'tcp' ? server.peer : server.local;
      out.state = p === 'tcp' ? 'ESTABLISHED' : 'ASSURED';
      ev.push(show(tgtNew.includes(server) ? `container ${f.target}${p === 'udp' ? ' (datagram leg to the server)' : ''}` : 'rootless netns (docker-proxy\'s datagram leg to the container)', server));
    } else if (p === 'udp') {
      // slirp4netns' port driver sends datagrams on into rootlesskit's namespace from the client's
      // own address and port: Docker's DNAT there shows in that namespace's conntrack
      const ct = rd(path.join(B, 'namespaces/rootless-netns/conntrack_-L_-o_extended')).split('\n')
        .find((l) => /^ipv4\s+2\s+udp/.test(l) && l.includes(`sport=${f.sport} dport=${f.dialPort} `));
      const kv = ct ? { src: [...ct.matchAll(/\bsrc=(\S+)/g)].map((m) => m[1]), dst: [...ct.matchAll(/\bdst=(\S+)/g)].map((m) => m[1]), sport: [...ct.matchAll(/\bsport=(\d+)/g)].map((m) => Number(m[1])), dport: [...ct.matchAll(/\bdport=(\d+)/g)].map((m) => Number(m[1])) } : null;
      if (kv && tc && kv.src[1] === tc.ip) {
        out.sees = { ip: kv.dst[1], port: kv.dport[1] };
        out.state = 'ASSURED';
        ev.push(`rootless netns conntrack: ${ct.trim().replace(/\s+/g, ' ')} (DNATed there to ${f.target})`);
      } else {
        ev.push(`container ${f.target}: no new socket on port ${f.tport}`);
        // the rootless namespace tracks connections (its rules need it) and holds an entry for
        // each datagram flow that reached it: none for this one
        if (engine === 'docker' && /\bdport=/.test(rd(path.join(B, 'namespaces/rootless-netns/conntrack_-L_-o_extended')))) {
          undelivered = true;
          ev.push('no conntrack entry for it in the rootless namespace, which has one for every datagram flow that reached it: its datagrams never got there');
        }
      }
    } else ev.push(`container ${f.target}: no new socket on port ${f.tport}`);
    // the client's own leg in the root namespace: for a container client the egress socket
    // slirp4netns opened for it
    let egress = null;
    if (f.kind === 'container') {
      egress = hostNew.find((s) => s.proc === 'slirp4netns' && eq(s.peer, { ip: f.dialIp, port: f.dialPort }));
      if (egress) { hostClient = egress.local; ev.push(show('host (slirp4netns dials out for the container)', egress)); }
    }
    const want = f.kind === 'container' ? (egress ? egress.local : null) : { ip: client.ip, port: f.sport };
    const front = p === 'tcp'
      ? hostNew.find((s) => s.local.port === f.dialPort && s.proc && FORWARDERS.test(s.proc) && want && s.peer.port === want.port)
      : (snaps[i].tables[`host-${p}`] || []).find((s) => s.local.port === f.dialPort && s.proc && FORWARDERS.test(s.proc));
    const direct = server && f.kind === 'container' && client.ip && eq(server.peer, { ip: client.ip, port: f.sport });
    if (direct) {
      out.path = 'direct';
      ev.push(`${f.target} sees the client's own address: no forwarder, no NAT`);
    } else if (front) {
      forwarder = { name: front.proc, pid: front.pid, frontend: { local: ep(front.local), peer: ep(front.peer), inode: front.ino } };
      if (f.kind !== 'container' && p === 'tcp') client.ip = front.peer.ip;
      out.path = 'forwarder';
      ev.push(show(`host (${front.proc} ${p === 'udp' ? 'holds the port' : 'accepted'})`, front));
      // the legs the forwarder (or its child) opened in the rootless namespace, and docker-proxy's
      for (const s of rlNew) { hops.push(show('rootless netns', s)); }
      for (const s of tgtNew.filter((s) => s !== server && s.owners.some((o) => FORWARDERS.test(o.proc) || o.proc === 'docker-proxy'))) hops.push(show(`container ${f.target}`, s));
      ev.push(...hops);
      const back = [...rlNew, ...tgtNew].find((s) => s.owners.some((o) => o.pid === front.pid) && s !== front && (p === 'udp' || s.peer.port !== 0));
      if (back) forwarder.backend = { local: ep(back.local), peer: ep(back.peer), inode: back.ino };
    } else ev.push('no forwarder socket found on the host for this client');
    // kernel source NAT: a container client behind a bridge in the rootless namespace is
    // masqueraded there before slirp4netns (its conntrack shows it)
    if (f.kind === 'container' && tc) {
      const ct = rd(path.join(B, 'namespaces/rootless-netns/conntrack_-L_-o_extended')).split('\n')
        .find((l) => l.includes(`sport=${f.sport} dport=${f.dialPort}`) && l.includes(`dst=${f.dialIp} `));
      if (ct) {
        const srcs = [...ct.matchAll(/\bsrc=(\S+)/g)].map((m) => m[1]);
        const dsts = [...ct.matchAll(/\bdst=(\S+)/g)].map((m) => m[1]);
        if (dsts[1] && dsts[1] !== srcs[0]) { out.snat = true; ev.push(`rootless netns conntrack: ${ct.trim().replace(/\s+/g, ' ')} (MASQUERADE to ${dsts[1]} inside the rootless namespace)`); }
      }
    }
  }
  if (undelivered) out = { path: 'failed', snat: false, sees: null, state: 'UNDELIVERED' };
  const sees = out.sees;
  // does any file of the capture name the client's own address and port?  (A UDP client of a
  // forwarder whose listener is not connected, with no conntrack entry, leaves no trace.)
  const clientInCapture = !!client.ip && captureText.some((t) => t.includes(`${client.ip}:${f.sport}`) || t.includes(`[${client.ip}]:${f.sport}`) || t.includes(`sport=${f.sport} `) || t.includes(`:${f.sport.toString(16).toUpperCase().padStart(4, '0')} `));
  results.push({
    id: f.id,
    proto: p,
    client,
    dialled: { ip: f.dialIp, port: f.dialPort },
    container: tc ? { name: f.target, ip: tc.ip, port: f.tport } : null,
    path: out.path,
    snat: out.snat,
    label: out.path === 'forwarder' ? 'FORWARDER' : out.path === 'direct' ? 'DIRECT' : out.path === 'failed' ? 'FAIL' : 'UNKNOWN',
    ...(forwarder ? { forwarder } : {}),
    ...(hostClient ? { hostSeesClientAs: ep(hostClient) } : {}),
    containerSees: sees ? { ip: sees.ip, port: sees.port } : null,
    clientInCapture,
    state: out.state,
    confirmedBy: ev.join('; '),
  });
  if (out.path === 'unknown') { problems++; console.error(`UNCONFIRMED ${f.id}: ${ev.join('; ')}`); }
});

const out = {
  schema: 'natlens/expected@1',
  scenario: args.scenario,
  engine: `${engine}-rootless`,
  portDriver: args['port-driver'],
  docker: serverVer,
  userlandProxy: true,
  iptables: true,
  layout: 'natlens-collect',
  host: { ip: '198.51.100.1', ip6: '2001:db8:1::1', netns: 'root (the machine\'s own)' },
  external: { ip: '198.51.100.10', ip6: '2001:db8:1::10' },
  containers: Object.values(ctr).map((c) => ({ name: c.name, id: c.id.slice(0, 12), pid: c.pid, network: c.network, ip: c.ip, gateway: c.gw })),
  notes: [
    'path: forwarder = a userland forwarder in the root namespace (rootlessport, rootlesskit, slirp4netns) accepted the connection and a second connection reached the container; direct = the client dialled the container address; failed = no connection (state says how).',
    'snat: the kernel rewrote the source (MASQUERADE in the rootless network namespace, before slirp4netns); nothing is NATed in the root namespace.',
    'client: the real client; hostSeesClientAs: the address the forwarder saw instead (slirp4netns dialling out for a container); clientInCapture: false when no file of the capture names the client (a UDP client of a forwarder whose listener is not connected, with no conntrack entry in the root namespace): nothing can attribute it to its client.',
    'Every flow was confirmed from the sockets that appeared while its client connected (the lab starts clients one at a time and snapshots ss in every namespace after each); confirmedBy lists them. Nothing here comes from natlens.',
  ],
  flows: results,
};
fs.writeFileSync(args.out, JSON.stringify(out, null, 2) + '\n');
console.error(`expect-rootless.cjs: ${results.length} flows, ${problems} not confirmed`);
process.exit(problems ? 3 : 0);
