/**
 * /proc/net/tcp, tcp6, udp, udp6 (also /proc/<pid>/net/*): the kernel's socket
 * tables with hex addresses. Format and byte order: input-formats.md §1.
 *
 * Rows are parsed on a fast path that reads the fixed-width hex part by offset
 * and falls back to a whitespace split when a row does not fit it, so odd
 * kernels still parse; both paths produce the same record.
 */
import { intern } from "../strings.js";
import type { FormatParser, LineParser, ParseContext } from "../format.js";
import type { SocketFlag, SocketRecord, SocketState } from "../types.js";
import { decodeHexIpv6, hexAt, ipv4ValueOfWord, quadOfValue, type NormalIp } from "../net/index.js";
import { KERNEL_TCP_STATES } from "./_states.js";

const HEADER_RE = /^\s*sl\s+local_address\s+(rem_address|remote_address)\s+st\s+tx_queue\s+rx_queue\s+tr\s+tm->when\s+retrnsmt\s+uid\s+timeout\s+inode/;
const ROW_RE = /^\s*\d+:\s+[0-9A-Fa-f]{8}(?:[0-9A-Fa-f]{24})?:[0-9A-Fa-f]{4}\s+[0-9A-Fa-f]{8}(?:[0-9A-Fa-f]{24})?:[0-9A-Fa-f]{4}\s+[0-9A-Fa-f]{2}\s/;

/**
 * One row's fields. `src` holds the address text: the line itself on the fast
 * path (addresses at offsets `la`/`ra`), or "LOCAL REMOTE" on the slow path.
 * The fast path reuses one Row object, so a million rows allocate none.
 */
interface Row {
  src: string;
  la: number;
  ra: number;
  /** 8 (IPv4) or 32 (IPv6) hex digits. */
  width: number;
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

/** Read a decimal number at `i` after blanks; returns the end index, or -1. Value in `out.v`. */
function decimalAt(line: string, i: number, out: { v: number }): number {
  while (line.charCodeAt(i) === 32) i++;
  let neg = false;
  if (line.charCodeAt(i) === 45) {
    neg = true;
    i++;
  }
  const start = i;
  let v = 0;
  for (let c = line.charCodeAt(i); c >= 48 && c <= 57; c = line.charCodeAt(++i)) v = v * 10 + (c - 48);
  if (i === start) return -1;
  out.v = neg ? -v : v;
  return i;
}

const num = { v: 0 };

/** Fast path: offsets fixed by the kernel's printf format. Fills `row`, or returns false to fall back. */
function fastRow(line: string, row: Row): boolean {
  const colon = line.indexOf(": ");
  if (colon < 0) return false;
  const a = colon + 2;
  // local address is 8 or 32 hex digits, followed by ':' and a 4-digit port
  const width = line.charCodeAt(a + 8) === 58 ? 8 : line.charCodeAt(a + 32) === 58 ? 32 : 0;
  if (width === 0) return false;
  const r = a + width + 6; // remote address
  const s = r + width + 6; // state
  if (line.charCodeAt(a + width + 5) !== 32 || line.charCodeAt(r + width) !== 58 || line.charCodeAt(s - 1) !== 32) return false;
  if (!isHexRun(line, a, width) || !isHexRun(line, r, width) || hexAt(line, a + width + 1, 4) < 0 || hexAt(line, r + width + 1, 4) < 0) return false;
  const st = hexAt(line, s, 2);
  const tx = hexAt(line, s + 3, 8);
  const rx = hexAt(line, s + 12, 8);
  if (st < 0 || tx < 0 || rx < 0 || line.charCodeAt(s + 11) !== 58) return false;
  // after "tr:when retrnsmt" come uid, timeout, inode separated by runs of blanks
  let i = s + 20 + 12 + 9; // past " tr:tm->when" (1+2+1+8) and " retrnsmt" (1+8)
  if (line.charCodeAt(s + 20) !== 32 || line.charCodeAt(i) !== 32) return false;
  if ((i = decimalAt(line, i, num)) < 0) return false;
  const uid = num.v;
  if ((i = decimalAt(line, i, num)) < 0) return false; // timeout (probe count), unused
  if (decimalAt(line, i, num) < 0) return false;
  row.src = line;
  row.la = a;
  row.ra = r;
  row.width = width;
  row.st = st;
  row.tx = tx;
  row.rx = rx;
  row.uid = uid;
  row.inode = num.v;
  return true;
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
    src: `${local} ${remote}`,
    la: 0,
    ra: local.length + 1,
    width: local.length - 5,
    st: hexAt(st, 0, 2),
    tx: hexAt(q[1]!, 0, 8),
    rx: hexAt(q[2]!, 0, 8),
    uid: Number(uid),
    inode: Number(inode),
  };
}

/**
 * Reading of a raw IPv4 word for the byte-order check: +1 when the decoded
 * address starts like a private or loopback network (127/8, 10/8, 172.16/12,
 * 192.168/16), -1 when only the other byte order would (1.0.0.127 is
 * 127.0.0.1 read backwards), 0 when neither tells.
 */
function plausibility(word: number, little: boolean): number {
  const lo = word & 255;
  const hi = (word >>> 24) & 255;
  const second = (little ? (word >>> 8) : (word >>> 16)) & 255;
  const secondOther = (little ? (word >>> 16) : (word >>> 8)) & 255;
  const first = little ? lo : hi;
  const other = little ? hi : lo;
  const privateNet = (a: number, b: number) => a === 127 || a === 10 || (a === 172 && b >= 16 && b <= 31) || (a === 192 && b === 168);
  if (word === 0) return 0;
  if (privateNet(first, second)) return 1;
  if (privateNet(other, secondOther)) return -1;
  return 0;
}

/** Rows the byte-order check looks at (enough to tell, cheap on huge files). */
const BYTE_ORDER_SAMPLE = 2_000;

// Shared empty arrays: a million sockets need no million empty arrays. Records are read-only.
const NO_FLAGS: SocketFlag[] = Object.freeze([]) as unknown as SocketFlag[];
const NO_PROCESSES: SocketRecord["processes"] = Object.freeze([]) as unknown as SocketRecord["processes"];
const MAPPED: SocketFlag[] = Object.freeze(["mapped"]) as unknown as SocketFlag[];
const V6_ANY: NormalIp = Object.freeze({ ip: "::", family: 6, mapped: false });


export class ProcNetParser implements LineParser {
  /** `tcp` or `udp` once the header (or the first row) has been seen. */
  proto: "tcp" | "udp" | null = null;
  private sawHeader = false;
  readonly little: boolean;
  private plausible = 0;
  private implausible = 0;
  private sampled = 0;

  /**
   * Feed one IPv4 row's raw address words to the byte-order check (only the
   * first BYTE_ORDER_SAMPLE rows count). A fast path that writes a row itself
   * calls this for it, so the check sees the same rows either way.
   */
  sample(localWord: number, remoteWord: number): void {
    if (this.sampled >= BYTE_ORDER_SAMPLE) return;
    this.sampled++;
    const p = plausibility(localWord, this.little) + plausibility(remoteWord, this.little);
    if (p > 0) this.plausible++;
    else if (p < 0) this.implausible++;
  }


  constructor(private readonly ctx: ParseContext) {
    this.little = ctx.options.byteOrder !== "big";
  }

  private readonly scratch: Row = { src: "", la: 0, ra: 0, width: 0, st: 0, tx: 0, rx: 0, uid: 0, inode: 0 };

  line(text: string, no: number): void {
    if (text.startsWith("$ ")) {
      // a `$ cat /proc/net/tcp6` banner between concatenated tables; the next header follows
      this.ctx.ignore(no, "banner");
      return;
    }
    const row = fastRow(text, this.scratch) ? this.scratch : slowRow(text);
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

  /** One copy of an address for every table of the bundle, when the records are kept (ParseOptions.shareStrings). */
  private shared(ip: string): string {
    return this.ctx.options.shareStrings ? intern(ip, this.ctx.caches) : ip;
  }

  /**
   * The dotted quad of a kernel IPv4 word, from the run's table by value
   * (ParseCaches.quads): one string per address for every table of the host
   * (2,000 container tables repeat the same few), decoded only when new.
   */
  private ipv4(word: number): string {
    return quadOfValue(ipv4ValueOfWord(word, this.little), this.ctx.caches);
  }

  /**
   * An IPv6 address of a row at `at`: an IPv4-mapped one (most of a
   * container's tcp6 table) and `::` without decoding the 16 bytes.
   */
  private ipv6(src: string, at: number): NormalIp {
    if (hexAt(src, at, 8) === 0 && hexAt(src, at + 8, 8) === 0) {
      const w2 = hexAt(src, at + 16, 8);
      // ::ffff:a.b.c.d: bytes 10 and 11 are ff, which a little-endian host prints as FFFF0000
      if (w2 === (this.little ? 0xffff0000 : 0x0000ffff)) {
        const w3 = hexAt(src, at + 24, 8);
        if (w3 >= 0) return { ip: this.ipv4(w3), family: 4, mapped: true };
      } else if (w2 === 0 && hexAt(src, at + 24, 8) === 0) return V6_ANY;
    }
    const d = decodeHexIpv6(src, this.little, at)!;
    return { ip: this.shared(d.ip), family: d.family, mapped: d.mapped };
  }

  private emit(row: Row, no: number): void {
    let flags: SocketFlag[] = NO_FLAGS;
    let family: 4 | 6;
    let localIp: string, remoteIp: string;
    const { src, la, ra, width } = row;
    if (width === 8) {
      family = 4;
      const lw = hexAt(src, la, 8);
      const rw = hexAt(src, ra, 8);
      localIp = this.ipv4(lw);
      remoteIp = this.ipv4(rw);
      this.sample(lw, rw);
    } else {
      const l = this.ipv6(src, la);
      const r = this.ipv6(src, ra);
      family = l.family === 4 && r.family === 4 ? 4 : 6;
      localIp = l.ip;
      remoteIp = r.ip;
      if (l.mapped || r.mapped) flags = MAPPED;
    }
    const localPort = hexAt(src, la + width + 1, 4);
    const remotePort = hexAt(src, ra + width + 1, 4);
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
      localPort,
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
      processes: NO_PROCESSES,
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
