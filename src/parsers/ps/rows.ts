/**
 * The `ps` LineParser: headers, rows read by the header's layout (or a
 * header-less row's shape), thread rows folded into their process, command
 * lines cut at the terminal width, and docker-proxy / dockerd arguments
 * (_ps-docker.ts).
 */
import type { LineParser, ParseContext } from "../../format.js";
import type { ProcessFlag, ProcessRecord } from "../../types.js";
import { dockerKind, parseDockerd, parseDockerProxy } from "../_ps-docker.js";
import { headerLayout, headerlessShape, isUint, type Layout, scanLead, stripForest } from "./columns.js";

const HINT_FULL = "capture `ps -efww` (or `ps auxwww`) so command lines are not cut at the terminal width";

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

export class PsParser implements LineParser {
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
