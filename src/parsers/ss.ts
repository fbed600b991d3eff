/**
 * iproute2 `ss` socket listings (input-formats.md §3): `ss -tanp`, `-tulpn`,
 * `-tanpe`, `-tano`, `-tani`, `-Htanp`, `-anp`, `-peaonmi`, `-tanpeiO`,
 * `-uanpe`, `-tap` (service names), `-tn state established` (no State column),
 * and the old fixed-width layouts (`*:80`, `:::*`, `::1:10031`).
 *
 * Rows are read by content, not by the header: an optional Netid, an optional
 * State, Recv-Q, Send-Q, the local and the peer address, then free-form extras
 * (`users:((...))`, `timer:(...)`, `uid:`, `ino:`, `sk:`, `cgroup:`, `v6only:`,
 * `fwmark:`, shutdown marks, `skmem:(...)`, TCP info with `-O`). `-i`/`-m`
 * continuation lines start with a TAB and belong to the previous socket.
 *
 * Two facts are sometimes not on the row itself and are decided per file:
 * - the protocol when there is no Netid column (`ss -tan` vs `ss -uan`): a
 *   TCP-only state (LISTEN, SYN-SENT, ...) or a `timer:` means tcp, UNCONN
 *   means udp; ESTAB rows wait (bounded) for that evidence;
 * - what a bare `*` address means: the IPv6 dual-stack wildcard since iproute2
 *   4.14 (`0.0.0.0` and `[::]` are printed otherwise), the IPv4 wildcard in
 *   older layouts that print IPv6 unbracketed (`:::80`).
 * Rows that need an undecided fact are held back (at most PENDING_MAX) and
 * emitted, in input order, as soon as the evidence arrives or at the end.
 */
import type { ParseCaches } from "../context.js";
import { intern } from "../strings.js";
import type { FormatParser, LineParser, ParseContext } from "../format.js";
import type { SocketFlag, SocketRecord, SocketState } from "../types.js";
import { normalizeIpCached } from "../net/index.js";
import { servicePort } from "./_services.js";
import { KERNEL_TCP_STATES, stateFromText } from "./_states.js";
import { isDigits } from "./_text.js";

/** Rows held back while the protocol or the `*` meaning is undecided. */
const PENDING_MAX = 4096;
/** Per-line warnings of one kind reported before they are only counted. */
const REPORT_MAX = 5;

const HEADER_RE = /^(?:Netid\s+)?(?:State\s+)?Recv-Q\s+Send-Q\s+Local\s+Address:Port\s+Peer\s+Address:Port/;

const UNIX_NETIDS = new Set(["u_str", "u_dgr", "u_seq", "u_seqpacket"]);
const OTHER_NETIDS = new Set(["p_raw", "p_dgr", "raw", "sctp", "mptcp", "dccp", "tipc", "v_str", "v_dgr", "v_seq", "xdp", "icmp", "icmp6", "unknown"]);
/** TCP states that UDP sockets never have (ss spelling). */
const TCP_ONLY = new Set(["LISTEN", "SYN-SENT", "SYN-RECV", "FIN-WAIT-1", "FIN-WAIT-2", "TIME-WAIT", "CLOSE-WAIT", "LAST-ACK", "CLOSING"]);
const SUMMARY_WORDS = new Set(["Total:", "TCP:", "Transport", "RAW", "UDP", "TCP", "INET", "FRAG"]);


/** A word that looks like an ss state (upper case and dashes). */
function isStateWord(s: string): boolean {
  if (s.length < 4) return false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (!((c >= 65 && c <= 90) || c === 45 || c === 95 || (c >= 48 && c <= 57))) return false;
  }
  return c0IsUpper(s);
}

function c0IsUpper(s: string): boolean {
  const c = s.charCodeAt(0);
  return c >= 65 && c <= 90;
}

/** A netid-like word: lower case, digits, underscore. */
function isNetidWord(s: string): boolean {
  if (s.length === 0 || s.length > 12) return false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (!((c >= 97 && c <= 122) || c === 95 || (c >= 48 && c <= 57))) return false;
  }
  return true;
}

/** Whitespace tokenizer for the first `max` tokens; `ends[k]` is where token k ends. */
function tokens(text: string, max: number): { toks: string[]; ends: number[] } {
  const toks: string[] = [];
  const ends: number[] = [];
  let i = 0;
  const n = text.length;
  while (toks.length < max) {
    let c = text.charCodeAt(i);
    while (i < n && (c === 32 || c === 9)) c = text.charCodeAt(++i);
    if (i >= n) break;
    const s = i;
    while (i < n && c !== 32 && c !== 9) c = text.charCodeAt(++i);
    toks.push(text.slice(s, i));
    ends.push(i);
  }
  return { toks, ends };
}

interface Endpoint {
  /** Address text without brackets and zone: `0.0.0.0`, `::1`, `*`, a host name. */
  host: string;
  bracketed: boolean;
  iface: string | null;
  /** Port text: digits, `*`, or a service name. */
  port: string;
}

/** Split `addr:port` where the last colon separates the port (every ss layout). */
function splitEndpoint(tok: string): Endpoint | null {
  const colon = tok.lastIndexOf(":");
  if (colon <= 0 || colon === tok.length - 1) return null;
  let host = tok.slice(0, colon);
  const port = tok.slice(colon + 1);
  let iface: string | null = null;
  let bracketed = false;
  if (host.charCodeAt(0) === 91) {
    const close = host.indexOf("]");
    if (close < 0) return null;
    const after = host.slice(close + 1);
    if (after.length > 0) {
      if (after.charCodeAt(0) !== 37 || after.length === 1) return null;
      iface = after.slice(1);
    }
    host = host.slice(1, close);
    bracketed = true;
  } else {
    const pct = host.indexOf("%");
    if (pct >= 0) {
      iface = host.slice(pct + 1);
      host = host.slice(0, pct);
      if (!iface) return null;
    }
  }
  if (!host) return null;
  return { host, bracketed, iface, port };
}

interface Proc {
  pid: number;
  program: string | null;
  fd: number | null;
}

/**
 * Parse `users:(("name",pid=1,fd=2),("x",pid=3,fd=4))` starting at `at` (the
 * `u`). Also the old unlabeled form `("sshd",1123,3)`, and `tid=`/`proc_ctx=`.
 * Returns the processes and the index after the closing `)`, or an error text.
 */
function parseUsers(text: string, at: number, caches: ParseCaches): { procs: Proc[]; end: number } | string {
  let i = at + 7; // past `users:(`
  const procs: Proc[] = [];
  for (;;) {
    if (text.charCodeAt(i) !== 40 || text.charCodeAt(i + 1) !== 34) return "expected `(\"` to open a process tuple";
    const nameStart = i + 2;
    const nameEnd = text.indexOf('",', nameStart);
    if (nameEnd < 0) return "unterminated process name";
    const program = intern(text.slice(nameStart, nameEnd), caches);
    const close = text.indexOf(")", nameEnd + 2);
    if (close < 0) return "unterminated process tuple";
    let pid = -1;
    let fd: number | null = null;
    const pidAt = text.indexOf("pid=", nameEnd);
    if (pidAt >= 0 && pidAt < close) {
      // labeled form: pid=N[,tid=N][,proc_ctx=...],fd=N
      pid = numberAt(text, pidAt + 4) ?? -1;
      const fdAt = text.indexOf(",fd=", pidAt);
      if (fdAt >= 0 && fdAt < close) fd = numberAt(text, fdAt + 4);
    } else {
      // old unlabeled form ("sshd",1123,3): pid then fd
      const parts = text.slice(nameEnd + 2, close).split(",");
      if (parts.length >= 1 && isDigits(parts[0]!)) pid = Number(parts[0]);
      if (parts.length >= 2 && isDigits(parts[1]!)) fd = Number(parts[1]);
    }
    if (pid < 0) return "process tuple without a pid";
    procs.push({ pid, program: program === "" ? null : program, fd });
    i = close + 1;
    const c = text.charCodeAt(i);
    if (c === 44) {
      i++;
      continue;
    }
    if (c === 41) return { procs, end: i + 1 };
    return "expected `,` or `)` after a process tuple";
  }
}

/** A row read from the line, before the per-file decisions are applied. */
interface Row {
  no: number;
  text: string;
  proto: "tcp" | "udp" | null;
  stateText: string | null;
  recvQ: number;
  sendQ: number;
  local: Endpoint;
  peer: Endpoint;
  procs: Proc[];
  timer: string | null;
  uid: number | null;
  inode: number | null;
  extended: boolean;
}

function rowNeedsStar(r: Row): boolean {
  return r.local.host === "*" || r.peer.host === "*";
}

type Ignore = "unix-socket" | "netlink-socket" | "other-socket";

class SsParser implements LineParser {
  /** Protocol of a listing without Netid column, once known. */
  private tableProto: "tcp" | "udp" | null = null;
  /** true: `*` is IPv4 (old layout); false: `*` is the IPv6 dual-stack wildcard. */
  private legacyStar: boolean | null = null;
  private pending: Row[] = [];
  /** The previous line was a socket row (continuation lines attach to it), or an ignored row with its reason. */
  private prev: "row" | Ignore | "none" = "none";
  private noStateReported = false;
  /** Whether the last header had a State column (null: no header seen). */
  private headerState: boolean | null = null;
  private hostWarnings = 0;
  private serviceWarnings = 0;
  private summaryLines = 0;

  constructor(private readonly ctx: ParseContext) {}

  line(text: string, no: number): void {
    if (text.charCodeAt(0) === 9) {
      this.continuation(text, no);
      return;
    }
    const { toks, ends } = tokens(text, 6);
    const t0 = toks[0] ?? "";
    const c0 = t0.charCodeAt(0);
    // headers start with Netid, State or Recv-Q (cheap test first: rows also start with S)
    if ((c0 === 78 || c0 === 83 || c0 === 82) && HEADER_RE.test(text.trimStart())) {
      this.prev = "none";
      this.headerState = text.includes("State");
      // a new listing (several captures in one file): the protocol is decided again
      this.flush(true);
      this.tableProto = null;
      this.ctx.ignore(no, "header");
      return;
    }
    if (SUMMARY_WORDS.has(t0)) {
      this.prev = "none";
      if (this.summaryLines++ === 0) {
        this.ctx.skip(no, "E_SS_SUMMARY", "`ss -s` summary output, not a socket listing", text, "capture socket rows with `ss -tanpe` and `ss -uanpe`; the summary carries no sockets");
      } else {
        this.ctx.skip(no, "E_SS_SUMMARY", "`ss -s` summary line", text, "capture socket rows with `ss -tanpe` and `ss -uanpe`");
      }
      return;
    }

    let i = 0;
    let netid: string | null = null;
    if (isNetidWord(t0) && !isDigits(t0)) {
      netid = t0;
      i = 1;
      if (UNIX_NETIDS.has(netid)) return this.ignoreRow(no, "unix-socket");
      if (netid === "nl") return this.ignoreRow(no, "netlink-socket");
      if (OTHER_NETIDS.has(netid)) return this.ignoreRow(no, "other-socket");
      if (netid !== "tcp" && netid !== "udp") {
        return this.bad(no, text, isStateWord(toks[1] ?? "") ? `unknown Netid \`${netid}\`` : "expected [Netid] State Recv-Q Send-Q Local Peer");
      }
    }
    let stateText: string | null = null;
    const ts = toks[i] ?? "";
    if (isStateWord(ts)) {
      stateText = ts;
      i++;
    }
    const rq = toks[i] ?? "";
    const sq = toks[i + 1] ?? "";
    if (!isDigits(rq) || !isDigits(sq)) {
      return this.bad(no, text, stateText === null && netid === null && ts !== "" ? `expected a state or Recv-Q first, found \`${ts}\`` : "expected numeric Recv-Q and Send-Q");
    }
    const lt = toks[i + 2] ?? "";
    const pt = toks[i + 3] ?? "";
    if (!lt || !pt) return this.bad(no, text, "expected a local and a peer address after the queues");
    // Socket families natlens does not model, in listings without Netid column.
    if (netid === null) {
      const other = this.otherFamily(lt, pt);
      if (other) return this.ignoreRow(no, other);
    }
    if (stateText === null) {
      if (this.headerState === true) return this.bad(no, text, "no state although the header has a State column");
      const after = tokens(text.slice(ends[i + 3]!), 1).toks[0];
      if (after !== undefined && isStateWord(after) && stateFromText(after) !== null) {
        return this.bad(no, text, "the state follows the addresses, as in netstat output", "this looks like netstat; parse netstat captures in their own file");
      }
    }
    const local = splitEndpoint(lt);
    const peer = splitEndpoint(pt);
    if (!local || !peer) return this.bad(no, text, `cannot read the address \`${!local ? lt : pt}\` as ADDRESS:PORT`);

    // The extras after the peer address; searched in place, without copies.
    const restAt = ends[i + 3]!;
    let procs: Proc[] = [];
    let timer: string | null = null;
    let uid: number | null = null;
    let inode: number | null = null;
    let extended = false;
    if (restAt < text.length) {
      const u = text.indexOf("users:(", restAt);
      if (u >= 0) {
        const users = parseUsers(text, u, this.ctx.caches);
        if (typeof users === "string") return this.bad(no, text, `process column: ${users}`, 'processes look like `users:(("nginx",pid=1854,fd=6))`');
        procs = dedupe(users.procs);
      }
      // the timer follows users:(...) in current ss, the peer without -p; older ones may differ
      const tm = text.indexOf("timer:(", restAt);
      if (tm >= 0) {
        const close = text.indexOf(")", tm + 7);
        timer = text.slice(tm + 7, close < 0 ? text.length : close);
      }
      // -e: `uid:N` (only when not 0) right before `ino:N`; neither without -e
      const at = text.indexOf(" ino:", restAt);
      const ino = at < 0 ? null : numberAt(text, at + 5);
      if (ino !== null) {
        const u2 = text.lastIndexOf(" uid:", at);
        if (u2 >= restAt) uid = numberAt(text, u2 + 5);
        extended = true;
        inode = ino === 0 ? null : ino;
      }
    }
    const proto: "tcp" | "udp" | null = netid === "tcp" || netid === "udp" ? netid : null;
    const row: Row = { no, text, proto, stateText, recvQ: Number(rq), sendQ: Number(sq), local, peer, procs, timer, uid, inode, extended };
    this.prev = "row";
    this.learn(row);
    if (this.pending.length > 0 || this.undecided(row)) {
      this.pending.push(row);
      if (this.pending.length >= PENDING_MAX) this.flush(true);
      return;
    }
    this.emit(row);
  }

  end(): void {
    this.flush(true);
    if (this.hostWarnings > REPORT_MAX) {
      this.ctx.report("warning", null, "W_SS_HOSTNAME", `${this.hostWarnings - REPORT_MAX} more rows with host names kept as written (flag unresolved)`, undefined, "capture with `ss -n` for numeric addresses");
    }
    if (this.serviceWarnings > REPORT_MAX) {
      this.ctx.report("warning", null, "W_SS_SERVICE", `${this.serviceWarnings - REPORT_MAX} more unknown service names (flag unknown-service, port left empty)`, undefined, "capture with `ss -n` for numeric ports");
    }
  }

  private otherFamily(lt: string, pt: string): Ignore | null {
    const c = lt.charCodeAt(0);
    // unix: `/path 1234 * 5678`, `@abstract 1234`, `* 1234`
    if (c === 47 || c === 64 || (lt === "*" && isDigits(pt))) return "unix-socket";
    if (!lt.includes(":") && isDigits(pt)) return "unix-socket";
    if (!pt.includes(":")) {
      const colon = lt.indexOf(":");
      if (colon > 0 && isDigits(lt.slice(0, colon))) return "netlink-socket";
      return "other-socket";
    }
    return null;
  }

  private ignoreRow(no: number, reason: Ignore): void {
    this.prev = reason;
    this.ctx.ignore(no, reason);
  }

  private bad(no: number, text: string, why: string, hint?: string): void {
    this.prev = "none";
    this.ctx.skip(
      no,
      "E_SS_ROW",
      `not an ss socket row: ${why}`,
      text,
      hint ?? "rows look like `ESTAB 0 0 127.0.0.1:8080 127.0.0.1:39862 users:((\"docker-proxy\",pid=11673,fd=3))`",
    );
  }

  private continuation(text: string, no: number): void {
    if (this.prev === "row") {
      // -i/-m details of the previous socket: data, nothing natlens models.
      if (this.tableProto === null && (text.includes("cwnd:") || text.includes(" rto:"))) this.decideProto("tcp");
      return;
    }
    if (this.prev !== "none") {
      this.ctx.ignore(no, this.prev);
      return;
    }
    this.ctx.skip(no, "E_SS_CONTINUATION", "TAB-indented detail line without a socket row before it", text, "keep `ss -i`/`-m` detail lines right after their socket row");
  }

  /** Gather per-file evidence from a row. */
  private learn(r: Row): void {
    if (this.legacyStar === null) {
      for (const e of [r.local, r.peer]) {
        if (e.bracketed || e.host === "0.0.0.0") {
          this.legacyStar = false;
          break;
        }
        if (e.host.includes(":")) {
          this.legacyStar = true;
          break;
        }
      }
    }
    if (r.proto === null && this.tableProto === null) {
      if ((r.stateText && TCP_ONLY.has(r.stateText)) || r.timer !== null) this.decideProto("tcp");
      else if (r.stateText === "UNCONN") this.decideProto("udp");
    }
  }

  private decideProto(p: "tcp" | "udp"): void {
    this.tableProto = p;
    if (this.pending.length) this.flush(false);
  }

  private undecided(r: Row): boolean {
    return (r.proto === null && this.tableProto === null) || (this.legacyStar === null && rowNeedsStar(r));
  }

  /** Emit held rows in order; `force` applies defaults to what is still undecided. */
  private flush(force: boolean): void {
    if (!this.pending.length) return;
    if (!force && this.pending.some((r) => this.undecided(r))) {
      // keep order: emit the decided prefix only
      let k = 0;
      while (k < this.pending.length && !this.undecided(this.pending[k]!)) this.emit(this.pending[k++]!);
      this.pending = this.pending.slice(k);
      return;
    }
    if (force) {
      if (this.pending.some((r) => r.proto === null) && this.tableProto === null) {
        this.tableProto = "tcp";
        this.ctx.report(
          "info",
          this.pending[0]!.no,
          "I_SS_PROTO_ASSUMED",
          "no Netid column and no TCP- or UDP-only state in the listing; the sockets are taken as TCP",
          undefined,
          "capture with `ss -tanpe` and `ss -uanpe` (or `-tu` for a Netid column) to keep the protocol explicit",
        );
      }
      if (this.legacyStar === null && this.pending.some(rowNeedsStar)) this.legacyStar = false;
    }
    const rows = this.pending;
    this.pending = [];
    for (const r of rows) this.emit(r);
  }

  private emit(r: Row): void {
    const ctx = this.ctx;
    const proto = r.proto ?? this.tableProto ?? "tcp";
    const flags: SocketFlag[] = [];
    const names: string[] = [];
    const l = this.address(r.local, flags, names);
    const p = this.address(r.peer, flags, names);
    if (names.length && this.hostWarnings++ < REPORT_MAX) {
      ctx.report(
        "warning",
        r.no,
        "W_SS_HOSTNAME",
        `host name${names.length > 1 ? "s" : ""} ${names.map((x) => `\`${x}\``).join(" and ")} kept as written (ss -r resolved them)`,
        r.text,
        "capture with `ss -n` for numeric addresses",
      );
    }
    // the local side decides (a host name takes the peer's family)
    const family: 4 | 6 = l.known ? l.family : p.known ? p.family : 4;
    const localPort = this.port(r.local.port, proto, r, flags);
    const remotePort = this.port(r.peer.port, proto, r, flags);
    let state: SocketState;
    if (r.stateText === null) {
      state = remotePort === null ? (proto === "udp" ? "UNCONN" : "LISTEN") : "ESTABLISHED";
      if (!this.noStateReported) {
        this.noStateReported = true;
        ctx.report(
          "info",
          r.no,
          "I_SS_NO_STATE_COLUMN",
          "no State column (an ss state filter such as `state established`): connected sockets are taken as ESTABLISHED, sockets without a peer as LISTEN (TCP) or UNCONN (UDP)",
        );
      }
    } else {
      const s = stateFromText(r.stateText) ?? KERNEL_TCP_STATES.find((k) => k !== undefined && k === r.stateText!.replace(/-/g, "_")) ?? null;
      if (s === null) {
        state = "UNKNOWN";
        ctx.report("warning", r.no, "W_UNKNOWN_STATE", `unknown socket state \`${r.stateText}\``, r.text);
      } else if (s === "UNCONN" && proto === "tcp") {
        state = "CLOSE"; // ss prints TCP_CLOSE as UNCONN
      } else state = s;
    }
    const iface = r.local.iface ?? r.peer.iface;
    if (iface !== null) flags.push("bound-to-device");
    const first = r.procs[0];
    const rec: SocketRecord = {
      kind: "socket",
      source: { file: ctx.file, line: r.no },
      format: "ss",
      netns: ctx.netns,
      proto,
      family,
      localIp: l.ip,
      localPort,
      remoteIp: p.ip,
      remotePort,
      state,
      recvQ: r.recvQ,
      sendQ: r.sendQ,
      // -e prints uid: only when it is not 0
      uid: r.uid ?? (r.extended ? 0 : null),
      user: null,
      inode: r.inode,
      pid: first ? first.pid : null,
      program: first ? first.program : null,
      iface,
      timer: r.timer,
      processes: r.procs,
      flags: uniq(flags),
    };
    ctx.emit(rec);
  }

  private address(e: Endpoint, flags: SocketFlag[], names: string[]): { ip: string; family: 4 | 6; known: boolean } {
    if (e.host === "*") {
      return this.legacyStar ? { ip: "0.0.0.0", family: 4, known: true } : { ip: "::", family: 6, known: true };
    }
    const n = normalizeIpCached(e.host, this.ctx.caches);
    if (n) {
      if (n.mapped) flags.push("mapped");
      return { ip: n.ip, family: n.family, known: true };
    }
    flags.push("unresolved");
    if (!names.includes(e.host)) names.push(e.host);
    return { ip: e.host, family: 4, known: false };
  }

  private port(text: string, proto: "tcp" | "udp", r: Row, flags: SocketFlag[]): number | null {
    if (text === "*") return null;
    if (isDigits(text) && text.length <= 5) {
      const v = Number(text);
      if (v <= 65535) return v;
    }
    const n = servicePort(text, proto);
    if (n === null) {
      flags.push("unknown-service");
      if (this.serviceWarnings++ < REPORT_MAX) {
        this.ctx.report("warning", r.no, "W_SS_SERVICE", `service name \`${text}\` is not in natlens' table; port left empty`, r.text, "capture with `ss -n` for numeric ports");
      }
    }
    return n;
  }
}

function numberAt(text: string, at: number): number | null {
  let i = at;
  let v = 0;
  let n = 0;
  while (i < text.length) {
    const c = text.charCodeAt(i);
    if (c < 48 || c > 57) break;
    v = v * 10 + (c - 48);
    i++;
    n++;
  }
  return n ? v : null;
}

/** `-T` lists one tuple per thread: keep one per (pid, fd). */
function dedupe(procs: Proc[]): Proc[] {
  if (procs.length < 2) return procs;
  const seen = new Set<string>();
  const out: Proc[] = [];
  for (const p of procs) {
    const k = `${p.pid}/${p.fd}`;
    if (seen.has(k)) continue;
    seen.add(k);
    out.push(p);
  }
  return out;
}

function uniq(flags: SocketFlag[]): SocketFlag[] {
  return flags.length < 2 ? flags : [...new Set(flags)];
}

// ------------------------------------------------------------- detection --

/** How well a line matches an ss socket row without a header (`ss -H`). */
function rowShape(line: string): "row" | "other-row" | "no" {
  if (line.charCodeAt(0) === 9) return "other-row";
  const { toks } = tokens(line, 6);
  let i = 0;
  const t0 = toks[0] ?? "";
  let netid = false;
  if (isNetidWord(t0) && !isDigits(t0)) {
    if (UNIX_NETIDS.has(t0) || t0 === "nl" || OTHER_NETIDS.has(t0)) {
      return isStateWord(toks[1] ?? "") && isDigits(toks[2] ?? "") ? "other-row" : "no";
    }
    if (t0 !== "tcp" && t0 !== "udp") return "no";
    netid = true;
    i = 1;
  }
  const st = toks[i] ?? "";
  let state = false;
  if (isStateWord(st)) {
    if (stateFromText(st) === null) return "no";
    state = true;
    i++;
  }
  // netstat rows are `tcp 0 0 a:p b:p LISTEN`: a Netid always comes with a State in ss -H
  if (netid && !state) return "no";
  if (!isDigits(toks[i] ?? "") || !isDigits(toks[i + 1] ?? "")) return "no";
  const l = splitEndpoint(toks[i + 2] ?? "");
  const p = splitEndpoint(toks[i + 3] ?? "");
  if (!l || !p) return "no";
  // the token after the peer must not be a netstat state column
  const after = toks[i + 4];
  if (after !== undefined && isStateWord(after)) return "no";
  return "row";
}

export const ss: FormatParser = {
  id: "ss",
  title: "iproute2 ss socket listings (ss -tanpe, -uanpe, -tulpn, -peaonmi, -H, -O, old layouts)",
  kinds: ["socket"],
  commands: ["ss -tanpe", "ss -uanpe", "ss -tanpeiO", "ss -tulpn", "ss -peaonmi", "ss -anp", "ss -Htanp", "ss -tn state established"],
  sniff(head) {
    const first = head[0] ?? "";
    if (/^Total: \d+/.test(first)) return 0.05; // `ss -s` summary: not a socket listing
    for (let k = 0; k < Math.min(head.length, 3); k++) {
      if (HEADER_RE.test(head[k]!.trimStart())) return 0.95;
    }
    let rows = 0;
    let others = 0;
    let data = 0;
    let users = false;
    for (const l of head) {
      const s = rowShape(l);
      data++;
      if (s === "row") {
        rows++;
        if (!users && l.includes("users:((")) users = true;
      } else if (s === "other-row") others++;
    }
    if (rows === 0) return 0;
    if (rows + others === data) return users ? 0.8 : 0.7;
    return Math.min(0.45, (0.45 * (rows + others)) / data);
  },
  create: (ctx) => new SsParser(ctx),
};
