/**
 * The line grammar of `ps` listings: the column labels of procps and BusyBox,
 * a header's layout (which words before the command column), a row's leading
 * columns read by that layout (start-time columns of 1, 2 or 5 words, forest
 * art), and the shapes of rows whose header was cut off (`ps aux | grep`).
 */
import { blankWords, isDigits } from "../_text.js";

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

export interface Layout {
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

export const words = blankWords;

/** The layout a header line describes, or null when the line is not a ps header. */
export function headerLayout(line: string): Layout | null {
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

export function isUint(s: string): boolean {
  return s.length <= 10 && isDigits(s);
}

/** Remove `ps f` forest art (` \_ `, `|`) and `-H` indentation from the front of a command. */
export function stripForest(s: string): string {
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
export function scanLead(text: string, layout: Layout): { fields: { at: (string | null)[]; end: number }; short: boolean } {
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
export function headerlessShape(line: string): (typeof HEADERLESS)[number] | null {
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
