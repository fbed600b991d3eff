/**
 * net-tools `netstat` and BusyBox `netstat` socket listings (input-formats.md
 * §2): `-tanp`, `-tnp`, `-ltp`, `-antup`, `-W`, `-e`, `-o`, sosreport's
 * `-W -neopa`, and the forms without `-n` (host and service names).
 *
 * Rows are split on blanks (long addresses push the columns right, so offsets
 * cannot be trusted) with a hand-written tokenizer; the optional columns are
 * recognised by their shape, not by the header, so a headerless paste parses
 * too: after the state come `User Inode` (-e), `PID/Program` (-p, a token
 * `N/...` or `-`; the program text may hold blanks) and the timer (-o,
 * `name (secs/retrans/probes)` at the end of the row).
 *
 * What netstat may have cut is flagged `truncated`, never trusted silently:
 * - without -W net-tools cuts `addr` so that `addr:port` is 23 characters; a
 *   field of exactly 23 characters may be cut (IPv4 never reaches that width);
 *   a field wider than 23 proves -W (or BusyBox), which never cuts;
 * - the PID/Program text is cut to 19 (net-tools) or 20 (BusyBox) characters.
 */
import type { FormatParser, LineParser, ParseContext } from "../format.js";
import type { SocketFlag, SocketRecord, SocketState } from "../types.js";
import { normalizeIpCached } from "../net/index.js";
import { servicePort } from "./_services.js";
import { stateFromText } from "./_states.js";
import { isDigits } from "./_text.js";

const SECTION_RE = /^Active Internet connections \((servers and established|only servers|w\/o servers)\)\s*$/;
const HEADER_RE = /^Proto\s+Recv-Q\s+Send-Q\s+Local Address\s+Foreign Address\s+State\b/;
const UNIX_SECTION_RE = /^Active UNIX domain sockets \((servers and established|only servers|w\/o servers)\)\s*$/;
const UNIX_HEADER_RE = /^Proto\s+RefCnt\s+Flags\s+Type\s+State\s+I-Node\b/;
/** Headerless rows: `tcp 0 0 a:p b:p ...` (sniff only). */
const ROW_RE = /^(tcp|udp)6? +\d+ +\d+ +[^\s=]*:[^\s=]+ +[^\s=]*:[^\s=]+( |$)/;
const FOREIGN_RE = /^(tcp4|tcp46|udp4|udp46)\s|\(including servers\)|^\s*Proto\s+Local Address|^\s*Active Connections\s*$|\(state\)\s*$/;
const NOTE_RE = /^\s+will not be shown, you would have to be root to see it all\.\)\s*$/;
const TIMER_NAME_RE = /^(off|on|keepalive|timewait|probe|unkn-\d+)$/;
const TIMER_VALUE_RE = /^\(-?\d+\.\d+\/\d+\/\d+\)$/;

/** net-tools without -W: `addr:port` is cut to this many characters. */
const CUT_WIDTH = 23;
/** net-tools PID/Program buffer (19 characters + NUL); BusyBox prints at most 20. */
const PROGRAM_CUT = 19;
/** Distinct texts reported per warning code before the rest are only counted. */
const REPORT_CAP = 50;

/** Protocols netstat lists that natlens' socket records do not model. */
const UNMODELLED = new Map<string, string>([
  ["raw", "raw-socket"],
  ["raw6", "raw-socket"],
  ["udpl", "udplite-socket"],
  ["udpl6", "udplite-socket"],
  ["sctp", "sctp-socket"],
  ["sctp6", "sctp-socket"],
]);

/** Token offsets of the current line, reused for every line (no per-token objects). */
const MAX_TOKENS = 64;
const TS = new Int32Array(MAX_TOKENS);
const TE = new Int32Array(MAX_TOKENS);

/** Split on blanks (space, tab) into TS/TE; returns the token count (capped at MAX_TOKENS). */
function tokenize(line: string): number {
  const n = line.length;
  let count = 0;
  let i = 0;
  while (i < n && count < MAX_TOKENS) {
    let c = line.charCodeAt(i);
    while (c === 32 || c === 9) c = line.charCodeAt(++i);
    if (i >= n) break;
    TS[count] = i;
    while (i < n && c !== 32 && c !== 9) c = line.charCodeAt(++i);
    TE[count++] = i;
  }
  return count;
}

function tok(line: string, k: number): string {
  return line.slice(TS[k]!, TE[k]!);
}


/** Upper-case letters and underscores: a state word netstat could print. */
function isStateWord(s: string): boolean {
  if (s.length < 2) return false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (!((c >= 65 && c <= 90) || c === 95 || (c >= 48 && c <= 57 && i > 0))) return false;
  }
  return true;
}

/** A host name as a resolver could print it (no colon: that would be IPv6). */
function isHostName(s: string): boolean {
  if (s.length === 0) return false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (!((c >= 97 && c <= 122) || (c >= 65 && c <= 90) || (c >= 48 && c <= 57) || c === 45 || c === 46 || c === 95)) return false;
  }
  return true;
}

interface Endpoint {
  ip: string;
  /** Family of the address text; null for a name or an unparsable (cut) text. */
  family: 4 | 6 | null;
  port: number | null;
  mapped: boolean;
  truncated: boolean;
  unresolved: boolean;
  unknownService: string | null;
}

class NetstatParser implements LineParser {
  /** Inside an `Active UNIX domain sockets` (or other non-Internet) section. */
  private section: "inet" | "unix" | "other" = "inet";
  /** A field wider than the cut width was seen: -W or BusyBox, nothing is cut. */
  private wide = false;
  /** BusyBox evidence: an IPv6 row labelled tcp/udp, or its header padding. */
  private busybox = false;
  private readonly reported = new Map<string, Set<string>>();
  private readonly suppressed = new Map<string, number>();
  private readonly infoOnce = new Set<string>();
  /** The line being parsed, for diagnostics raised inside endpoint(). */
  private curNo = 0;
  private curText = "";

  constructor(private readonly ctx: ParseContext) {}

  line(text: string, no: number): void {
    this.curNo = no;
    this.curText = text;
    const c0 = text.charCodeAt(0);
    if (c0 === 65 /* A */ && text.startsWith("Active ")) {
      if (SECTION_RE.test(text)) {
        this.section = "inet";
        this.ctx.ignore(no, "header");
      } else if (UNIX_SECTION_RE.test(text)) {
        this.section = "unix";
        this.ctx.ignore(no, "unix-socket");
      } else {
        // Other -a sections (Bluetooth, AX.25, IPX, ...): not modelled.
        this.section = "other";
        this.ctx.ignore(no, "other-socket-section");
        this.once("I_NETSTAT_SECTION", `section "${text.trim()}" is not modelled; its lines are ignored`, no, text);
      }
      return;
    }
    if (c0 === 80 /* P */ && text.startsWith("Proto")) {
      if (HEADER_RE.test(text)) {
        this.section = "inet";
        // BusyBox pads "State" to 12 characters; net-tools to 11.
        if (/State {7}$/.test(text)) this.busybox = true;
        this.ctx.ignore(no, "header");
        return;
      }
      if (UNIX_HEADER_RE.test(text)) {
        this.section = "unix";
        this.ctx.ignore(no, "unix-socket");
        return;
      }
    }
    if (this.section === "unix" && text.startsWith("unix")) {
      this.ctx.ignore(no, "unix-socket");
      return;
    }
    // net-tools' non-root note is two lines; the driver knows the first one.
    if (c0 === 32 && NOTE_RE.test(text)) {
      this.ctx.ignore(no, "stderr");
      return;
    }
    if (this.section === "other") {
      this.ctx.ignore(no, "other-socket-section");
      return;
    }
    const count = tokenize(text);
    const proto = count > 0 ? tok(text, 0) : "";
    if (proto === "unix") {
      this.ctx.ignore(no, "unix-socket");
      return;
    }
    const unmodelled = UNMODELLED.get(proto);
    if (unmodelled) {
      this.ctx.ignore(no, unmodelled);
      this.once("I_NETSTAT_UNMODELLED", `${proto} sockets are not modelled; their rows are ignored`, no, text);
      return;
    }
    if (proto !== "tcp" && proto !== "tcp6" && proto !== "udp" && proto !== "udp6") {
      this.ctx.skip(no, "E_NETSTAT_LINE", "not a netstat line", text, "rows start with tcp, tcp6, udp or udp6; natlens reads Linux `netstat -tanpeW` output");
      return;
    }
    this.row(text, count, proto, no);
  }

  private row(text: string, count: number, label: "tcp" | "tcp6" | "udp" | "udp6", no: number): void {
    const proto = label === "tcp" || label === "tcp6" ? "tcp" : "udp";
    if (count < 5) {
      this.ctx.skip(no, "E_NETSTAT_ROW", `expected at least 5 fields (Proto Recv-Q Send-Q Local Foreign), found ${count}`, text, "was the line cut or wrapped?");
      return;
    }
    const recvQ = tok(text, 1), sendQ = tok(text, 2);
    if (!isDigits(recvQ) || !isDigits(sendQ)) {
      this.ctx.skip(no, "E_NETSTAT_ROW", "Recv-Q and Send-Q must be numbers", text, "rows look like `tcp        0      0 0.0.0.0:8080   0.0.0.0:*   LISTEN`");
      return;
    }
    const localText = tok(text, 3), remoteText = tok(text, 4);
    const lc = localText.lastIndexOf(":"), rc = remoteText.lastIndexOf(":");
    if (lc <= 0 || rc <= 0 || lc === localText.length - 1 || rc === remoteText.length - 1) {
      this.ctx.skip(no, "E_NETSTAT_ADDRESS", "local and foreign address must be ADDRESS:PORT", text, "expected fields like `127.0.0.1:8080`, `:::80`, `[::]:*`");
      return;
    }
    if (localText.length > CUT_WIDTH || remoteText.length > CUT_WIDTH) this.wide = true;
    const l = this.endpoint(localText, lc, proto);
    const r = typeof l === "string" ? l : this.endpoint(remoteText, rc, proto);
    if (typeof l === "string" || typeof r === "string") {
      this.ctx.skip(no, "E_NETSTAT_ADDRESS", (typeof l === "string" ? l : r) as string, text, "expected fields like `127.0.0.1:8080`, `:::80`, `[::]:*`, `localhost:http`");
      return;
    }

    // State: always printed for TCP; empty for an unconnected UDP socket.
    let i = 5;
    let state: SocketState;
    const st = count > 5 ? tok(text, 5) : undefined;
    if (proto === "tcp") {
      if (st === undefined) {
        this.ctx.skip(no, "E_NETSTAT_ROW", "TCP row without a state", text, "was the line cut?");
        return;
      }
      state = this.state(st, no, text);
      i = 6;
    } else if (st !== undefined && isStateWord(st)) {
      state = this.state(st, no, text);
      i = 6;
    } else {
      state = "UNCONN";
    }

    // Optional columns, recognised by shape.
    let timer: string | null = null;
    let end = count;
    if (end - i >= 2 && text.charCodeAt(TE[end - 1]! - 1) === 41 /* ) */ && TIMER_VALUE_RE.test(tok(text, end - 1)) && TIMER_NAME_RE.test(tok(text, end - 2))) {
      timer = text.slice(TS[end - 2]!, TE[end - 1]!);
      end -= 2;
    }
    let pidAt = -1;
    for (let k = i; k < end; k++) {
      const s = tok(text, k);
      if (s === "-" || (s.indexOf("/") > 0 && isDigits(s.slice(0, s.indexOf("/"))))) {
        pidAt = k;
        break;
      }
    }
    const before = (pidAt < 0 ? end : pidAt) - i;
    let uid: number | null = null;
    let user: string | null = null;
    let inode: number | null = null;
    if (before === 2) {
      const u = tok(text, i), ino = tok(text, i + 1);
      if (!isDigits(ino)) {
        this.ctx.skip(no, "E_NETSTAT_COLUMNS", `expected User and Inode after the state, found "${u} ${ino}"`, text, "natlens reads the columns of `netstat -tanpeo` (User Inode PID/Program Timer)");
        return;
      }
      if (isDigits(u)) uid = Number(u);
      else user = u;
      const n = Number(ino);
      inode = n === 0 ? null : n;
    } else if (before !== 0) {
      this.ctx.skip(no, "E_NETSTAT_COLUMNS", `unexpected text after the state: "${text.slice(TS[i]!, pidAt < 0 ? TE[end - 1]! : TS[pidAt]!).trim()}"`, text, "natlens reads the columns of `netstat -tanpeo` (User Inode PID/Program Timer)");
      return;
    }

    const flags: SocketFlag[] = [];
    let pid: number | null = null;
    let program: string | null = null;
    if (pidAt >= 0) {
      const pp = text.slice(TS[pidAt]!, TE[end - 1]!);
      if (pp !== "-") {
        const slash = pp.indexOf("/");
        pid = Number(pp.slice(0, slash));
        program = pp.slice(slash + 1);
        if (pp.length >= PROGRAM_CUT) {
          flags.push("truncated");
          this.warn("W_TRUNCATED_PROGRAM", pp, no, `PID/Program "${pp}" is at netstat's cut width (19 characters, BusyBox 20) and may be cut`, text, "match programs by prefix, or use `ps` for the full command line");
        }
        if (program === "") program = null;
      }
    }

    if (l.truncated || r.truncated) {
      if (!flags.includes("truncated")) flags.push("truncated");
    }
    if (l.mapped || r.mapped) flags.push("mapped");
    // net-tools prints a v4-mapped peer of a tcp6 socket as plain IPv4.
    const labelledV6 = label === "tcp6" || label === "udp6";
    if (labelledV6 && !l.mapped && !r.mapped && (l.family === 4 || r.family === 4)) flags.push("mapped");
    if (l.unresolved || r.unresolved) flags.push("unresolved");
    if (l.unknownService || r.unknownService) flags.push("unknown-service");
    // BusyBox labels IPv6 rows tcp/udp.
    if (!labelledV6 && (l.family === 6 || r.family === 6 || l.mapped || r.mapped)) this.busybox = true;
    const family: 4 | 6 = l.family ?? r.family ?? (labelledV6 ? 6 : 4);

    const rec: SocketRecord = {
      kind: "socket",
      source: { file: this.ctx.file, line: no },
      format: "netstat",
      netns: this.ctx.netns,
      proto,
      family,
      localIp: l.ip,
      localPort: l.port,
      remoteIp: r.ip,
      remotePort: r.port,
      state,
      recvQ: Number(recvQ),
      sendQ: Number(sendQ),
      uid,
      user,
      inode,
      pid,
      program,
      iface: null,
      timer,
      processes: pid === null ? [] : [{ pid, program, fd: null }],
      flags,
    };
    this.ctx.emit(rec);
  }

  private state(text: string, no: number, line: string): SocketState {
    const s = stateFromText(text);
    if (s) return s;
    this.warn("W_UNKNOWN_STATE", text, no, `unknown socket state "${text}"`, line, "the state is kept as UNKNOWN");
    return "UNKNOWN";
  }

  /** Parse `addr:port` split at `colon`; a reason text when it is not usable at all. */
  private endpoint(field: string, colon: number, proto: "tcp" | "udp"): Endpoint | string {
    const addr = field.slice(0, colon);
    const portText = field.slice(colon + 1);
    const e: Endpoint = { ip: addr, family: null, port: null, mapped: false, truncated: false, unresolved: false, unknownService: null };
    // net-tools without -W: `addr:port` of exactly the cut width may have lost the end of addr.
    const mayBeCut = field.length === CUT_WIDTH && !this.wide && !this.busybox;
    const n = normalizeIpCached(addr, this.ctx.caches);
    if (n) {
      e.ip = n.ip;
      e.family = n.family;
      e.mapped = n.mapped;
      // IPv4 (at most 15 + 1 + 5 characters) never reaches the cut width.
      if (mayBeCut && n.family === 6) {
        e.truncated = true;
        this.warn("W_TRUNCATED_ADDRESS", field, this.curNo, `address "${field}" is at netstat's ${CUT_WIDTH}-character limit and may be cut`, this.curText, "capture with `netstat -W` (wide) so addresses are not cut");
      }
    } else if (addr.indexOf(":") >= 0 || mayBeCut) {
      // Not an address: an IPv6 address or a name cut by netstat.
      if (!mayBeCut) return `"${field}" is not an IPv6 address`;
      e.truncated = true;
      e.family = addr.indexOf(":") >= 0 ? 6 : null;
      if (e.family === null) {
        if (!isHostName(addr)) return `"${field}" is neither an address nor a host name`;
        e.unresolved = true;
      }
      this.warn("W_TRUNCATED_ADDRESS", field, this.curNo, `address "${field}" was cut by netstat (it is not a whole address)`, this.curText, "capture with `netstat -W` (wide) so addresses are not cut");
    } else {
      if (!isHostName(addr)) return `"${field}" is neither an address nor a host name`;
      e.unresolved = true;
      this.warn("W_UNRESOLVED_HOST", addr, this.curNo, `host name "${addr}" kept as written (not an address)`, this.curText, "capture with `netstat -n` to get numeric addresses");
    }
    if (portText === "*") e.port = null;
    else if (isDigits(portText)) {
      const p = Number(portText);
      if (p > 65535) return `port ${portText} of "${field}" is out of range`;
      e.port = p;
    } else {
      const p = servicePort(portText, proto);
      if (p === null) {
        e.unknownService = portText;
        this.warn("W_UNKNOWN_SERVICE", portText, this.curNo, `service name "${portText}" is not in natlens' services table; port left empty`, this.curText, "capture with `netstat -n` to get numeric ports");
      }
      e.port = p;
    }
    return e;
  }

  private warn(code: string, key: string, no: number, message: string, text: string, hint: string): void {
    let seen = this.reported.get(code);
    if (!seen) this.reported.set(code, (seen = new Set()));
    if (seen.has(key)) return;
    if (seen.size >= REPORT_CAP) {
      this.suppressed.set(code, (this.suppressed.get(code) ?? 0) + 1);
      return;
    }
    seen.add(key);
    this.ctx.report("warning", no, code, message, text, hint);
  }

  private once(code: string, message: string, no: number, text: string): void {
    if (this.infoOnce.has(message)) return;
    this.infoOnce.add(message);
    this.ctx.report("info", no, code, message, text);
  }

  end(): void {
    for (const [code, n] of this.suppressed) {
      this.ctx.report("warning", null, code, `${n} more distinct values with ${code} were not reported one by one`);
    }
  }
}

export const netstat: FormatParser = {
  id: "netstat",
  title: "netstat socket listing (net-tools and BusyBox; -tanpeoW, -W -neopa, with or without -n)",
  kinds: ["socket"],
  commands: ["netstat -tanpeW", "netstat -antup", "netstat -W -neopa", "netstat -tap", "busybox netstat -tan"],
  sniff(head) {
    let section = false;
    let header = false;
    let unix = false;
    let rows = 0;
    let data = 0;
    let firstOurs = false;
    for (let k = 0; k < head.length; k++) {
      const l = head[k]!;
      if (FOREIGN_RE.test(l)) return 0;
      if (NOTE_RE.test(l)) continue;
      let ours = true;
      if (SECTION_RE.test(l)) section = true;
      else if (HEADER_RE.test(l)) header = true;
      else if (UNIX_SECTION_RE.test(l) || UNIX_HEADER_RE.test(l)) unix = true;
      else if (!l.startsWith("unix ")) {
        data++;
        if (ROW_RE.test(l)) rows++;
        else ours = false;
      }
      if (k === 0 || (k === 1 && NOTE_RE.test(head[0]!))) firstOurs = ours;
    }
    let score = 0;
    if (section && header) score = 0.95;
    else if (header) score = 0.9;
    else if (section) score = 0.8;
    else if (unix) score = 0.7;
    // Headerless rows (grep output): the row grammar is distinctive but not unique.
    else if (data > 0 && rows / data >= 0.8) score = 0.55;
    else if (rows > 0) score = 0.3 * (rows / data);
    // A netstat table further down a file that starts with something else.
    if (!firstOurs) score *= 0.6;
    return score;
  },
  // sections and headers start with `Active` or `Proto`, rows with `tcp` or `udp`
  rejects(head) {
    for (const l of head) {
      const c = l.charCodeAt(0);
      if (c === 65 || c === 80 || c === 116 || c === 117) return false;
    }
    return true;
  },
  create: (ctx) => new NetstatParser(ctx),
};
