/**
 * One iptables-save / iptables -S rule line's grammar: the options after
 * `-A CHAIN` (negation before or after an option, core options, match modules
 * with the ones natlens models into RuleMatches, targets and their options,
 * `-c P B` and `[P:B]` counters). Tokens come from _iptables-rule.ts.
 */
import type { ParseCaches } from "../../context.js";
import type { Negatable, PortRange, RuleMatches, RuleRecord } from "../../types.js";
import { isDigits } from "../_text.js";
import { cidrOf, emptyMatches, parseNatSpec, parsePorts, parsePortSpec, protoName, type Token } from "../_iptables-rule.js";

const PORT_MODULES = new Set(["tcp", "udp", "sctp", "dccp", "udplite"]);

/** Result of parsing one rule's tokens; `error` set when the line cannot be parsed. */
export interface RuleParse {
  matches: RuleMatches;
  target: string | null;
  goto: boolean;
  nat: RuleRecord["nat"];
  targetArgs: string[];
  packets: number | null;
  bytes: number | null;
  /** Token index range of a `-c P B` option, removed from `text`. */
  counterAt: [number, number] | null;
  unresolved: string[];
  family: 4 | 6 | null;
  error: string | null;
}

export function isNum(s: string): boolean {
  return s.length <= 20 && isDigits(s);
}

/** `[123:4567]` to counters, or null. */
export function bracketCounters(s: string): { packets: number; bytes: number } | null {
  if (s.length < 5 || s[0] !== "[" || s[s.length - 1] !== "]") return null;
  const colon = s.indexOf(":");
  if (colon < 0) return null;
  const p = s.slice(1, colon);
  const b = s.slice(colon + 1, -1);
  if (!isNum(p) || !isNum(b)) return null;
  return { packets: Number(p), bytes: Number(b) };
}

const CORE = new Map<string, string>(Object.entries({
  "-s": "src",
  "--source": "src",
  "--src": "src",
  "-d": "dst",
  "--destination": "dst",
  "--dst": "dst",
  "-i": "in",
  "--in-interface": "in",
  "-o": "out",
  "--out-interface": "out",
  "-p": "proto",
  "--protocol": "proto",
  "-m": "match",
  "--match": "match",
  "-j": "jump",
  "--jump": "jump",
  "-g": "goto",
  "--goto": "goto",
  "-f": "frag",
  "--fragment": "frag",
  "-c": "counters",
  "--set-counters": "counters",
}));

function raw(line: string, t: Token): string {
  return line.slice(t.at, t.end);
}

/** True when a token starts an option (`-x`, `--xx`), judged on the raw text so a quoted "-x" is a value. */
function isOption(line: string, t: Token): boolean {
  return line.charCodeAt(t.at) === 45 && t.v.length > 1;
}

/**
 * Parse the tokens after `-A CHAIN`. Never throws; sets `error` for a line
 * that cannot be understood.
 */
export function parseRuleTokens(line: string, toks: readonly Token[], start: number, caches: ParseCaches): RuleParse {
  const r: RuleParse = {
    matches: emptyMatches(),
    target: null,
    goto: false,
    nat: null,
    targetArgs: [],
    packets: null,
    bytes: null,
    counterAt: null,
    unresolved: [],
    family: null,
    error: null,
  };
  const m = r.matches;
  let i = start;
  /** The current match module (or `target` after -j/-g). */
  let mod: string | null = null;
  /** The `other` entry collecting the current module's unmodelled options. */
  let modOther = -1;
  let neg = false;
  /** Whether the current modelled module got any option (else it is kept as `-m NAME` in other). */
  let modUsed = true;
  const endModule = () => {
    if (!modUsed && mod !== null && mod !== "target") m.other.push(`-m ${mod}`);
    modUsed = true;
  };

  const famOf = (v: string) => {
    if (r.family === null) r.family = v.includes(":") ? 6 : 4;
  };
  /** Next value token; old-style `--opt ! value` negation is folded in. */
  const value = (opt: string): { v: string; neg: boolean } | null => {
    let n = false;
    if (i < toks.length && toks[i]!.v === "!" && i + 1 < toks.length) {
      n = true;
      i++;
    }
    if (i >= toks.length) {
      r.error = `option ${opt} has no value`;
      return null;
    }
    return { v: toks[i++]!.v, neg: n };
  };
  /** Raw tokens that follow an option, up to the next option or `!` before an option. */
  const optionValues = (): string[] => {
    const vals: string[] = [];
    while (i < toks.length) {
      const t = toks[i]!;
      if (isOption(line, t)) break;
      if (t.v === "!" && i + 1 < toks.length && isOption(line, toks[i + 1]!)) break;
      vals.push(raw(line, t));
      i++;
    }
    return vals;
  };
  const addOther = (text: string) => {
    if (mod !== null && mod !== "target" && modOther >= 0) m.other[modOther] += ` ${text}`;
    else if (mod !== null && mod !== "target") {
      m.other.push(`-m ${mod} ${text}`);
      modOther = m.other.length - 1;
    } else m.other.push(text);
  };
  const ports = (opt: string, v: string): PortRange[] | null => {
    const p = parsePorts(v);
    if (!p) r.error = `${opt} ${v}: not a port or port range`;
    return p;
  };

  while (i < toks.length && r.error === null) {
    const t = toks[i]!;
    const tv = t.v;
    if (tv === "!" && i + 1 < toks.length) {
      neg = true;
      i++;
      continue;
    }
    const core = isOption(line, t) ? CORE.get(tv) : undefined;
    if (core !== undefined) {
      i++;
      if (core === "match" || core === "jump" || core === "goto") endModule();
      const wasNeg = neg;
      neg = false;
      switch (core) {
        case "src":
        case "dst": {
          const v = value(tv);
          if (!v) break;
          const c = cidrOf(v.v, caches);
          if (c.ok) famOf(c.value);
          else r.unresolved.push(v.v);
          const n: Negatable<string> = { value: c.value, negated: wasNeg || v.neg };
          if (core === "src") m.src = n;
          else m.dst = n;
          break;
        }
        case "in":
        case "out": {
          const v = value(tv);
          if (!v) break;
          const n = { value: v.v, negated: wasNeg || v.neg };
          if (core === "in") m.inIface = n;
          else m.outIface = n;
          break;
        }
        case "proto": {
          const v = value(tv);
          if (!v) break;
          const p = protoName(v.v);
          m.proto = p === null ? null : { value: p, negated: wasNeg || v.neg };
          break;
        }
        case "match": {
          if (i >= toks.length) {
            r.error = `${tv} has no module name`;
            break;
          }
          mod = toks[i++]!.v;
          modOther = -1;
          modUsed = false;
          // modules natlens does not model are kept whole in `other`
          if (!KNOWN_MODULES.has(mod)) {
            m.other.push(`-m ${mod}`);
            modOther = m.other.length - 1;
            modUsed = true;
          }
          break;
        }
        case "jump":
        case "goto": {
          if (i >= toks.length) {
            r.error = `${tv} has no target`;
            break;
          }
          r.target = toks[i++]!.v;
          r.goto = core === "goto";
          mod = "target";
          modOther = -1;
          break;
        }
        case "frag":
          m.other.push(wasNeg ? "! -f" : "-f");
          break;
        case "counters": {
          const a = toks[i]?.v ?? "";
          const b = toks[i + 1]?.v ?? "";
          if (!isNum(a) || !isNum(b)) {
            r.error = `${tv} needs two numbers (packets bytes)`;
            break;
          }
          r.packets = Number(a);
          r.bytes = Number(b);
          r.counterAt = [i - 1, i + 1];
          i += 2;
          break;
        }
      }
      continue;
    }
    if (!isOption(line, t)) {
      r.error = `unexpected ${JSON.stringify(tv)} (not an option)`;
      break;
    }
    // a module or target option
    i++;
    const wasNeg = neg;
    neg = false;
    if (mod === "target") {
      targetOption(r, tv, optionValues(), wasNeg, caches);
      continue;
    }
    // `-p tcp --dport 80` without `-m tcp` (hand-written rules): the protocol's module is implicit
    let cur = mod;
    if (cur === null && m.proto && PORT_MODULES.has(m.proto.value)) cur = m.proto.value;
    if (cur !== null && modOther < 0 && moduleOption(r, cur, tv, wasNeg, value, ports)) {
      if (cur === mod) modUsed = true;
      continue;
    }
    if (r.error !== null) break;
    const vals = optionValues();
    const text = `${wasNeg ? "! " : ""}${tv}${vals.length ? " " + vals.join(" ") : ""}`;
    if (mod === null && cur !== null) {
      m.other.push(`-m ${cur} ${text}`);
    } else {
      addOther(text);
      modUsed = true;
    }
  }
  if (r.error === null) endModule();
  if (r.error === null && neg) r.error = "`!` at the end of the rule negates nothing";
  return r;
}

const KNOWN_MODULES = new Set([...PORT_MODULES, "multiport", "addrtype", "conntrack", "state", "mark", "comment"]);

const SINGLE_PORT_OPTS = new Map<string, "dport" | "sport">([["--dport", "dport"], ["--destination-port", "dport"], ["--sport", "sport"], ["--source-port", "sport"]]);
const MULTI_PORT_OPTS = new Map<string, "dport" | "sport">([["--dports", "dport"], ["--destination-ports", "dport"], ["--sports", "sport"], ["--source-ports", "sport"]]);

/** A modelled module option into the record; false when natlens does not model it (or the field is taken). */
function moduleOption(
  r: RuleParse,
  mod: string,
  opt: string,
  neg: boolean,
  value: (opt: string) => { v: string; neg: boolean } | null,
  ports: (opt: string, v: string) => PortRange[] | null,
): boolean {
  const m = r.matches;
  const setNeg = <T>(field: keyof RuleMatches, v: T, n: boolean): boolean => {
    if (m[field] !== null) return false;
    (m as unknown as Record<string, Negatable<T>>)[field] = { value: v, negated: n };
    return true;
  };
  // `-m tcp --dport`, `-m multiport --dports` and their long spellings: one port (range) list each way.
  const portField = PORT_MODULES.has(mod) ? SINGLE_PORT_OPTS.get(opt) : mod === "multiport" ? MULTI_PORT_OPTS.get(opt) : undefined;
  if (PORT_MODULES.has(mod) || mod === "multiport") {
    if (!portField || m[portField] !== null) return false;
    const v = value(opt);
    if (!v) return true;
    const p = ports(opt, v.v);
    if (p) setNeg(portField, p, neg || v.neg);
    return true;
  }
  switch (mod) {
    case "addrtype": {
      const which = opt === "--dst-type" ? "dstType" : opt === "--src-type" ? "srcType" : null;
      if (!which || m[which] !== null) return false;
      const v = value(opt);
      if (v) setNeg(which, v.v, neg || v.neg);
      return true;
    }
    case "conntrack":
    case "state": {
      if (opt !== (mod === "state" ? "--state" : "--ctstate") || m.ctstate !== null) return false;
      const v = value(opt);
      if (v) setNeg("ctstate", v.v.split(","), neg || v.neg);
      return true;
    }
    case "mark": {
      if (opt !== "--mark" || m.mark !== null) return false;
      const v = value(opt);
      if (v) setNeg("mark", v.v, neg || v.neg);
      return true;
    }
    case "comment": {
      if (opt !== "--comment" || m.comment !== null || neg) return false;
      const v = value(opt);
      if (v) m.comment = v.v;
      return true;
    }
  }
  return false;
}

function targetOption(r: RuleParse, opt: string, vals: string[], neg: boolean, caches: ParseCaches): void {
  const t = r.target;
  if (r.nat === null && vals.length === 1 && !neg) {
    const v = vals[0]!;
    if ((t === "DNAT" && (opt === "--to-destination" || opt === "--to")) || (t === "SNAT" && (opt === "--to-source" || opt === "--to"))) {
      const n = parseNatSpec(v, caches);
      if (n) {
        r.nat = n;
        if (n.addr && r.family === null) r.family = n.addr.includes(":") ? 6 : 4;
        return;
      }
    } else if ((t === "MASQUERADE" || t === "REDIRECT") && (opt === "--to-ports" || opt === "--to-port")) {
      const n = parsePortSpec(v);
      if (n) {
        r.nat = n;
        return;
      }
    }
  }
  r.targetArgs.push(`${neg ? "! " : ""}${opt}${vals.length ? " " + vals.join(" ") : ""}`);
}
