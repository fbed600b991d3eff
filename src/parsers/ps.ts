/**
 * `ps` listings from procps and BusyBox (input-formats.md §4, docker-paths.md §2):
 * `-ef`, `-efww`, `-efH`, `aux[www]`, `auxwwwm` (thread rows), `auxfwww` and
 * `axjf` (forest), `alxwww`, `-elfL` / `-eLf` (a row per thread), `-eo` / `axo`
 * custom columns, BusyBox `ps`, `ps w`, `ps -o ...`.
 *
 * The header names the columns. Every column before the command column is one
 * blank-separated word (STARTED, from `lstart`, is five words); the command
 * column keeps the rest of the line verbatim, except that columns named after
 * it (`comm,cgroup`) are peeled off the end. Nothing is sliced by character
 * position: column widths move with procps versions and pid_max.
 *
 * Rows of one process's threads (`-L`: the PID repeats; `m`: rows with `-` as
 * PID) fold into one record with a thread count. docker-proxy and dockerd argv
 * are parsed by _ps-docker.ts.
 */
import type { FormatParser, LineParser, ParseContext } from "../format.js";
import type { ProcessFlag, ProcessRecord } from "../types.js";
import { dockerKind, parseDockerd, parseDockerProxy } from "./_ps-docker.js";

/** Column labels printed by procps-ng and BusyBox `ps`. */
const KNOWN_LABELS = new Set([
  "F", "S", "UID", "PID", "PPID", "LWP", "C", "NLWP", "PRI", "NI", "ADDR", "SZ", "WCHAN", "STIME", "TTY", "TT",
  "TIME", "CMD", "COMMAND", "ARGS", "USER", "%CPU", "%MEM", "VSZ", "RSS", "STAT", "START", "STARTED", "PGID", "PGRP",
  "SID", "SESS", "TPGID", "GROUP", "RUSER", "EUSER", "RUID", "EUID", "RGROUP", "EGROUP", "GID", "FGROUP", "FUSER",
  "SUSER", "SGROUP", "CGROUP", "TID", "SPID", "THCNT", "PSR", "ELAPSED", "CLS", "RTPRIO", "POL", "CPUID", "LABEL",
  "MNTNS", "NETNS", "PIDNS", "IPCNS", "UTSNS", "USERNS", "CGROUPNS", "TIMENS", "RSZ", "MAJFL", "MINFL", "CP", "OWNER",
  "LXC", "UNIT", "UUNIT", "SEAT", "SLICE", "MACHINE", "SVGID", "SVUID", "PCPU", "PMEM", "NICE", "VSIZE", "ENVIRONMENT",
]);
const COMMAND_LABELS = new Set(["CMD", "COMMAND", "ARGS"]);
const USER_LABELS = ["USER", "UID", "RUSER", "EUSER", "OWNER", "RUID", "EUID"];
const LWP_LABELS = ["LWP", "TID", "SPID"];
const NLWP_LABELS = ["NLWP", "THCNT"];
/**
 * Start-time columns whose word count varies: `lstart` (STARTED) prints
 * `Fri Nov 27 18:09:16 2026`, `start` (STARTED) and `bsdstart` (START) print
 * `18:09:16` / `Nov 26`, `start_time` (START) prints `18:09` / `Nov26` / `2025`.
 */
const DATE_COLUMNS = new Set(["START", "STARTED"]);
const WEEKDAYS = new Set(["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]);
const MONTHS = new Set(["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]);

const HINT_FULL = "capture `ps -efww` (or `ps auxwww`) so command lines are not cut at the terminal width";

interface Layout {
  /** Word count of each column before the command column; 0 for a start-time column (1, 2 or 5 words). */
  lead: number[];
  /** Number of columns after the command column (each one word). */
  trail: number;
  pid: number;
  ppid: number;
  user: number;
  lwp: number;
  nlwp: number;
  stat: number;
  width: number;
  /** Columns whose text is used. */
  need: boolean[];
}

function words(line: string): string[] {
  const out: string[] = [];
  let i = 0;
  const n = line.length;
  while (i < n) {
    while (i < n && (line.charCodeAt(i) === 32 || line.charCodeAt(i) === 9)) i++;
    if (i >= n) break;
    const s = i;
    while (i < n && line.charCodeAt(i) !== 32 && line.charCodeAt(i) !== 9) i++;
    out.push(line.slice(s, i));
  }
  return out;
}

/** The layout a header line describes, or null when the line is not a ps header. */
function headerLayout(line: string): Layout | null {
  const t = words(line);
  if (t.length < 2 || t.length > 40) return null;
  let cmd = -1;
  for (let i = 0; i < t.length; i++) {
    if (!KNOWN_LABELS.has(t[i]!)) return null;
    if (COMMAND_LABELS.has(t[i]!)) cmd = i;
  }
  const pidAt = t.indexOf("PID");
  if (pidAt < 0 || cmd < 0 || pidAt > cmd) return null;
  const before = t.slice(0, cmd);
  const find = (labels: string[]) => {
    for (const l of labels) {
      const i = before.indexOf(l);
      if (i >= 0) return i;
    }
    return -1;
  };
  const layout: Layout = {
    lead: before.map((l) => (DATE_COLUMNS.has(l) ? 0 : 1)),
    trail: t.length - cmd - 1,
    pid: pidAt,
    ppid: before.indexOf("PPID"),
    user: find(USER_LABELS),
    lwp: find(LWP_LABELS),
    nlwp: find(NLWP_LABELS),
    stat: find(["STAT", "S"]),
    width: t.length,
    need: [],
  };
  layout.need = before.map((_, i) => i === layout.pid || i === layout.ppid || i === layout.user || i === layout.lwp || i === layout.nlwp || i === layout.stat);
  return layout;
}

function isUint(s: string): boolean {
  if (s.length === 0 || s.length > 10) return false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 48 || c > 57) return false;
  }
  return true;
}

/** Remove `ps f` forest art (` \_ `, `|`) and `-H` indentation from the front of a command. */
function stripForest(s: string): string {
  let i = 0;
  const n = s.length;
  for (;;) {
    while (i < n && s.charCodeAt(i) === 32) i++;
    if (s.charCodeAt(i) === 92 && s.charCodeAt(i + 1) === 95 && s.charCodeAt(i + 2) === 32) i += 3; // "\_ "
    else if (s.charCodeAt(i) === 124 && (i + 1 >= n || s.charCodeAt(i + 1) === 32)) i += 1; // "|"
    else break;
  }
  return i === 0 ? s : s.slice(i);
}

function isBlankAt(s: string, i: number): boolean {
  const c = s.charCodeAt(i);
  return c === 32 || c === 9;
}

/** End of the word that starts at `i`. */
function wordEnd(s: string, i: number): number {
  const n = s.length;
  while (i < n && !isBlankAt(s, i)) i++;
  return i;
}

function skipBlanks(s: string, i: number): number {
  const n = s.length;
  while (i < n && isBlankAt(s, i)) i++;
  return i;
}

/**
 * Walk the columns before the command: `at` holds the text of the columns
 * natlens uses (null for the others), `end` where the walk stopped; `short`
 * when the line ended first.
 */
function scanLead(text: string, layout: Layout): { fields: { at: (string | null)[]; end: number }; short: boolean } {
  const n = text.length;
  const at = new Array<string | null>(layout.lead.length).fill(null);
  let i = 0;
  for (let c = 0; c < layout.lead.length; c++) {
    i = skipBlanks(text, i);
    const start = i;
    if (start >= n) return { fields: { at, end: i }, short: true };
    i = wordEnd(text, i);
    const words = layout.lead[c]!;
    if (words === 0) {
      const first = i - start === 3 ? text.slice(start, i) : "";
      if (WEEKDAYS.has(first)) {
        // `Fri Nov 27 18:09:16 2026`
        for (let k = 0; k < 4; k++) i = wordEnd(text, skipBlanks(text, i));
      } else if (MONTHS.has(first)) {
        // `Nov 26` (bsdstart, start): a day number follows
        const d = skipBlanks(text, i);
        const e = wordEnd(text, d);
        if (e - d >= 1 && e - d <= 2 && isUint(text.slice(d, e))) i = e;
      }
    } else {
      for (let k = 1; k < words; k++) i = wordEnd(text, skipBlanks(text, i));
    }
    if (layout.need[c]) at[c] = text.slice(start, i);
  }
  return { fields: { at, end: i }, short: false };
}

/**
 * Listings without their header (`ps aux | grep docker-proxy` drops it), told
 * apart by the shape of a row: each entry is the header the command prints
 * and a test per column before the command. Most specific first.
 */
const UINT = /^\d+$/;
const TTY = /^(\?|-|pts\/\d+|tty[\w/]*|console|hvc\d+)$/;
const STAT = /^[DIRSTtWXZ][<NLsl+]*$/;
const CPUTIME = /^(\d+-)?\d+:\d\d(:\d\d)?$/;
const STIME = /^(\d\d:\d\d|[A-Z][a-z]{2}\d\d|\d{4})$/;
const USERNAME = /^[A-Za-z_][\w.+-]*\+?$|^\d+$/;
const HEADERLESS: { command: string; header: string; columns: RegExp[]; weak?: boolean }[] = [
  { command: "ps aux", header: "USER PID %CPU %MEM VSZ RSS TTY STAT START TIME COMMAND", columns: [USERNAME, UINT, /^\d+(\.\d+)?$/, /^\d+(\.\d+)?$/, UINT, UINT, TTY, STAT, STIME, CPUTIME] },
  { command: "ps -ef", header: "UID PID PPID C STIME TTY TIME CMD", columns: [USERNAME, UINT, UINT, UINT, STIME, TTY, CPUTIME] },
  { command: "ps ax", header: "PID TTY STAT TIME COMMAND", columns: [UINT, TTY, STAT, CPUTIME] },
  { command: "ps -e", header: "PID TTY TIME CMD", columns: [UINT, TTY, CPUTIME] },
  { command: "BusyBox ps", header: "PID USER TIME COMMAND", columns: [UINT, USERNAME, CPUTIME] },
  { command: "BusyBox ps (old)", header: "PID USER VSZ STAT COMMAND", columns: [UINT, USERNAME, /^\d+[mg]?$/, STAT] },
  // two columns say little: the command must be a path, a `[kernel thread]` or name Docker
  { command: "BusyBox ps", header: "PID USER COMMAND", columns: [UINT, USERNAME], weak: true },
];
const WEAK_COMMAND = /^(\/|\[|\{)|docker/;

/** The headerless shape a row has (its columns and a command after them), or null. */
function headerlessShape(line: string): (typeof HEADERLESS)[number] | null {
  const w = words(line);
  for (const h of HEADERLESS) {
    if (w.length <= h.columns.length) continue;
    let ok = true;
    for (let i = 0; i < h.columns.length && ok; i++) ok = h.columns[i]!.test(w[i]!);
    if (ok && h.weak && !WEAK_COMMAND.test(w[h.columns.length]!)) ok = false;
    if (ok) return h;
  }
  return null;
}

interface Pending {
  rec: ProcessRecord;
  pidText: string;
  args: string;
  rows: number;
  dashRows: number;
  nlwp: number | null;
  /** Length of the row as printed, for the terminal-width check (-1: not a candidate). */
  len: number;
  printed: string;
  no: number;
}

/** Rows looked at before deciding whether the listing is cut at a terminal width. */
const WIDTH_SAMPLE = 64;
/** Names a cut program name may be the start of. */
const CUT_NAMES = ["docker-proxy-current", "dockerd-current", "rootlesskit-docker-proxy"];

/** `doc`, `docker-p`, `rootlesskit-doc`: the start of a Docker program name (3+ characters, 12+ for rootlesskit). */
function mayBeCutDockerName(name: string): boolean {
  const min = name.startsWith("r") ? 12 : 3;
  return name.length >= min && CUT_NAMES.some((n) => n !== name && n.startsWith(name));
}

class PsParser implements LineParser {
  private layout: Layout | null = null;
  private pending: Pending | null = null;
  private maxLen = 0;
  private atMax = 0;
  private started = 0;
  /** Records held until the width decision (at most WIDTH_SAMPLE). */
  private queue: Pending[] = [];
  private decided = false;
  /** The width rows were cut at, or 0. */
  private cutWidth = 0;
  private bareDocker = 0;
  private bareDockerLine = 0;

  constructor(private readonly ctx: ParseContext) {}

  line(text: string, no: number): void {
    // Cheap pre-check: every header names a PID column.
    if (text.indexOf("PID") >= 0) {
      const l = headerLayout(text);
      if (l) {
        this.flush();
        this.layout = l;
        this.ctx.ignore(no, "header");
        return;
      }
    }
    if (text.startsWith("$ ")) {
      this.ctx.ignore(no, "banner");
      return;
    }
    let layout = this.layout;
    if (!layout) {
      const shape = headerlessShape(text);
      if (shape) {
        layout = this.layout = headerLayout(shape.header)!;
        this.ctx.report(
          "info",
          no,
          "I_PS_NO_HEADER",
          `ps rows without a header line: columns read as \`${shape.command}\` prints them (${shape.header}) from the shape of the rows`,
          text,
          "keep the header line of the ps output when you can",
        );
        return this.row(text, no, layout);
      }
      this.ctx.skip(
        no,
        "E_PS_NO_HEADER",
        "ps row before any header line, and not the shape of a known ps listing: the columns are unknown",
        text,
        "keep the header line (`UID PID PPID ... CMD`) of the ps output",
      );
      return;
    }
    this.row(text, no, layout);
  }

  private row(text: string, no: number, layout: Layout): void {
    const n = text.length;
    const { fields, short } = scanLead(text, layout);
    let i = fields.end;
    while (i < n && (text.charCodeAt(i) === 32 || text.charCodeAt(i) === 9)) i++;
    let end = n;
    while (end > i && (text.charCodeAt(end - 1) === 32 || text.charCodeAt(end - 1) === 9)) end--;
    const trail: string[] = [];
    for (let k = 0; k < layout.trail && end > i; k++) {
      let s = end;
      while (s > i && text.charCodeAt(s - 1) !== 32 && text.charCodeAt(s - 1) !== 9) s--;
      trail.unshift(text.slice(s, end));
      end = s;
      while (end > i && (text.charCodeAt(end - 1) === 32 || text.charCodeAt(end - 1) === 9)) end--;
    }
    if (short) {
      this.ctx.skip(no, "E_PS_ROW", `expected ${layout.width} columns as the header says, the row is shorter`, text, "rows must line up with the header line above them");
      return;
    }
    const pidText = fields.at[layout.pid]!;
    if (pidText === "-") {
      // `ps m`: a thread row of the process above.
      if (this.pending) this.pending.dashRows++;
      else this.ctx.skip(no, "E_PS_ORPHAN_THREAD", "thread row (`-` as PID) without a process row above it", text, "keep the process row that precedes its thread rows (`ps auxwwwm`)");
      return;
    }
    const ppidText = layout.ppid >= 0 ? fields.at[layout.ppid]! : null;
    if (!isUint(pidText) || (ppidText !== null && !isUint(ppidText))) {
      this.ctx.skip(no, "E_PS_ROW", `PID${ppidText !== null ? "/PPID" : ""} is not a number: the row does not fit the header`, text, "rows must line up with the header line above them");
      return;
    }
    if (layout.trail > 0 && trail.length < layout.trail) {
      this.ctx.skip(no, "E_PS_ROW", `expected ${layout.trail} column(s) after the command`, text, "rows must line up with the header line above them");
      return;
    }
    const args = stripForest(text.slice(i, end));
    if (args.length === 0) {
      this.ctx.skip(no, "E_PS_ROW", "the command column is empty", text, "rows must line up with the header line above them");
      return;
    }
    const p = this.pending;
    if (p && p.pidText === pidText && (layout.lwp >= 0 || p.args === args)) {
      p.rows++; // another thread (`-L`) of the same process
      return;
    }
    this.flush();
    const user = layout.user >= 0 ? fields.at[layout.user]! : null;
    const nlwpText = layout.nlwp >= 0 ? fields.at[layout.nlwp]! : null;
    const stat = layout.stat >= 0 ? fields.at[layout.stat]! : "";
    this.pending = {
      rec: this.record(no, Number(pidText), ppidText === null ? null : Number(ppidText), user, args, stat),
      pidText,
      args,
      rows: 1,
      dashRows: 0,
      nlwp: nlwpText !== null && isUint(nlwpText) ? Number(nlwpText) : null,
      // Only a command that runs to the end of the line can be cut at the terminal width.
      len: layout.trail === 0 ? text.length : -1,
      printed: args,
      no,
    };
  }

  private record(no: number, pid: number, ppid: number | null, user: string | null, printed: string, stat: string): ProcessRecord {
    const flags: ProcessFlag[] = [];
    let args = printed;
    // BusyBox prefixes `{comm} ` when the task name differs from argv[0].
    if (args.charCodeAt(0) === 123) {
      const close = args.indexOf("} ");
      if (close > 1) args = args.slice(close + 2);
    }
    let command: string;
    let defunct = stat.charCodeAt(0) === 90; // Z
    if (args.endsWith(" <defunct>")) defunct = true;
    if (args.charCodeAt(0) === 91) {
      // `[kthreadd]`, `[nc] <defunct>`: no cmdline, only the task name.
      const close = args.indexOf("]");
      command = close > 0 ? args.slice(1, close) : args.slice(1);
      // A zombie also shows `[name]`; a kernel thread's parent is kthreadd (2) or 0.
      const kernel = !defunct && (ppid === null || ppid === 0 || ppid === 2 || pid === 2);
      if (kernel) flags.push("kernel-thread");
    } else {
      const sp = args.indexOf(" ");
      const argv0 = sp < 0 ? args : args.slice(0, sp);
      const slash = argv0.lastIndexOf("/");
      command = slash >= 0 && slash < argv0.length - 1 ? argv0.slice(slash + 1) : argv0;
    }
    if (defunct) flags.push("defunct");
    const rec: ProcessRecord = {
      kind: "process",
      source: { file: this.ctx.file, line: no },
      format: "ps",
      pid,
      ppid,
      user,
      command,
      args: printed.charCodeAt(0) === 123 ? args : printed,
      threads: null,
      dockerProxy: null,
      dockerd: null,
      flags,
    };
    return rec;
  }

  /**
   * Docker argv parsing, once it is known whether the row ends at the width
   * the listing was cut at (then its last word may be cut too).
   */
  private finish(rec: ProcessRecord, printed: string, no: number, cut: boolean): void {
    const flags = rec.flags;
    if (cut) flags.push("truncated");
    if (flags.includes("kernel-thread") || flags.includes("defunct")) return;
    const args = rec.args;
    const kind = dockerKind(rec.command);
    if (kind === null) {
      if (cut && args.indexOf(" ") < 0 && mayBeCutDockerName(rec.command)) {
        this.ctx.report("warning", no, "W_PS_TRUNCATED", `program name cut at the terminal width: \`${rec.command}\` may be a Docker process (dockerd, docker-proxy)`, printed, HINT_FULL);
      }
      return;
    }
    const bare = args.indexOf(" ") < 0;
    if (kind === "proxy") {
      const r = parseDockerProxy(args, cut, this.ctx.caches);
      rec.dockerProxy = r.value;
      if (r.truncated && !cut) flags.push("truncated");
      if (bare && !cut) {
        // A `comm` column: the name without arguments, so no mapping at all.
        if (this.bareDocker++ === 0) this.bareDockerLine = no;
      } else if (r.truncated) {
        this.ctx.report("warning", no, "W_PS_TRUNCATED", "docker-proxy command line is cut: the port mapping is incomplete; the cut values are left empty", printed, HINT_FULL);
      }
      for (const m of r.problems) this.ctx.report("warning", no, "W_PS_DOCKER_ARG", `docker-proxy argument not understood: ${m}`, printed);
    } else {
      const r = parseDockerd(args, cut);
      rec.dockerd = r.value;
      if (r.truncated) {
        if (!cut) flags.push("truncated");
        const message = cut
          ? "dockerd command line is cut at the terminal width: options past the cut are unknown and the last, possibly cut, one is left empty"
          : "dockerd command line ends in a cut option; it is left empty";
        this.ctx.report("warning", no, "W_PS_TRUNCATED", message, printed, HINT_FULL);
      }
      for (const m of r.problems) this.ctx.report("warning", no, "W_PS_DOCKER_ARG", `dockerd argument not understood: ${m}`, printed);
    }
  }

  private flush(): void {
    const p = this.pending;
    if (!p) return;
    this.pending = null;
    const layout = this.layout;
    if (p.nlwp !== null) p.rec.threads = p.nlwp;
    else if (p.dashRows > 0) p.rec.threads = p.dashRows;
    else if ((layout && layout.lwp >= 0) || p.rows > 1) p.rec.threads = p.rows;
    if (this.decided) {
      this.out(p);
      return;
    }
    if (p.len >= 0) {
      this.started++;
      if (p.len > this.maxLen) {
        this.maxLen = p.len;
        this.atMax = 1;
      } else if (p.len === this.maxLen) this.atMax++;
    }
    this.queue.push(p);
    if (this.queue.length >= WIDTH_SAMPLE) this.decide();
  }

  /** Rows cut at a terminal width all end at the same column: decide once, then release the held records. */
  private decide(): void {
    this.decided = true;
    if (this.maxLen >= 79 && this.atMax >= 3 && this.atMax * 3 >= this.started) {
      this.cutWidth = this.maxLen;
      this.ctx.report(
        "warning",
        null,
        "W_PS_CUT_AT_WIDTH",
        `${this.atMax} of ${this.started} rows end at column ${this.maxLen}: the listing looks cut at a terminal width; rows that reach it are flagged truncated`,
        undefined,
        HINT_FULL,
      );
    }
    const q = this.queue;
    this.queue = [];
    for (const p of q) this.out(p);
  }

  private out(p: Pending): void {
    this.finish(p.rec, p.printed, p.no, this.cutWidth > 0 && p.len === this.cutWidth);
    this.ctx.emit(p.rec);
  }

  end(): void {
    this.flush();
    if (!this.decided) this.decide();
    if (this.bareDocker > 0) {
      this.ctx.report(
        "warning",
        this.bareDockerLine,
        "W_PS_NO_ARGS",
        `${this.bareDocker} docker-proxy row(s) show the program name without arguments (a \`comm\` column): their port mappings are unknown`,
        undefined,
        "capture `ps -eo pid,ppid,user,args` or `ps -efww` to see the docker-proxy flags",
      );
    }
  }
}

export const ps: FormatParser = {
  id: "ps",
  title: "Process listings: procps ps (-ef, aux, -eLf, -eo ..., forest, threads) and BusyBox ps",
  kinds: ["process"],
  commands: [
    "ps -efww",
    "ps -ef",
    "ps -efH",
    "ps auxwww",
    "ps auxwwwm",
    "ps auxfwww",
    "ps axjf",
    "ps alxwww",
    "ps -elfL",
    "ps -eLf",
    "ps -eo pid,ppid,user,args",
    "ps axo pid,ppid,user,group,lwp,nlwp,start_time,comm,cgroup",
    "busybox ps",
    "busybox ps -o pid,ppid,user,args",
  ],
  sniff(head) {
    const limit = Math.min(head.length, 5);
    for (let h = 0; h < limit; h++) {
      const line = head[h]!;
      if (line.indexOf("PID") < 0) continue;
      const l = headerLayout(line);
      if (!l) continue;
      let score = h === 0 ? 0.85 : 0.75;
      const next = head[h + 1];
      if (next !== undefined) {
        const { fields, short } = scanLead(next, l);
        const pid = fields.at[l.pid];
        if (!short && pid && (isUint(pid) || pid === "-") && fields.end < next.length) score += 0.1;
        else score -= 0.2;
      }
      return score;
    }
    // rows without a header (`ps aux | grep docker-proxy`): every one of the first rows has one known shape
    const rows = head.slice(0, 5);
    const first = rows.length > 0 ? headerlessShape(rows[0]!) : null;
    if (!first || !rows.every((r) => headerlessShape(r) === first)) return 0;
    // a weak shape is claimed only with the command line above it naming ps (HINT_SCORE)
    if (first.weak) return 0.3;
    return rows.length >= 2 ? 0.6 : 0.5;
  },
  create: (ctx) => new PsParser(ctx),
};
