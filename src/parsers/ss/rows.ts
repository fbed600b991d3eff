/**
 * The `ss` LineParser: headers, summary lines, socket rows and `-i`/`-m`
 * continuation lines, and the facts decided per file (the protocol of a
 * listing without Netid, what a bare `*` means), with rows held back until
 * they are decided.
 */
import type { LineParser, ParseContext } from "../../format.js";
import type { SocketFlag, SocketRecord, SocketState } from "../../types.js";
import { canonicalIpv4Value, normalizeIpCached, sharedQuad } from "../../net/index.js";
import { servicePort } from "../_services.js";
import { KERNEL_TCP_STATES, stateFromText } from "../_states.js";
import { isDigits } from "../_text.js";
import { dedupe, type Endpoint, HEADER_RE, isNetidWord, isStateWord, numberAt, OTHER_NETIDS, parseUsers, type Proc, splitEndpoint, tokens, UNIX_NETIDS } from "./fields.js";

/** Rows held back while the protocol or the `*` meaning is undecided. */
const PENDING_MAX = 4096;
/** Per-line warnings of one kind reported before they are only counted. */
const REPORT_MAX = 5;

/** TCP states that UDP sockets never have (ss spelling). */
const TCP_ONLY = new Set(["LISTEN", "SYN-SENT", "SYN-RECV", "FIN-WAIT-1", "FIN-WAIT-2", "TIME-WAIT", "CLOSE-WAIT", "LAST-ACK", "CLOSING"]);
const SUMMARY_WORDS = new Set(["Total:", "TCP:", "Transport", "RAW", "UDP", "TCP", "INET", "FRAG"]);

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

export class SsParser implements LineParser {
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
    // a dotted quad in normal form (most rows): normalizeIp's own first case, without the cache lookup
    const v4 = canonicalIpv4Value(e.host);
    if (v4 >= 0) return { ip: sharedQuad(v4, e.host, this.ctx.caches), family: 4, known: true };
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

function uniq(flags: SocketFlag[]): SocketFlag[] {
  return flags.length < 2 ? flags : [...new Set(flags)];
}
