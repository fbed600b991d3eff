/**
 * conntrack text rows (`conntrack -L`, `-o extended|id|timestamp`,
 * /proc/net/nf_conntrack): `[l3name l3num] l4name l4num [timeout] [STATE]
 * key=value...` scanned token by token with indexOf/charCodeAt.
 */
import { wordAt } from "../../strings.js";
import type { ParseCaches } from "../../context.js";
import { addr, COMMON_FLAGS, COMMON_PROTOS, COMMON_STATES, dec, emptyTuple, type Entry, isAlpha, markValue, type RawTuple } from "./tuples.js";

// ------------------------------------------------------------ text rows --

/** Parse one text row; returns an error message instead of throwing. */
export function parseRow(line: string, caches: ParseCaches, share: boolean): Entry | string {
  const n = line.length;
  let i = 0;
  /** Start and end of the current token; `[...]` items may hold blanks. */
  let ts = 0;
  let te = 0;
  // conntrack separates fields by spaces: a row without a tab finds each token's end by a native search
  const tabs = line.indexOf("\t") >= 0;
  const next = (): boolean => {
    while (i < n) {
      const c = line.charCodeAt(i);
      if (c !== 32 && c !== 9) break;
      i++;
    }
    if (i >= n) return false;
    ts = i;
    if (line.charCodeAt(i) === 91 /* [ */) {
      const close = line.indexOf("]", i);
      te = close < 0 ? n : close + 1;
    } else if (!tabs) {
      const sp = line.indexOf(" ", i);
      te = sp < 0 ? n : sp;
    } else {
      let j = i;
      while (j < n) {
        const c = line.charCodeAt(j);
        if (c === 32 || c === 9) break;
        j++;
      }
      te = j;
    }
    i = te;
    return true;
  };
  if (!next()) return "empty row";
  let family: 4 | 6 | null = null;
  // optional l3 prefix: `ipv4     2 ` / `ipv6     10 `
  if (te - ts === 4 && (line.startsWith("ipv4", ts) || line.startsWith("ipv6", ts))) {
    const v6 = line.charCodeAt(ts + 3) === 54;
    if (!next()) return "row ends after the layer-3 name";
    const l3num = dec(line, ts, te);
    if (l3num !== (v6 ? 10 : 2)) return `layer-3 number ${line.slice(ts, te)} does not match ${v6 ? "ipv6" : "ipv4"}`;
    family = v6 ? 6 : 4;
    if (!next()) return "row ends after the layer-3 prefix";
  }
  if (!isAlpha(line.charCodeAt(ts)) || hasEq(line, ts, te)) return "expected a protocol name (tcp, udp, icmp, ...) first";
  const proto = wordAt(line, ts, te, COMMON_PROTOS, caches);
  if (!next()) return `expected the protocol number after ${proto}`;
  const protoNum = dec(line, ts, te);
  if (protoNum < 0 || protoNum > 255) return `expected the protocol number after ${proto}`;
  let timeout: number | null = null;
  let state: string | null = null;
  let have = next();
  if (have) {
    const v = dec(line, ts, te);
    if (v >= 0) {
      timeout = v;
      have = next();
    }
  }
  if (have && line.charCodeAt(ts) !== 91 && !hasEq(line, ts, te)) {
    state = wordAt(line, ts, te, COMMON_STATES, caches);
    have = next();
  }
  const e: Entry = {
    family,
    proto,
    protoNum,
    timeout,
    state,
    orig: emptyTuple(),
    reply: emptyTuple(),
    flags: [],
    mark: null,
    zone: null,
    use: null,
    id: null,
  };
  // phase: 0 before any tuple, 1 original, 2 reply, 3 after the tuples
  let phase = 0;
  let cur: RawTuple | null = null;
  for (; have; have = next()) {
    if (line.charCodeAt(ts) === 91) {
      if (line.charCodeAt(te - 1) !== 93) return `unterminated bracket item ${line.slice(ts, te)}`;
      // timestamps ([start=...] [stop=...]) are tolerated, not modelled
      if (hasEq(line, ts, te)) continue;
      const inner = wordAt(line, ts + 1, te - 1, COMMON_FLAGS, caches);
      e.flags.push(inner);
      if (phase === 2 && inner !== "UNREPLIED") phase = 3;
      continue;
    }
    let eq = line.indexOf("=", ts);
    if (eq < 0 || eq > te) eq = te;
    if (eq === te || eq === ts) return `unexpected word ${JSON.stringify(line.slice(ts, te))} among key=value fields`;
    const klen = eq - ts;
    const k0 = line.charCodeAt(ts);
    const v0 = eq + 1;
    if (klen === 3 && k0 === 115 && line.startsWith("src", ts)) {
      if (phase >= 2) return "more than two src= tuples";
      phase++;
      cur = phase === 1 ? e.orig : e.reply;
      const a = addr(line.slice(v0, te), caches, share);
      if (a === null) return `bad address ${line.slice(ts, te)}`;
      cur.src = a;
    } else if (klen === 3 && k0 === 100 && line.startsWith("dst", ts)) {
      if (!cur || phase > 2 || cur.dst !== null) return "dst= outside a tuple";
      const a = addr(line.slice(v0, te), caches, share);
      if (a === null) return `bad address ${line.slice(ts, te)}`;
      cur.dst = a;
    } else if (
      (klen === 5 && (line.startsWith("sport", ts) || line.startsWith("dport", ts) || line.startsWith("bytes", ts))) ||
      (klen === 4 && (line.startsWith("type", ts) || line.startsWith("code", ts))) ||
      (klen === 7 && line.startsWith("packets", ts))
    ) {
      if (!cur || phase > 2) return `${line.slice(ts, eq)}= outside a tuple`;
      const v = dec(line, v0, te);
      if (v < 0) return `bad number ${line.slice(ts, te)}`;
      if (klen === 5) {
        if (k0 === 115) cur.sport = v;
        else if (k0 === 100) cur.dport = v;
        else cur.bytes = v;
      } else if (klen === 4) {
        if (k0 === 116) cur.type = v;
        else cur.code = v;
      } else cur.packets = v;
    } else if (klen === 2 && line.startsWith("id", ts)) {
      const v = dec(line, v0, te);
      if (v < 0) return `bad number ${line.slice(ts, te)}`;
      // ICMP tuples carry their own id= after type= code=; the entry id comes last
      if (cur && phase <= 2 && cur.type !== null && cur.icmpId === null) cur.icmpId = v;
      else {
        e.id = v;
        phase = 3;
      }
    } else if (klen === 4 && line.startsWith("mark", ts)) {
      const v = markValue(line.slice(v0, te));
      if (v < 0) return `bad number ${line.slice(ts, te)}`;
      e.mark = v;
      phase = 3;
    } else if ((klen === 4 && line.startsWith("zone", ts)) || (klen === 9 && line.startsWith("zone-orig", ts))) {
      const v = dec(line, v0, te);
      if (v < 0) return `bad number ${line.slice(ts, te)}`;
      if (klen === 4 || e.zone === null) e.zone = v;
      if (klen === 4) phase = 3;
    } else if (klen === 3 && line.startsWith("use", ts)) {
      const v = dec(line, v0, te);
      if (v < 0) return `bad number ${line.slice(ts, te)}`;
      e.use = v;
      phase = 3;
    } else if (phase === 2 && (line.startsWith("secctx=", ts) || line.startsWith("delta-time=", ts) || line.startsWith("labels=", ts))) {
      // secctx=, delta-time=, labels= end the tuples; zone-reply=, GRE srckey=/dstkey=, ... are tolerated
      phase = 3;
    }
  }
  if (e.orig.src === null || e.orig.dst === null) return "no original tuple (src= dst=)";
  if (e.reply.src === null || e.reply.dst === null) return "no reply tuple (second src= dst=)";
  // an IPv6 table may hold IPv4-mapped addresses (written as IPv4); an IPv4 one never IPv6
  if (e.family === 4 && (e.orig.src.includes(":") || e.orig.dst.includes(":"))) return `IPv6 address ${e.orig.src} in an ipv4 entry`;
  return e;
}

export function hasEq(s: string, from: number, to: number): boolean {
  for (let k = from; k < to; k++) if (s.charCodeAt(k) === 61) return true;
  return false;
}

