/**
 * iproute2 routing tables: `ip route`, `ip -4 route`, `ip -6 route`,
 * `ip route show table all`. A row is `[TYPE] DST [key value | flag]...`;
 * multipath routes continue on indented `nexthop via X dev Y weight N` lines,
 * which are attached to the route above (the first nexthop fills via/dev).
 * `netstat -rn` / `route -n` tables are a different format and not claimed.
 */
import type { FormatParser, LineParser, ParseContext } from "../format.js";
import type { RouteRecord } from "../types.js";
import { normalizeCidr, normalizeIp } from "../net/index.js";

const TYPES = new Set(["unicast", "local", "broadcast", "multicast", "anycast", "blackhole", "unreachable", "prohibit", "throw", "nat", "xresolve"]);
/** Keywords followed by one value. */
const KEYS = new Set([
  "via", "dev", "proto", "scope", "src", "metric", "table", "pref", "weight", "mtu", "advmss", "expires", "error", "realm", "realms",
  "hoplimit", "initcwnd", "initrwnd", "rtt", "rttvar", "reordering", "window", "cwnd", "ssthresh", "features", "quickack", "congctl",
  "fastopen_no_cookie", "nhid", "from", "tos", "dsfield", "encap", "as", "ttl-propagate", "rto_min", "priority", "preference",
]);
const HINT_ROW = "routes look like `default via 198.51.100.254 dev eth0 proto dhcp src 198.51.100.1 metric 100`";

function splitWords(s: string): string[] {
  return s.split(/\s+/).filter((w) => w.length > 0);
}

class IpRouteParser implements LineParser {
  private pending: RouteRecord | null = null;
  /** Family of the last route with an address, for `default` rows without one. */
  private lastFamily: 4 | 6 = 4;

  constructor(private readonly ctx: ParseContext) {}

  private flush(): void {
    if (this.pending) this.ctx.emit(this.pending);
    this.pending = null;
  }

  /** Apply `key value` pairs to a route; returns an error text or null. */
  private apply(r: RouteRecord, words: string[], from: number, fam: { v: 4 | 6 | null }): string | null {
    for (let k = from; k < words.length; k++) {
      const w = words[k]!;
      if (w === "mtu" && words[k + 1] === "lock") k++;
      if (!KEYS.has(w)) continue; // flags (onlink, linkdown, dead, pervasive, offload, ...) are tolerated
      let v = words[k + 1];
      if (v === undefined) return `${w} without a value`;
      k++;
      if (w === "via" && (v === "inet" || v === "inet6")) {
        // `via inet6 fe80::1` (an IPv4 route over an IPv6 nexthop)
        v = words[k + 1];
        if (v === undefined) return "via without an address";
        k++;
      }
      switch (w) {
        case "via":
        case "src": {
          const n = normalizeIp(v, this.ctx.caches);
          if (!n) return `${w} ${v} is not an address`;
          if (w === "via") r.via ??= n.ip;
          else r.src = n.ip;
          fam.v ??= n.family;
          break;
        }
        case "dev":
          r.dev ??= v;
          break;
        case "proto":
          r.proto = v;
          break;
        case "scope":
          r.scope = v;
          break;
        case "table":
          r.table = v;
          break;
        case "metric":
          if (!/^\d+$/.test(v)) return `metric ${v} is not a number`;
          r.metric = Number(v);
          break;
        case "pref":
          fam.v ??= 6; // router preference exists only for IPv6 routes
          break;
        default:
          break;
      }
    }
    return null;
  }

  line(text: string, no: number): void {
    if (text.startsWith("$ ")) {
      // a `$ command` banner between concatenated captures (the driver drops only the first)
      this.flush();
      this.ctx.ignore(no, "banner");
      return;
    }
    if (text.startsWith("Error: ") || text === "Dump terminated") {
      // ip's standard error captured into the file (sosreport and supportconfig keep it): `ip route show table default`
      // on a host without that table prints `Error: ipv4: FIB table does not exist.` and `Dump terminated`
      this.flush();
      this.ctx.ignore(no, "stderr");
      this.ctx.report("info", no, "I_STDERR_LINE", "standard-error line of ip captured into the file, ignored", text);
      return;
    }
    const words = splitWords(text);
    const c0 = text.charCodeAt(0);
    if ((c0 === 32 || c0 === 9) && words[0] === "nexthop") {
      const r = this.pending;
      if (!r) {
        this.ctx.skip(no, "E_IP_ROUTE_NEXTHOP", "nexthop line without a route above it", text, "keep the multipath route line (`203.0.113.0/24 proto static`) above its nexthop lines");
        return;
      }
      const fam = { v: null as 4 | 6 | null };
      const err = this.apply(r, words, 1, fam);
      if (err) this.ctx.skip(no, "E_IP_ROUTE_NEXTHOP", `cannot read this nexthop: ${err}`, text, "nexthop lines look like `nexthop via 198.51.100.2 dev eth0 weight 1`");
      return; // attached to the route above: counts as parsed
    }
    this.flush();
    let k = 0;
    let type: string | null = null;
    if (TYPES.has(words[0] ?? "")) {
      type = words[0]!;
      k = 1;
    }
    const dstWord = words[k];
    if (dstWord === undefined) {
      this.ctx.skip(no, "E_IP_ROUTE", "route type without a destination", text, HINT_ROW);
      return;
    }
    let dst: string;
    let family: 4 | 6 | null = null;
    if (dstWord === "default") dst = "default";
    else {
      const c = normalizeCidr(dstWord);
      if (!c) {
        this.ctx.skip(no, "E_IP_ROUTE", `not a route destination: ${dstWord}`, text, HINT_ROW);
        return;
      }
      dst = c;
      family = c.includes(":") ? 6 : 4;
    }
    const r: RouteRecord = {
      kind: "route",
      source: { file: this.ctx.file, line: no },
      format: "ip-route",
      family: 4,
      dst,
      type,
      dev: null,
      via: null,
      src: null,
      proto: null,
      scope: null,
      metric: null,
      table: null,
    };
    const fam = { v: family };
    const err = this.apply(r, words, k + 1, fam);
    if (err) {
      this.ctx.skip(no, "E_IP_ROUTE", `cannot read this route: ${err}`, text, HINT_ROW);
      return;
    }
    r.family = fam.v ?? this.lastFamily;
    this.lastFamily = r.family;
    // a multipath route has no dev/via on its own line: wait for its nexthops
    this.pending = r;
  }

  end(): void {
    this.flush();
  }
}

/** `[TYPE] DST ...` where DST is default / an address, followed by a route keyword. */
const ROW_RE = /^(?:(?:unicast|local|broadcast|multicast|anycast|blackhole|unreachable|prohibit|throw|nat) )?(?:default|[0-9a-fA-F.:]+(?:\/\d{1,3})?)(?: +(?:via|dev|proto|scope|src|metric|table|nhid)\b| *$| +(?:onlink|linkdown))/;
const TYPED_RE = /^(?:local|broadcast|multicast|anycast|blackhole|unreachable|prohibit|throw) /;
/**
 * Lines of look-alike `ip`/`bridge` listings: `ip neigh` (`ADDR dev IF lladdr MAC STATE`),
 * `bridge fdb show` (`MAC dev IF master BR permanent`). One of them and the input is not a route table.
 */
const NEIGH_RE = /\blladdr\b|\b(?:REACHABLE|STALE|PERMANENT|FAILED|DELAY|PROBE|INCOMPLETE|NOARP|NONE)\s*$/;
const FDB_RE = /^[0-9a-fA-F]{2}(?::[0-9a-fA-F]{2}){5} /;

export const ipRoute: FormatParser = {
  id: "ip-route",
  title: "iproute2 routes: ip route, ip -6 route, ip route show table all",
  kinds: ["route"],
  commands: ["ip route", "ip -4 route", "ip -6 route", "ip route show table all", "ip -6 route show table all"],
  sniff(head) {
    let rows = 0;
    let strong = 0;
    let nexthop = 0;
    for (const l of head) {
      if (/^\s+nexthop /.test(l)) {
        nexthop++;
        continue;
      }
      if (NEIGH_RE.test(l) || FDB_RE.test(l)) return 0;
      if (!ROW_RE.test(l)) continue;
      // a bare address alone on a line is a route only in multipath listings
      if (!/\s/.test(l.trim()) && !TYPED_RE.test(l)) continue;
      rows++;
      if (/ dev \S+/.test(l) || TYPED_RE.test(l) || l.startsWith("default ")) strong++;
    }
    const data = head.length - nexthop;
    if (rows === 0 || data <= 0) return 0;
    const ratio = rows / data;
    if (ratio >= 0.8 && strong > 0) return 0.9;
    if (ratio >= 0.5 && strong > 0) return 0.6;
    return 0.3 * ratio;
  },
  // a row (ROW_RE) starts with a letter, a digit, `.` or `:`
  rejects(head) {
    for (const l of head) {
      const c = l.charCodeAt(0);
      if ((c >= 48 && c <= 58) || c === 46 || (c >= 65 && c <= 90) || (c >= 97 && c <= 122)) return false;
    }
    return true;
  },
  create: (ctx) => new IpRouteParser(ctx),
};
