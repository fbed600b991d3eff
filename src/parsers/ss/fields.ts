/**
 * The line grammar of `ss` output: whitespace tokens, state and Netid words,
 * `addr:port` endpoints of every layout (`[::1]:80`, `*:80`, `::1:10031`,
 * `%iface` zones), the `users:((...))` process column, and the shape of a
 * socket row without a header (for detection).
 */
import type { ParseCaches } from "../../context.js";
import { intern } from "../../strings.js";
import { stateFromText } from "../_states.js";
import { isDigits } from "../_text.js";

export const HEADER_RE = /^(?:Netid\s+)?(?:State\s+)?Recv-Q\s+Send-Q\s+Local\s+Address:Port\s+Peer\s+Address:Port/;

export const UNIX_NETIDS = new Set(["u_str", "u_dgr", "u_seq", "u_seqpacket"]);
export const OTHER_NETIDS = new Set(["p_raw", "p_dgr", "raw", "sctp", "mptcp", "dccp", "tipc", "v_str", "v_dgr", "v_seq", "xdp", "icmp", "icmp6", "unknown"]);

/** A word that looks like an ss state (upper case and dashes). */
export function isStateWord(s: string): boolean {
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
export function isNetidWord(s: string): boolean {
  if (s.length === 0 || s.length > 12) return false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (!((c >= 97 && c <= 122) || c === 95 || (c >= 48 && c <= 57))) return false;
  }
  return true;
}

/** Whitespace tokenizer for the first `max` tokens; `ends[k]` is where token k ends. */
export function tokens(text: string, max: number): { toks: string[]; ends: number[] } {
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

export interface Endpoint {
  /** Address text without brackets and zone: `0.0.0.0`, `::1`, `*`, a host name. */
  host: string;
  bracketed: boolean;
  iface: string | null;
  /** Port text: digits, `*`, or a service name. */
  port: string;
}

/** Split `addr:port` where the last colon separates the port (every ss layout). */
export function splitEndpoint(tok: string): Endpoint | null {
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

export interface Proc {
  pid: number;
  program: string | null;
  fd: number | null;
}

/**
 * Parse `users:(("name",pid=1,fd=2),("x",pid=3,fd=4))` starting at `at` (the
 * `u`). Also the old unlabeled form `("sshd",1123,3)`, and `tid=`/`proc_ctx=`.
 * Returns the processes and the index after the closing `)`, or an error text.
 */
export function parseUsers(text: string, at: number, caches: ParseCaches): { procs: Proc[]; end: number } | string {
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


export function numberAt(text: string, at: number): number | null {
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
export function dedupe(procs: Proc[]): Proc[] {
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

/**
 * True when rowShape(line) cannot be "row", read from the first token alone
 * without tokenizing the line: a token with a character that no netid, state
 * word or number holds (`0:` of a /proc/net table), or a netid-like word
 * other than tcp and udp. False means "maybe": rowShape decides.
 */
export function cannotBeRow(line: string): boolean {
  const n = line.length;
  if (n === 0 || line.charCodeAt(0) === 9) return true;
  let i = 0;
  let c = line.charCodeAt(0);
  while (i < n && (c === 32 || c === 9)) c = line.charCodeAt(++i);
  if (i >= n) return true;
  const start = i;
  let netid = true;
  let digits = true;
  while (i < n && c !== 32 && c !== 9) {
    const digit = c >= 48 && c <= 57;
    if (!digit) digits = false;
    if (!(digit || (c >= 97 && c <= 122) || c === 95)) {
      if (!((c >= 65 && c <= 90) || c === 45)) return true;
      netid = false;
    }
    c = line.charCodeAt(++i);
  }
  if (!netid || digits || i - start > 12) return false;
  return !(i - start === 3 && (line.startsWith("tcp", start) || line.startsWith("udp", start)));
}

/** How well a line matches an ss socket row without a header (`ss -H`). */
export function rowShape(line: string): "row" | "other-row" | "no" {
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
