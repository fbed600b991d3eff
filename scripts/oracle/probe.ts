/**
 * The kernel oracle's socket helper, run inside one network namespace by
 * scripts/kernel-oracle.ts (a dev tool, not part of natlens):
 *
 *   node probe.js listen tcp|udp PORT[,PORT..]
 *     binds every port on every address of the namespace (TCP also on the
 *     wildcard, so a packet to any address is accepted), prints `ready`, then
 *     one JSON line per accepted connection / received datagram:
 *     {"local":"172.17.0.2:80","peer":"198.51.100.10:40000"}. UDP datagrams
 *     are answered from the socket that received them.
 *
 *   node probe.js send tcp|udp SRC_IP SRC_PORT DST_IP DST_PORT TIMEOUT_MS
 *     opens one connection (TCP) or sends one datagram (UDP) from SRC and prints
 *     one JSON line: {"result":"connected"|"reply"|"refused"|"unreachable"|"timeout"|"error",
 *     "errno":..., "remote":..., "icmpUnreach":N} where icmpUnreach is the
 *     growth of this namespace's ICMP destination-unreachable counters.
 */
import { createServer, connect, type Server, type Socket } from "node:net";
import { createSocket, type Socket as UdpSocket } from "node:dgram";
import { networkInterfaces } from "node:os";
import { readFileSync } from "node:fs";

function addrPort(addr: string | undefined, port: number | undefined): string {
  let a = addr ?? "?";
  if (a.startsWith("::ffff:") && a.includes(".")) a = a.slice(7);
  return a.includes(":") ? `[${a}]:${port}` : `${a}:${port}`;
}

function localAddresses(): string[] {
  const out: string[] = [];
  for (const list of Object.values(networkInterfaces())) {
    for (const i of list ?? []) {
      if (i.family === "IPv6" && i.address.startsWith("fe80")) continue;
      out.push(i.address);
    }
  }
  return out;
}

function listen(proto: string, ports: number[]): void {
  const keep: (Server | UdpSocket)[] = [];
  let pending = 0;
  const done = (): void => {
    if (--pending === 0) process.stdout.write("ready\n");
  };
  const log = (local: string, peer: string): void => {
    process.stdout.write(`${JSON.stringify({ local, peer })}\n`);
  };
  for (const port of ports) {
    if (proto === "tcp") {
      pending++;
      const s = createServer((c: Socket) => {
        log(addrPort(c.localAddress, c.localPort), addrPort(c.remoteAddress, c.remotePort));
        c.on("error", () => {});
        setTimeout(() => c.destroy(), 200);
      });
      s.on("error", (e) => {
        process.stderr.write(`listen tcp ${port}: ${String(e)}\n`);
        done();
      });
      s.listen({ port, host: "::", ipv6Only: false, backlog: 64 }, done);
      keep.push(s);
    } else {
      for (const a of localAddresses()) {
        pending++;
        const u = createSocket({ type: a.includes(":") ? "udp6" : "udp4" });
        u.on("message", (msg, rinfo) => {
          log(addrPort(a, port), addrPort(rinfo.address, rinfo.port));
          u.send(msg, rinfo.port, rinfo.address);
        });
        u.on("error", (e) => {
          process.stderr.write(`listen udp ${a}:${port}: ${String(e)}\n`);
        });
        u.bind({ port, address: a }, done);
        keep.push(u);
      }
    }
  }
  if (pending === 0) process.stdout.write("ready\n");
}

function icmpUnreach(): number {
  let n = 0;
  try {
    const snmp = readFileSync("/proc/net/snmp", "utf8").split("\n").filter((l) => l.startsWith("Icmp:"));
    if (snmp.length >= 2) {
      const names = snmp[0]!.split(/\s+/);
      const vals = snmp[1]!.split(/\s+/);
      n += Number(vals[names.indexOf("InDestUnreachs")] ?? 0);
    }
  } catch {
    /* no IPv4 counters */
  }
  try {
    const m = /Icmp6InDestUnreachs\s+(\d+)/.exec(readFileSync("/proc/net/snmp6", "utf8"));
    if (m) n += Number(m[1]);
  } catch {
    /* no IPv6 counters */
  }
  return n;
}

function send(proto: string, src: string, sport: number, dst: string, dport: number, timeoutMs: number): void {
  const before = icmpUnreach();
  let finished = false;
  const finish = (o: Record<string, unknown>): void => {
    if (finished) return;
    finished = true;
    // give a late ICMP error a moment to be counted
    setTimeout(() => {
      process.stdout.write(`${JSON.stringify({ ...o, icmpUnreach: icmpUnreach() - before })}\n`);
      process.exit(0);
    }, 100);
  };
  if (proto === "tcp") {
    const c = connect({ host: dst, port: dport, localAddress: src, localPort: sport });
    const t = setTimeout(() => {
      c.destroy();
      finish({ result: "timeout" });
    }, timeoutMs);
    c.on("connect", () => {
      clearTimeout(t);
      const remote = addrPort(c.remoteAddress, c.remotePort);
      c.destroy();
      finish({ result: "connected", remote });
    });
    c.on("error", (e: NodeJS.ErrnoException) => {
      clearTimeout(t);
      finish({ result: e.code === "ECONNREFUSED" ? "refused" : /UNREACH|EACCES|EPERM/.test(e.code ?? "") ? "unreachable" : "error", errno: e.code ?? String(e) });
    });
  } else {
    const u = createSocket({ type: dst.includes(":") ? "udp6" : "udp4" });
    const t = setTimeout(() => {
      u.close();
      finish({ result: "timeout" });
    }, timeoutMs);
    u.on("error", (e: NodeJS.ErrnoException) => {
      clearTimeout(t);
      finish({ result: e.code === "ECONNREFUSED" ? "refused" : /UNREACH|EACCES|EPERM/.test(e.code ?? "") ? "unreachable" : "error", errno: e.code ?? String(e) });
    });
    u.on("message", (_m, rinfo) => {
      clearTimeout(t);
      u.close();
      finish({ result: "reply", remote: addrPort(rinfo.address, rinfo.port) });
    });
    u.bind({ port: sport, address: src }, () => {
      u.connect(dport, dst, (err?: Error) => {
        if (err) {
          finish({ result: "error", errno: String(err) });
          return;
        }
        u.send(Buffer.from("natlens-oracle"), (e2) => {
          if (e2) finish({ result: "error", errno: String(e2) });
        });
      });
    });
  }
}

const [cmd, proto, ...rest] = process.argv.slice(2);
if (cmd === "listen" && proto) listen(proto, (rest[0] ?? "").split(",").filter(Boolean).map(Number));
else if (cmd === "send" && proto && rest.length === 5) send(proto, rest[0]!, Number(rest[1]), rest[2]!, Number(rest[3]), Number(rest[4]));
else {
  process.stderr.write("usage: probe listen tcp|udp PORTS | probe send tcp|udp SRC SPORT DST DPORT TIMEOUT_MS\n");
  process.exit(2);
}
