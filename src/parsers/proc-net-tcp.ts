/**
 * /proc/net/tcp, tcp6, udp, udp6 (also /proc/<pid>/net/*): the kernel's socket
 * tables with hex addresses. Format and byte order: input-formats.md §1.
 *
 * Rows are parsed on a fast path that reads the fixed-width hex part by offset
 * and falls back to a whitespace split when a row does not fit it, so odd
 * kernels still parse; both paths produce the same record.
 */
import type { FormatParser, LineParser, ParseContext } from "../format.js";
import type { SocketFlag, SocketRecord, SocketState } from "../types.js";
import { decodeHexIpv4, decodeHexIpv6, hexAt } from "./_addr.js";
import { KERNEL_TCP_STATES } from "./_states.js";

const HEADER_RE = /^\s*sl\s+local_address\s+(rem_address|remote_address)\s+st\s+tx_queue\s+rx_queue\s+tr\s+tm->when\s+retrnsmt\s+uid\s+timeout\s+inode/;
const ROW_RE = /^\s*\d+:\s+[0-9A-Fa-f]{8}(?:[0-9A-Fa-f]{24})?:[0-9A-Fa-f]{4}\s+[0-9A-Fa-f]{8}(?:[0-9A-Fa-f]{24})?:[0-9A-Fa-f]{4}\s+[0-9A-Fa-f]{2}\s/;

interface Row {
  local: string;
  remote: string;
  st: number;
  tx: number;
  rx: number;
  uid: number;
  inode: number;
}

function isHexRun(s: string, at: number, len: number): boolean {
  for (let i = at; i < at + len; i++) {
    const c = s.charCodeAt(i);
    if (!((c >= 48 && c <= 57) || (c >= 65 && c <= 70) || (c >= 97 && c <= 102))) return false;
  }
  return true;
}

function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

/** Fast path: offsets fixed by the kernel's printf format. Returns null to fall back. */
function fastRow(line: string): Row | null {
  const colon = line.indexOf(": ");
  if (colon < 0) return null;
  const a = colon + 2;
  // local address is 8 or 32 hex digits, followed by ':' and a 4-digit port
  const width = line.charCodeAt(a + 8) === 58 ? 8 : line.charCodeAt(a + 32) === 58 ? 32 : 0;
  if (width === 0) return null;
  const r = a + width + 6; // remote address
  const s = r + width + 6; // state
  if (line.charCodeAt(a + width + 5) !== 32 || line.charCodeAt(r + width) !== 58 || line.charCodeAt(s - 1) !== 32) return null;
  if (!isHexRun(line, a, width) || !isHexRun(line, r, width) || hexAt(line, a + width + 1, 4) < 0 || hexAt(line, r + width + 1, 4) < 0) return null;
  const st = hexAt(line, s, 2);
  const tx = hexAt(line, s + 3, 8);
  const rx = hexAt(line, s + 12, 8);
  if (st < 0 || tx < 0 || rx < 0 || line.charCodeAt(s + 11) !== 58) return null;
  // after "tr:when retrnsmt" come uid, timeout, inode separated by runs of blanks
  let i = s + 20 + 12 + 9; // past " tr:tm->when" (1+2+1+8) and " retrnsmt" (1+8)
  if (line.charCodeAt(s + 20) !== 32 || line.charCodeAt(i) !== 32) return null;
  const nums: number[] = [0, 0, 0];
  for (let k = 0; k < 3; k++) {
    while (line.charCodeAt(i) === 32) i++;
    let v = 0;
    let n = 0;
    let neg = false;
    if (line.charCodeAt(i) === 45) {
      neg = true;
      i++;
    }
    while (isDigit(line.charCodeAt(i))) {
      v = v * 10 + (line.charCodeAt(i) - 48);
      i++;
      n++;
    }
    if (n === 0) return null;
    nums[k] = neg ? -v : v;
  }
  return {
    local: line.slice(a, a + width + 5),
    remote: line.slice(r, r + width + 5),
    st,
    tx,
    rx,
    uid: nums[0]!,
    inode: nums[2]!,
  };
}

/** Fallback: split on blanks and check every field. */
function slowRow(line: string): Row | string {
  const f = line.trim().split(/\s+/);
  if (f.length < 10) return `expected at least 10 fields, found ${f.length}`;
  if (!/^\d+:$/.test(f[0]!)) return "expected the row number `N:` first";
  const [, local, remote, st, queues, , , uid, , inode] = f as [string, string, string, string, string, string, string, string, string, string];
  const addr = /^([0-9A-Fa-f]{8}|[0-9A-Fa-f]{32}):[0-9A-Fa-f]{4}$/;
  if (!addr.test(local) || !addr.test(remote)) return "expected hex ADDRESS:PORT pairs in fields 2 and 3";
  if (local.length !== remote.length) return "local and remote addresses differ in width";
  if (!/^[0-9A-Fa-f]{2}$/.test(st)) return "expected a 2-digit hex state in field 4";
  const q = /^([0-9A-Fa-f]{8}):([0-9A-Fa-f]{8})$/.exec(queues);
  if (!q) return "expected tx_queue:rx_queue in field 5";
  if (!/^\d+$/.test(uid) || !/^\d+$/.test(inode)) return "expected numeric uid and inode in fields 8 and 10";
  return {
    local,
    remote,
    st: hexAt(st, 0, 2),
    tx: hexAt(q[1]!, 0, 8),
    rx: hexAt(q[2]!, 0, 8),
    uid: Number(uid),
    inode: Number(inode),
  };
}

/** Reading of a decoded IPv4 address, for the byte-order check. */
function plausibility(ip: string): number {
  const first = ip.charCodeAt(0);
  if (ip === "0.0.0.0") return 0;
  if (ip.startsWith("127.") || ip.startsWith("10.") || ip.startsWith("192.168.") || /^172\.(1[6-9]|2\d|3[01])\./.test(ip)) return 1;
  // Typical swapped reading: a small host number first (1.0.0.127, 2.0.17.172)
  if (first >= 48 && first <= 57 && /^[0-9]\./.test(ip)) return -1;
  return 0;
}

class ProcNetParser implements LineParser {
  private proto: "tcp" | "udp" | null = null;
  private sawHeader = false;
  private readonly little: boolean;
  private plausible = 0;
  private implausible = 0;

  constructor(private readonly ctx: ParseContext) {
    this.little = ctx.options.byteOrder !== "big";
  }

  line(text: string, no: number): void {
    const row = fastRow(text) ?? slowRow(text);
    if (typeof row === "string") {
      if (HEADER_RE.test(text)) {
        this.sawHeader = true;
        this.proto = /\bref\s+pointer\s+drops\b/.test(text) ? "udp" : "tcp";
        this.ctx.ignore(no, "header");
        return;
      }
      this.ctx.skip(no, "E_PROC_NET_ROW", `not a /proc/net socket row: ${row}`, text, "rows look like `0: 0100007F:1F90 00000000:0000 0A ...`");
      return;
    }
    if (!this.sawHeader) {
      this.sawHeader = true;
      this.proto = "tcp";
      this.ctx.report("warning", no, "W_NO_HEADER", "no /proc/net header line; assuming a TCP table", undefined, "keep the header line so natlens can tell tcp from udp");
    }
    this.emit(row, no);
  }

  private emit(row: Row, no: number): void {
    const flags: SocketFlag[] = [];
    let family: 4 | 6;
    let localIp: string, remoteIp: string;
    const width = row.local.length - 5;
    if (width === 8) {
      family = 4;
      localIp = decodeHexIpv4(row.local, this.little)!;
      remoteIp = decodeHexIpv4(row.remote, this.little)!;
      const p = plausibility(localIp) + plausibility(remoteIp);
      if (p > 0) this.plausible++;
      else if (p < 0) this.implausible++;
    } else {
      const l = decodeHexIpv6(row.local, this.little)!;
      const r = decodeHexIpv6(row.remote, this.little)!;
      family = l.family === 4 && r.family === 4 ? 4 : 6;
      localIp = l.ip;
      remoteIp = r.ip;
      if (l.mapped || r.mapped) flags.push("mapped");
    }
    const remotePort = hexAt(row.remote, width + 1, 4);
    const proto = this.proto ?? "tcp";
    let state: SocketState;
    if (proto === "udp") state = row.st === 7 ? "UNCONN" : row.st === 1 ? "ESTABLISHED" : (KERNEL_TCP_STATES[row.st] ?? "UNKNOWN");
    else state = KERNEL_TCP_STATES[row.st] ?? "UNKNOWN";
    if (state === "UNKNOWN") this.ctx.report("warning", no, "W_UNKNOWN_STATE", `unknown socket state code ${row.st.toString(16).toUpperCase()}`);
    const rec: SocketRecord = {
      kind: "socket",
      source: { file: this.ctx.file, line: no },
      format: "proc-net-tcp",
      netns: this.ctx.netns,
      proto,
      family,
      localIp,
      localPort: hexAt(row.local, width + 1, 4),
      remoteIp,
      // An unconnected socket's peer is 0.0.0.0:0 (or [::]:0); written as no port, like netstat's `*`.
      remotePort: remotePort === 0 && (remoteIp === "0.0.0.0" || remoteIp === "::") ? null : remotePort,
      state,
      recvQ: row.rx,
      sendQ: row.tx,
      uid: row.uid,
      user: null,
      // TIME_WAIT and request sockets have no inode (0): there is no socket file.
      inode: row.inode === 0 ? null : row.inode,
      pid: null,
      program: null,
      iface: null,
      timer: null,
      processes: [],
      flags,
    };
    this.ctx.emit(rec);
  }

  end(): void {
    if (this.implausible >= 2 && this.implausible > this.plausible * 2) {
      const other = this.little ? "big" : "little";
      this.ctx.report(
        "warning",
        null,
        "W_BYTE_ORDER",
        `${this.implausible} IPv4 addresses look byte-swapped (e.g. 1.0.0.127 for 127.0.0.1); the file may come from a ${other}-endian host`,
        undefined,
        `rerun with --byte-order ${other}`,
      );
    }
  }
}

export const procNetTcp: FormatParser = {
  id: "proc-net-tcp",
  title: "Kernel socket tables /proc/net/{tcp,tcp6,udp,udp6} (host or /proc/<pid>/net)",
  kinds: ["socket"],
  commands: ["cat /proc/net/tcp", "cat /proc/net/tcp6", "cat /proc/net/udp", "cat /proc/net/udp6", "cat /proc/<pid>/net/tcp"],
  sniff(head) {
    let score = 0;
    if (HEADER_RE.test(head[0]!)) score = 0.9;
    const rows = head.filter((l) => ROW_RE.test(l)).length;
    const data = head.length - (score > 0 ? 1 : 0);
    if (data > 0 && rows === data) score = Math.max(score, 0.6) + 0.1;
    else if (rows > 0) score = Math.max(score, 0.5 * (rows / data));
    return Math.min(score, 1);
  },
  create: (ctx) => new ProcNetParser(ctx),
};
