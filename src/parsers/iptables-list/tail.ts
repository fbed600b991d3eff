/**
 * The free-text tail of an `iptables -L` rule row: the match printouts
 * (`tcp dpt:8080`, `multiport dports`, `ADDRTYPE match`, `ctstate`, `mark
 * match`, comments) into the same structured matches as iptables-save, and the
 * target's printout (`to:`, `masq ports:`, `reject-with`, MARK) into NAT
 * targets and targetArgs; the rest stays verbatim in `other`.
 */
import type { ParseCaches } from "../../context.js";
import type { Negatable, PortRange, RuleMatches, RuleRecord } from "../../types.js";
import { NAT_TARGETS, parseNatSpec, parsePortSpec } from "../_iptables-rule.js";
import { negated } from "./columns.js";

const PORT_PROTOS = new Set(["tcp", "udp", "sctp", "dccp", "udplite"]);

export interface TailResult {
  goto: boolean;
  nat: RuleRecord["nat"];
  targetArgs: string[];
  error: string | null;
}

/** Words of the tail with `/* comment *\/` kept whole (as one word starting with `/*`). */
function tailWords(tail: string): string[] {
  const out: string[] = [];
  let i = 0;
  const n = tail.length;
  while (i < n) {
    while (i < n && tail.charCodeAt(i) === 32) i++;
    if (i >= n) break;
    if (tail.startsWith("/* ", i)) {
      const e = tail.indexOf(" */", i + 3);
      if (e >= 0) {
        out.push(tail.slice(i, e + 3));
        i = e + 3;
        continue;
      }
    }
    const s = i;
    while (i < n && tail.charCodeAt(i) !== 32) i++;
    out.push(tail.slice(s, i));
  }
  return out;
}

/**
 * The save syntax of a target printout where it is unambiguous, so both
 * formats give the same targetArgs: MARK (`MARK or 0x4000` is
 * `--set-xmark 0x4000/0x4000`, as libxt_MARK prints them) and CHECKSUM.
 * Null keeps the listing text.
 */
function targetPrintout(target: string, args: string[]): string | null {
  if (target === "CHECKSUM" && args.length === 1 && args[0] === "fill") return "--checksum-fill";
  if (target !== "MARK" || args.length !== 2) return null;
  const [op, val] = args as [string, string];
  const hex = (n: number) => `0x${(n >>> 0).toString(16)}`;
  const num = (t: string) => (/^0x[0-9a-f]+$/i.test(t) || /^\d+$/.test(t) ? Number(t) : null);
  if (op === "xset") {
    const [v, m] = val.split("/");
    const a = num(v ?? "");
    const b = num(m ?? "");
    return a === null || b === null ? null : `--set-xmark ${hex(a)}/${hex(b)}`;
  }
  const v = num(val);
  if (v === null) return null;
  if (op === "set") return `--set-xmark ${hex(v)}/0xffffffff`;
  if (op === "or") return `--set-xmark ${hex(v)}/${hex(v)}`;
  if (op === "and") return `--set-xmark 0x0/${hex(~v)}`;
  if (op === "xor") return `--set-xmark ${hex(v)}/0x0`;
  return null;
}

/**
 * Read the free-text tail of a row (`tcp dpt:8080 to:172.17.0.2:80`) into
 * matches and target details; `readPorts` reads a port spec (and reports one it
 * cannot read).
 */
export function readTail(tail: string, m: RuleMatches, target: string | null, readPorts: (spec: string, proto: string) => PortRange[] | null, caches: ParseCaches): TailResult {
  const r: TailResult = { goto: false, nat: null, targetArgs: [], error: null };
  if (tail === "") return r;
  const w = tailWords(tail);
  let run: string[] = [];
  const flush = () => {
    if (run.length) m.other.push(run.join(" "));
    run = [];
  };
  let neg = false;
  const setNeg = <T>(field: keyof RuleMatches, v: T, n: boolean): boolean => {
    if (m[field] !== null) return false;
    (m as unknown as Record<string, Negatable<T>>)[field] = { value: v, negated: n };
    return true;
  };
  let i = 0;
  while (i < w.length) {
    const x = w[i]!;
    if (x === "!" && i + 1 < w.length) {
      neg = true;
      i++;
      continue;
    }
    const bang = neg ? "! " : "";
    const wasNeg = neg;
    neg = false;
    if (x.startsWith("/* ") && x.endsWith(" */")) {
      flush();
      const c = x.slice(3, -3);
      if (m.comment === null) m.comment = c;
      else m.other.push(x);
      i++;
      continue;
    }
    if (x === "[goto]") {
      flush();
      r.goto = true;
      i++;
      continue;
    }
    if (PORT_PROTOS.has(x) && i + 1 < w.length && /^(s|d)pts?:|^flags:|^!?option=|^\[/.test(w[i + 1]!)) {
      flush();
      i++;
      const extra: string[] = [];
      while (i < w.length) {
        const y = w[i]!;
        const pm = /^(s|d)pts?:(!?)(.*)$/.exec(y);
        if (pm) {
          const field = pm[1] === "s" ? "sport" : "dport";
          const ports = readPorts(pm[3]!, x);
          if (!ports || !setNeg(field, ports, pm[2] === "!")) extra.push(y);
          i++;
          continue;
        }
        if (/^flags:|^!?option=|^\[|^!?(syn|ECE|CWR)$/.test(y)) {
          extra.push(y);
          i++;
          continue;
        }
        break;
      }
      if (extra.length) m.other.push(`${x} ${extra.join(" ")}`);
      continue;
    }
    if (x === "multiport" && i + 2 < w.length && /^(dports|sports|ports)$/.test(w[i + 1]!)) {
      flush();
      const kind = w[i + 1]!;
      const spec = negated(w[i + 2]!);
      const proto = m.proto?.value ?? "tcp";
      const ports = kind === "ports" ? null : readPorts(spec.v, proto);
      if (!ports || !setNeg(kind === "dports" ? "dport" : "sport", ports, spec.neg)) m.other.push(`multiport ${kind} ${w[i + 2]}`);
      i += 3;
      continue;
    }
    if (x === "ADDRTYPE" && w[i + 1] === "match") {
      flush();
      i += 2;
      const extra: string[] = [];
      while (i + 1 < w.length && /^(src-type|dst-type)$/.test(w[i]!)) {
        const v = negated(w[i + 1]!);
        if (!setNeg(w[i] === "src-type" ? "srcType" : "dstType", v.v, v.neg)) extra.push(`${w[i]} ${w[i + 1]}`);
        i += 2;
      }
      while (i < w.length && /^limit-(in|out)$/.test(w[i]!)) extra.push(w[i++]!);
      if (extra.length) m.other.push(`ADDRTYPE match ${extra.join(" ")}`);
      continue;
    }
    if ((x === "ctstate" || x === "state") && i + 1 < w.length && /^[A-Z,]+$/.test(w[i + 1]!)) {
      flush();
      if (!setNeg("ctstate", w[i + 1]!.split(","), wasNeg)) m.other.push(`${bang}${x} ${w[i + 1]}`);
      i += 2;
      continue;
    }
    if (x === "mark" && w[i + 1] === "match" && i + 2 < w.length) {
      flush();
      let j = i + 2;
      let n = false;
      if (w[j] === "!" && j + 1 < w.length) {
        n = true;
        j++;
      }
      if (!setNeg("mark", w[j]!, n)) m.other.push(`mark match ${n ? "! " : ""}${w[j]}`);
      i = j + 1;
      continue;
    }
    // target details (they come last)
    if (target !== null) {
      if (x.startsWith("to:") && (target === "DNAT" || target === "SNAT") && r.nat === null) {
        flush();
        const n = parseNatSpec(x.slice(3), caches);
        if (n) r.nat = n;
        else r.targetArgs.push(x);
        i++;
        continue;
      }
      if ((x === "masq" || x === "redir") && w[i + 1] === (x === "masq" ? "ports:" : "ports") && i + 2 < w.length) {
        flush();
        const n = parsePortSpec(w[i + 2]!);
        if (n && r.nat === null) r.nat = n;
        else r.targetArgs.push(`${x} ${w[i + 1]} ${w[i + 2]}`);
        i += 3;
        continue;
      }
      if ((x === "random" || x === "random-fully" || x === "persistent") && NAT_TARGETS.has(target)) {
        flush();
        r.targetArgs.push(`--${x}`);
        i++;
        continue;
      }
      if (x === "reject-with" && i + 1 < w.length) {
        flush();
        r.targetArgs.push(`--reject-with ${w[i + 1]}`);
        i += 2;
        continue;
      }
      if (x === target && x !== x.toLowerCase()) {
        // a target's own printout, e.g. `MARK or 0x4000`, `CHECKSUM fill`, `LOG flags 0 level 4`
        flush();
        const own = w.slice(i).join(" ");
        r.targetArgs.push(targetPrintout(x, w.slice(i + 1)) ?? own);
        break;
      }
    }
    run.push(`${bang}${x}`);
    i++;
  }
  if (neg) run.push("!");
  flush();
  return r;
}
