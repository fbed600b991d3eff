/**
 * Connection tracking tables: `conntrack -L` (plain, `-o extended`, `-o id`,
 * `-o timestamp`/`ktimestamp`, `-o xml`), `/proc/net/nf_conntrack` and the old
 * `/proc/net/ip_conntrack`. Format: input-formats.md §6.
 *
 * Text rows are `[l3name l3num] l4name l4num [timeout] [STATE] key=value...`
 * with two tuples (`src=` opens a tuple) and bracketed flags. Rows are scanned
 * token by token with indexOf/charCodeAt (no regex per token) so that a
 * million-entry table parses in a few seconds. Addresses are normalised with a
 * small cache (tables repeat the same addresses many times).
 */
import { wordAt } from "../strings.js";
import type { FormatParser, LineParser, ParseContext } from "../format.js";
import type { ConntrackRecord, ConntrackTuple } from "../types.js";
import type { ParseCaches } from "../context.js";
import { canonicalIpv4Value, normalizeIpCached, sharedQuad } from "../net/index.js";

const HINT_ROW = "rows look like `tcp      6 431999 ESTABLISHED src=10.0.0.1 dst=10.0.0.2 sport=1234 dport=80 src=... [ASSURED] mark=0 use=1`";

/** L4 protocol numbers, used when a row (or XML) names only one of name/number. */
const L4_NAMES: Record<number, string> = { 1: "icmp", 2: "unknown", 6: "tcp", 17: "udp", 33: "dccp", 47: "gre", 58: "icmpv6", 132: "sctp", 136: "udplite" };

/** Words most rows repeat (wordAt). */
const COMMON_PROTOS = ["tcp", "udp", "icmp"];
const COMMON_STATES = ["ESTABLISHED", "TIME_WAIT", "SYN_SENT", "SYN_RECV", "CLOSE", "CLOSE_WAIT", "FIN_WAIT", "LAST_ACK"];
const COMMON_FLAGS = ["ASSURED", "UNREPLIED", "OFFLOAD", "HW_OFFLOAD"];

// ------------------------------------------------------------ addresses --

/** Normalised address text, or null when not an address; `share`: see ParseOptions.shareStrings. */
function addr(text: string, caches: ParseCaches, share: boolean): string | null {
  const v4 = canonicalIpv4Value(text);
  if (v4 >= 0) return share ? sharedQuad(v4, text, caches) : text;
  return normalizeIpCached(text, caches)?.ip ?? null;
}

// ------------------------------------------------------------- numbers --

/** Non-negative decimal integer of the whole string, or -1. */
function dec(s: string, from = 0, to = s.length): number {
  if (to <= from || to - from > 20) return -1;
  let v = 0;
  for (let i = from; i < to; i++) {
    const c = s.charCodeAt(i);
    if (c < 48 || c > 57) return -1;
    v = v * 10 + (c - 48);
  }
  return v;
}

/** mark= is decimal in conntrack and the kernel; tolerate 0x hex. */
function markValue(s: string): number {
  if (s.length > 2 && s.charCodeAt(0) === 48 && (s.charCodeAt(1) === 120 || s.charCodeAt(1) === 88)) {
    const v = Number.parseInt(s.slice(2), 16);
    return Number.isNaN(v) || !/^[0-9a-fA-F]+$/.test(s.slice(2)) ? -1 : v;
  }
  return dec(s);
}

function isAlpha(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 65 && c <= 90);
}

// --------------------------------------------------------------- tuples --

interface RawTuple {
  src: string | null;
  dst: string | null;
  sport: number | null;
  dport: number | null;
  type: number | null;
  code: number | null;
  icmpId: number | null;
  packets: number | null;
  bytes: number | null;
}

function emptyTuple(): RawTuple {
  return { src: null, dst: null, sport: null, dport: null, type: null, code: null, icmpId: null, packets: null, bytes: null };
}

function finishTuple(t: RawTuple): ConntrackTuple {
  return {
    src: t.src!,
    dst: t.dst!,
    sport: t.sport,
    dport: t.dport,
    icmp: t.type !== null ? { type: t.type, code: t.code ?? 0, id: t.icmpId ?? 0 } : null,
    packets: t.packets,
    bytes: t.bytes,
  };
}

interface Entry {
  family: 4 | 6 | null;
  proto: string;
  protoNum: number;
  timeout: number | null;
  state: string | null;
  orig: RawTuple;
  reply: RawTuple;
  flags: string[];
  mark: number | null;
  zone: number | null;
  use: number | null;
  id: number | null;
}

function record(ctx: ParseContext, no: number, e: Entry): ConntrackRecord {
  const original = finishTuple(e.orig);
  const reply = finishTuple(e.reply);
  const family: 4 | 6 = e.family ?? (original.src.includes(":") || original.dst.includes(":") ? 6 : 4);
  return {
    kind: "conntrack",
    source: { file: ctx.file, line: no },
    format: "conntrack",
    family,
    proto: e.proto,
    protoNum: e.protoNum,
    timeout: e.timeout,
    state: e.state,
    original,
    reply,
    flags: e.flags,
    mark: e.mark,
    zone: e.zone,
    use: e.use,
    id: e.id,
    dnat: reply.src !== original.dst || reply.sport !== original.dport,
    snat: reply.dst !== original.src || reply.dport !== original.sport,
  };
}

// ------------------------------------------------------------ text rows --

/** Parse one text row; returns an error message instead of throwing. */
function parseRow(line: string, caches: ParseCaches, share: boolean): Entry | string {
  const n = line.length;
  let i = 0;
  /** Start and end of the current token; `[...]` items may hold blanks. */
  let ts = 0;
  let te = 0;
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
    let eq = ts;
    while (eq < te && line.charCodeAt(eq) !== 61) eq++;
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

function hasEq(s: string, from: number, to: number): boolean {
  for (let k = from; k < to; k++) if (s.charCodeAt(k) === 61) return true;
  return false;
}

// ------------------------------------------------------------------ XML --

function tagText(s: string, name: string, from: number, to: number): string | null {
  const open = `<${name}>`;
  const a = s.indexOf(open, from);
  if (a < 0 || a >= to) return null;
  const b = s.indexOf(`</${name}>`, a);
  if (b < 0 || b > to) return null;
  return s.slice(a + open.length, b);
}

function attr(s: string, tag: string, name: string, from: number, to: number): string | null {
  const a = s.indexOf(`<${tag} `, from);
  if (a < 0 || a >= to) return null;
  const end = s.indexOf(">", a);
  const key = ` ${name}="`;
  const k = s.indexOf(key, a);
  if (k < 0 || k > end) return null;
  const q = s.indexOf('"', k + key.length);
  return q < 0 ? null : s.slice(k + key.length, q);
}

function numOrNull(s: string | null): number | null | undefined {
  if (s === null) return null;
  const v = dec(s);
  return v < 0 ? undefined : v;
}

function xmlTuple(s: string, from: number, to: number, caches: ParseCaches, share: boolean): RawTuple | string {
  const t = emptyTuple();
  const src = tagText(s, "src", from, to);
  const dst = tagText(s, "dst", from, to);
  if (src === null || dst === null) return "a tuple without <src>/<dst>";
  t.src = addr(src, caches, share);
  t.dst = addr(dst, caches, share);
  if (t.src === null || t.dst === null) return `bad address ${src} / ${dst}`;
  const l4 = s.indexOf("<layer4", from);
  const l4end = l4 >= 0 && l4 < to ? s.indexOf("</layer4>", l4) : -1;
  if (l4end >= 0) {
    const fields: [keyof RawTuple, string][] = [["sport", "sport"], ["dport", "dport"], ["type", "type"], ["code", "code"], ["icmpId", "id"]];
    for (const [k, tag] of fields) {
      const v = numOrNull(tagText(s, tag, l4, l4end));
      if (v === undefined) return `bad number in <${tag}>`;
      (t as unknown as Record<string, number | null>)[k] = v;
    }
  }
  const c = s.indexOf("<counters>", from);
  if (c >= 0 && c < to) {
    const p = numOrNull(tagText(s, "packets", c, to));
    const b = numOrNull(tagText(s, "bytes", c, to));
    if (p === undefined || b === undefined) return "bad number in <counters>";
    t.packets = p;
    t.bytes = b;
  }
  return t;
}

function parseXmlFlow(line: string, caches: ParseCaches, share: boolean): Entry | string {
  const o = line.indexOf('<meta direction="original">');
  const r = line.indexOf('<meta direction="reply">');
  const ind = line.indexOf('<meta direction="independent">');
  if (o < 0 || r < 0) return "a <flow> without original and reply <meta>";
  const oEnd = line.indexOf("</meta>", o);
  const rEnd = line.indexOf("</meta>", r);
  const orig = xmlTuple(line, o, oEnd, caches, share);
  if (typeof orig === "string") return orig;
  const reply = xmlTuple(line, r, rEnd, caches, share);
  if (typeof reply === "string") return reply;
  const l3 = attr(line, "layer3", "protoname", o, oEnd);
  const l4name = attr(line, "layer4", "protoname", o, oEnd);
  const l4num = dec(attr(line, "layer4", "protonum", o, oEnd) ?? "");
  if (l4name === null && l4num < 0) return "no <layer4> protocol";
  const e: Entry = {
    family: l3 === "ipv4" ? 4 : l3 === "ipv6" ? 6 : null,
    proto: l4name ?? L4_NAMES[l4num] ?? String(l4num),
    protoNum: l4num >= 0 ? l4num : -1,
    timeout: null,
    state: null,
    orig,
    reply,
    flags: [],
    mark: null,
    zone: null,
    use: null,
    id: null,
  };
  if (ind >= 0) {
    const end = line.indexOf("</meta>", ind);
    const to = end < 0 ? line.length : end;
    e.state = tagText(line, "state", ind, to);
    const nums: ["timeout" | "mark" | "zone" | "use" | "id", string][] = [["timeout", "timeout"], ["mark", "mark"], ["zone", "zone"], ["use", "use"], ["id", "id"]];
    for (const [k, tag] of nums) {
      const v = numOrNull(tagText(line, tag, ind, to));
      if (v === undefined) return `bad number in <${tag}>`;
      e[k] = v;
    }
    // empty elements are status flags: <assured/>, <unreplied/>, ...
    let k = line.indexOf("/>", ind);
    while (k >= 0 && k < to) {
      const lt = line.lastIndexOf("<", k);
      const name = line.slice(lt + 1, k);
      if (name && !name.includes(" ")) e.flags.push(name.toUpperCase());
      k = line.indexOf("/>", k + 2);
    }
    // keep the text order: UNREPLIED sits between the tuples, before ASSURED
    e.flags.sort((a, b) => (a === "UNREPLIED" ? -1 : b === "UNREPLIED" ? 1 : 0));
  }
  return e;
}

// --------------------------------------------------------------- parser --

class ConntrackParser implements LineParser {
  constructor(private readonly ctx: ParseContext) {}

  line(text: string, no: number): void {
    let s = 0;
    while (text.charCodeAt(s) === 32 || text.charCodeAt(s) === 9) s++;
    const c = text.charCodeAt(s);
    if (c === 60 /* < */) {
      if (text.startsWith("<flow>", s)) {
        const e = parseXmlFlow(text, this.ctx.caches, this.ctx.options.shareStrings);
        if (typeof e === "string") this.ctx.skip(no, "E_CONNTRACK_XML", `cannot read this <flow>: ${e}`, text, "conntrack -o xml prints one complete <flow>...</flow> per line");
        else this.ctx.emit(record(this.ctx, no, e));
        return;
      }
      if (text.startsWith("<?xml", s) || text.startsWith("<conntrack>", s) || text.startsWith("</conntrack>", s)) {
        this.ctx.ignore(no, "xml");
        return;
      }
    }
    if (text.startsWith("$ ")) {
      // a `$ command` banner between concatenated captures (the driver drops only the first)
      this.ctx.ignore(no, "banner");
      return;
    }
    if (text.startsWith("*** ", s)) {
      // EKS log collector: `*** Output of conntrack -S *** `
      this.ctx.ignore(no, "separator");
      return;
    }
    if (text.startsWith("cpu=", s)) {
      this.ctx.ignore(no, "conntrack-stats");
      return;
    }
    if (s === text.length) {
      this.ctx.ignore(no, "blank");
      return;
    }
    const e = parseRow(s ? text.slice(s) : text, this.ctx.caches, this.ctx.options.shareStrings);
    if (typeof e === "string") {
      this.ctx.skip(no, "E_CONNTRACK_ROW", `not a conntrack entry: ${e}`, text, HINT_ROW);
      return;
    }
    this.ctx.emit(record(this.ctx, no, e));
  }

  end(): void {}
}

// ------------------------------------------------------------ detection --

/** Cheap shape test of a text row: `[ipvN N] name N [N] ... src=... dst=...`. */
function rowShape(l: string): number {
  const src = l.indexOf(" src=");
  if (src < 0 || l.indexOf(" dst=", src) < 0) return 0;
  if (/^ipv[46] +(2|10) +[a-z][a-z0-9]* +\d+ /.test(l)) return 2;
  if (/^[a-z][a-z0-9]* +\d+ +(\d+ +)?([A-Z_0-9]+ +)?src=/.test(l)) {
    // a second tuple is what makes it conntrack, not some key=value log line
    return l.indexOf(" src=", src + 5) > 0 ? 1 : 0.5;
  }
  return 0;
}

export const conntrack: FormatParser = {
  id: "conntrack",
  title: "Connection tracking: conntrack -L (plain, -o extended/id/timestamp/xml), /proc/net/nf_conntrack, /proc/net/ip_conntrack",
  kinds: ["conntrack"],
  commands: [
    "conntrack -L",
    "conntrack -L -o extended",
    "conntrack -L -o extended,id",
    "conntrack -L -o xml",
    "cat /proc/net/nf_conntrack",
    "cat /proc/net/ip_conntrack",
  ],
  sniff(head) {
    let rows = 0;
    let strong = 0;
    let known = 0;
    let xml = 0;
    for (const l of head) {
      if (l.startsWith("<flow><meta direction=")) {
        xml++;
        continue;
      }
      if (l.startsWith("<?xml") || l === "<conntrack>" || l === "</conntrack>") {
        known++;
        continue;
      }
      if (l.startsWith("*** Output of conntrack") || /^cpu=\d+\s+found=/.test(l)) {
        known++;
        continue;
      }
      const r = rowShape(l);
      if (r >= 1) {
        rows++;
        if (r === 2 || l.indexOf(" sport=") > 0 || l.indexOf(" type=") > 0) strong++;
      } else if (r > 0) rows += 0.5;
    }
    if (xml > 0) return head.some((l) => l === "<conntrack>") || xml >= 1 ? 0.95 : 0.8;
    const data = head.length - known;
    if (rows === 0) return known > 0 && head.every((l) => l.startsWith("*** ") || l.startsWith("cpu=")) ? 0.55 : 0;
    const ratio = rows / Math.max(data, 1);
    if (ratio >= 0.8 && strong > 0) return 0.95;
    if (ratio >= 0.5) return 0.75;
    return 0.4 * ratio;
  },
  create: (ctx) => new ConntrackParser(ctx),
};
