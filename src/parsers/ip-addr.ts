/**
 * iproute2 address listings: `ip addr` / `ip addr show` / `ip -d addr`
 * (multi-line blocks), `ip -o addr` / `ip -4 -o addr` / `ip -6 -o addr`
 * (one line per address), and `ip -br addr` (one line per interface).
 *
 * One AddressRecord per address. The interface name drops a `@peer` suffix
 * (`veth1@if2` -> `veth1`); the state comes from the block's link line
 * (`state UP`) or the `-br` column. Link-layer lines (`link/ether`, `ip -o
 * link`), lifetimes and `-d` details are ignored with a reason.
 */
import type { FormatParser, LineParser, ParseContext } from "../format.js";
import type { AddressRecord } from "../types.js";
import type { ParseCaches } from "../context.js";
import { normalizeIp } from "../net/index.js";

const BR_STATES = new Set(["UP", "DOWN", "UNKNOWN", "LOWERLAYERDOWN", "DORMANT", "NOTPRESENT", "TESTING"]);
const HINT_ADDR = "address lines look like `    inet 198.51.100.1/24 brd 198.51.100.255 scope global eth0`";

/** Block header `2: eth0@if5: <BROADCAST,...> mtu 1500 ... state UP ...` (also `ip -o link`). */
const LINK_RE = /^\d+: ([^\s:]+(?:@[^\s:]+)?): <([^>]*)>/;
/** `ip -o addr` row: `2: eth0    inet 198.51.100.1/24 ...`. */
const ONELINE_RE = /^\d+: ([^\s:]+(?:@[^\s:]+)?)\s+(inet6?|link\/\S+)\s/;

function ifaceName(name: string): string {
  const at = name.indexOf("@");
  return at > 0 ? name.slice(0, at) : name;
}

function splitWords(s: string): string[] {
  return s.split(/\s+/).filter((w) => w.length > 0);
}

function stateOf(linkLine: string): string | null {
  const i = linkLine.indexOf(" state ");
  if (i < 0) return null;
  const rest = linkLine.slice(i + 7);
  const sp = rest.indexOf(" ");
  return sp < 0 ? rest : rest.slice(0, sp);
}

interface Addr {
  address: string;
  family: 4 | 6;
  prefixLen: number | null;
}

/** `198.51.100.1/24`, `fe80::1/64`, bare `203.0.113.5`; null when not an address. */
function parseCidr(text: string, caches: ParseCaches): Addr | null {
  const slash = text.indexOf("/");
  const n = normalizeIp(slash < 0 ? text : text.slice(0, slash), caches);
  if (!n) return null;
  let prefixLen: number | null = null;
  if (slash >= 0) {
    const p = text.slice(slash + 1);
    if (!/^\d{1,3}$/.test(p)) return null;
    prefixLen = Number(p);
    if (prefixLen > (text.includes(":") ? 128 : 32)) return null;
  }
  return { address: n.ip, family: text.includes(":") ? 6 : 4, prefixLen };
}

class IpAddrParser implements LineParser {
  private iface: string | null = null;
  private state: string | null = null;

  constructor(private readonly ctx: ParseContext) {}

  private emit(no: number, iface: string, a: Addr, scope: string | null, state: string | null): void {
    const rec: AddressRecord = {
      kind: "address",
      source: { file: this.ctx.file, line: no },
      format: "ip-addr",
      iface,
      family: a.family,
      address: a.address,
      prefixLen: a.prefixLen,
      scope,
      state,
    };
    this.ctx.emit(rec);
  }

  /** Words after `inet`/`inet6`: address, optional `peer X/len`, `brd X`, `scope S`, flags, label. */
  private addressWords(no: number, text: string, iface: string, words: string[], state: string | null): void {
    const fam = words[0]!;
    const a = words[1] !== undefined ? parseCidr(words[1], this.ctx.caches) : null;
    if (!a || (fam === "inet") !== (a.family === 4)) {
      this.ctx.skip(no, "E_IP_ADDR", `expected an ${fam === "inet" ? "IPv4" : "IPv6"} address after ${fam}`, text, HINT_ADDR);
      return;
    }
    let scope: string | null = null;
    for (let k = 2; k < words.length; k++) {
      const w = words[k]!;
      if (w === "peer" && words[k + 1]) {
        const p = parseCidr(words[k + 1]!, this.ctx.caches);
        if (p && a.prefixLen === null) a.prefixLen = p.prefixLen;
        k++;
      } else if (w === "scope" && words[k + 1]) {
        scope = words[k + 1]!;
        k++;
      } else if (w === "brd" || w === "any" || w === "label" || w === "metric" || w === "proto") k++;
      else if (w.startsWith("\\")) break; // `ip -o` folds the lifetime line after a backslash
    }
    this.emit(no, iface, a, scope, state);
  }

  line(text: string, no: number): void {
    if (text.startsWith("$ ")) {
      // a `$ command` banner between concatenated captures (the driver drops only the first)
      this.ctx.ignore(no, "banner");
      return;
    }
    const c0 = text.charCodeAt(0);
    if (c0 >= 48 && c0 <= 57) {
      const link = LINK_RE.exec(text);
      if (link) {
        // block header, or an `ip -o link` row: state for the addresses that follow
        this.iface = ifaceName(link[1]!);
        this.state = stateOf(text);
        this.ctx.ignore(no, "link");
        return;
      }
      const one = ONELINE_RE.exec(text);
      if (one) {
        if (one[2]!.startsWith("link/")) {
          this.ctx.ignore(no, "link");
          return;
        }
        const bs = text.indexOf("\\");
        const words = splitWords((bs < 0 ? text : text.slice(0, bs)).slice(one.index + one[0].length - one[2]!.length - 1));
        this.addressWords(no, text, ifaceName(one[1]!), words, null);
        return;
      }
      this.ctx.skip(no, "E_IP_ADDR_LINE", "a numbered line that is neither an interface header nor an `ip -o addr` row", text, "expected `2: eth0: <BROADCAST,...> mtu ...` or `2: eth0    inet 198.51.100.1/24 ...`");
      return;
    }
    if (c0 === 32 || c0 === 9) {
      const words = splitWords(text);
      const w0 = words[0] ?? "";
      if (w0 === "inet" || w0 === "inet6") {
        if (this.iface === null) {
          this.ctx.skip(no, "E_IP_ADDR_NO_IFACE", "address line before any interface header", text, "keep the `N: ifname: <...>` line above the addresses");
          return;
        }
        this.addressWords(no, text, this.iface, words, this.state);
        return;
      }
      if (w0.startsWith("link/")) this.ctx.ignore(no, "link");
      else if (w0 === "valid_lft") this.ctx.ignore(no, "lifetime");
      else if (this.iface !== null) this.ctx.ignore(no, "link-detail"); // `ip -d` details, altname, ...
      else this.ctx.skip(no, "E_IP_ADDR_LINE", "indented line outside an interface block", text, HINT_ADDR);
      return;
    }
    // `ip -br addr`: NAME STATE ADDR/LEN ...
    const words = splitWords(text);
    if (words.length >= 2 && BR_STATES.has(words[1]!)) {
      const iface = ifaceName(words[0]!);
      const state = words[1]!;
      let n = 0;
      for (let k = 2; k < words.length; k++) {
        const w = words[k]!;
        if (w === "peer") {
          k++; // the peer's /len belongs to the address before it: handled below
          continue;
        }
        const a = parseCidr(w, this.ctx.caches);
        if (!a) {
          this.ctx.skip(no, "E_IP_ADDR_BRIEF", `not an address: ${w}`, text, "`ip -br addr` rows look like `eth0  UP  198.51.100.1/24 2001:db8::1/64`");
          return;
        }
        if (a.prefixLen === null && words[k + 1] === "peer" && words[k + 2]) a.prefixLen = parseCidr(words[k + 2]!, this.ctx.caches)?.prefixLen ?? null;
        this.emit(no, iface, a, null, state);
        n++;
      }
      if (n === 0) this.ctx.ignore(no, "no-address");
      return;
    }
    this.ctx.skip(no, "E_IP_ADDR_LINE", "not a line of `ip addr`, `ip -o addr` or `ip -br addr`", text, HINT_ADDR);
  }

  end(): void {}
}

const BR_RE = /^\S+\s+(UP|DOWN|UNKNOWN|LOWERLAYERDOWN|DORMANT|NOTPRESENT|TESTING)(\s|$)/;
const BR_ADDR_RE = /\s[0-9a-fA-F:.]+\/\d{1,3}(\s|$)/;

export const ipAddr: FormatParser = {
  id: "ip-addr",
  title: "iproute2 addresses: ip addr, ip -o addr, ip -br addr",
  kinds: ["address"],
  commands: ["ip addr", "ip addr show", "ip -o addr", "ip -4 -o addr", "ip -6 -o addr", "ip -br addr", "ip -d addr"],
  sniff(head) {
    let links = 0;
    let inet = 0;
    let oneline = 0;
    let brief = 0;
    let briefAddr = 0;
    let other = 0;
    for (const l of head) {
      if (LINK_RE.test(l)) links++;
      else if (ONELINE_RE.test(l)) oneline++;
      else if (/^\s+(inet6?|link\/\S+|valid_lft)\s/.test(l)) inet++;
      else if (BR_RE.test(l)) {
        brief++;
        if (BR_ADDR_RE.test(l)) briefAddr++;
      } else if (/^\s/.test(l) && links > 0) inet += 0.5; // -d details
      else other++;
    }
    const total = head.length;
    const known = links + inet + oneline + brief;
    if (known / total < 0.8) return known > 0 ? 0.3 * (known / total) : 0;
    if (oneline > 0 || (links > 0 && inet > 0)) return 0.95;
    if (links > 0) return 0.7; // `ip link` / `ip -o link`: claimed, nothing to emit
    if (brief > 0 && briefAddr > 0) return other === 0 ? 0.9 : 0.7;
    return 0.4;
  },
  // only lines that start with a blank (\s) and go on with `inet`, `link/` or `valid_lft` count when no line starts otherwise
  rejects(head) {
    for (const l of head) {
      if (l.length === 0) continue;
      const t = l.trimStart();
      if (t.length === l.length) return false;
      const c = t.charCodeAt(0);
      if (c === 105 || c === 108 || c === 118) return false;
    }
    return true;
  },
  create: (ctx) => new IpAddrParser(ctx),
};
