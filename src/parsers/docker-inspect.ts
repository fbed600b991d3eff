/**
 * `docker inspect` (containers) and `docker network inspect` JSON: a
 * whole-document format. input-formats.md §7.1.
 *
 * Lines are buffered and parsed at end(). A file may hold one object, one array
 * or several top-level values one after another, as collectors write them
 * (`docker inspect a; docker inspect b` gives `[...]\n[...]`). A small
 * string-aware scanner cuts the text into top-level values and the elements of
 * top-level arrays; each element is parsed on its own, so one broken object
 * does not lose the others. A record's `source.line` is the line where its
 * object starts.
 *
 * Line accounting: lines of an object that parses count as parsed (records or
 * W_DOCKER_OBJECT_IGNORED for images, volumes, ...). For a value that does not
 * parse, the line of the syntax error is skipped with E_DOCKER_JSON and the
 * other lines of that value are ignored as `invalid-json`.
 */
import type { FormatParser, LineParser, ParseContext } from "../format.js";
import type { ContainerNetwork, ContainerRecord, NetworkRecord, PublishedPort } from "../types.js";
import { normalizeCidr, normalizeIpCached } from "../net/index.js";
import { portNumber } from "./_text.js";


type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type Obj = { [key: string]: Json };

const JSON_HINT = "docker inspect prints valid JSON; the file may be cut or edited. Re-run `docker inspect <ids> > file`";

function isObj(v: Json | undefined): v is Obj {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** A non-empty string, else null. */
function str(v: Json | undefined): string | null {
  return typeof v === "string" && v !== "" ? v : null;
}

function int(v: Json | undefined): number | null {
  return typeof v === "number" && Number.isInteger(v) ? v : null;
}

function bool(v: Json | undefined): boolean | null {
  return typeof v === "boolean" ? v : null;
}

const WS = new Uint8Array(128);
WS[32] = WS[9] = WS[10] = WS[13] = 1;

class InspectParser implements LineParser {
  private readonly lines: string[] = [];
  private readonly nos: number[] = [];
  private text = "";
  private starts: number[] = [];
  /** Per buffered line: already accounted as ignored/skipped. */
  private marked = new Uint8Array(0);
  /** Set when a value was cut off and scanning resumed at the next document. */
  private resynced = false;

  constructor(private readonly ctx: ParseContext) {}

  line(text: string, no: number): void {
    this.lines.push(text);
    this.nos.push(no);
  }

  end(): void {
    const n = this.lines.length;
    if (n === 0) return;
    this.starts = new Array<number>(n);
    let off = 0;
    for (let i = 0; i < n; i++) {
      this.starts[i] = off;
      off += this.lines[i]!.length + 1;
    }
    this.text = this.lines.join("\n");
    this.lines.length = 0;
    this.marked = new Uint8Array(n);
    this.scanTop();
  }

  // ------------------------------------------------------------ positions --

  /** Index of the buffered line holding text position `pos`. */
  private idx(pos: number): number {
    const s = this.starts;
    let lo = 0;
    let hi = s.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (s[mid]! <= pos) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  }

  private noAt(pos: number): number {
    return this.nos[this.idx(Math.min(pos, this.text.length - 1))]!;
  }

  private lineText(i: number): string {
    const s = this.starts[i]!;
    const e = i + 1 < this.starts.length ? this.starts[i + 1]! - 1 : this.text.length;
    return this.text.slice(s, e);
  }

  private skipWs(p: number): number {
    const t = this.text;
    while (p < t.length) {
      const c = t.charCodeAt(p);
      if (c < 128 && WS[c] === 1) p++;
      else break;
    }
    return p;
  }

  /**
   * End (exclusive) of the object/array starting at `p`, or -1 when the text
   * ends first. A raw newline ends a string (JSON forbids it) so that a line
   * cut inside a string does not swallow the rest of the file.
   */
  private scanComposite(p: number): number {
    const t = this.text;
    let depth = 0;
    let inStr = false;
    for (let i = p; i < t.length; i++) {
      const c = t.charCodeAt(i);
      if (inStr) {
        if (c === 92) i++; // backslash
        else if (c === 34 || c === 10) inStr = false;
        continue;
      }
      if (c === 34) inStr = true;
      else if (c === 123 || c === 91) depth++;
      else if (c === 125 || c === 93) {
        depth--;
        if (depth === 0) return i + 1;
      }
    }
    return -1;
  }

  /** End of a scalar (string, number, literal) starting at `p`. */
  private scanScalar(p: number): number {
    const t = this.text;
    if (t.charCodeAt(p) === 34) {
      for (let i = p + 1; i < t.length; i++) {
        const c = t.charCodeAt(i);
        if (c === 92) i++;
        else if (c === 34) return i + 1;
        else if (c === 10) return i;
      }
      return t.length;
    }
    let i = p;
    while (i < t.length) {
      const c = t.charCodeAt(i);
      if (c === 44 || c === 93 || c === 125 || c === 10 || c === 32 || c === 9) break;
      i++;
    }
    return i === p ? p + 1 : i;
  }

  /** Next position after `from` where a line starts with `[` or `{` in column 1, or -1. */
  private resyncPoint(from: number): number {
    const t = this.text;
    let p = t.indexOf("\n", from);
    while (p >= 0) {
      const c = t.charCodeAt(p + 1);
      if (c === 91 || c === 123) return p + 1;
      p = t.indexOf("\n", p + 1);
    }
    return -1;
  }

  // ------------------------------------------------------------ accounting --

  /** Mark the lines of [from, to) as the rest of an invalid value (the error line is skipped separately). */
  private ignoreRange(from: number, to: number): void {
    const a = this.idx(from);
    const b = this.idx(Math.max(from, to - 1));
    for (let i = a; i <= b; i++) {
      if (this.marked[i]) continue;
      this.marked[i] = 1;
      this.ctx.ignore(this.nos[i]!, "invalid-json");
    }
  }

  private error(pos: number, code: string, message: string): void {
    const i = this.idx(Math.min(pos, this.text.length - 1));
    if (this.marked[i]) {
      this.ctx.report("error", this.nos[i]!, code, message, this.lineText(i), JSON_HINT);
      return;
    }
    this.marked[i] = 2;
    this.ctx.skip(this.nos[i]!, code, message, this.lineText(i), JSON_HINT);
  }

  // ------------------------------------------------------------ scanning --

  private scanTop(): void {
    const t = this.text;
    let p = this.skipWs(0);
    while (p < t.length) {
      const c = t.charCodeAt(p);
      if (c === 91) p = this.scanArray(p);
      else if (c === 123) {
        p = this.value(p, true);
        this.resynced = false;
      }
      else p = this.garbage(p);
      p = this.skipWs(p);
    }
  }

  /** Text that is not JSON between values: stderr captured into the file, or junk. */
  private garbage(p: number): number {
    const t = this.text;
    let e = t.indexOf("\n", p);
    if (e < 0) e = t.length;
    const i = this.idx(p);
    const line = t.slice(p, e);
    if (!this.marked[i]) {
      this.marked[i] = 1;
      if (line.startsWith("Error: ") || line.startsWith("Error response from daemon: ")) {
        this.ctx.ignore(this.nos[i]!, "stderr");
        this.ctx.report("info", this.nos[i]!, "I_STDERR_LINE", "standard-error line captured into the file, ignored", line);
      } else {
        this.marked[i] = 2;
        this.ctx.skip(this.nos[i]!, "E_DOCKER_NOT_JSON", "text outside the JSON documents", line, "a docker inspect capture holds only JSON arrays or objects");
      }
    }
    return e;
  }

  /** A top-level array: each element is parsed on its own. Returns the position after it. */
  private scanArray(open: number): number {
    const t = this.text;
    let p = this.skipWs(open + 1);
    let expectValue = true;
    for (;;) {
      if (p >= t.length) {
        this.error(t.length - 1, "E_DOCKER_JSON_TRUNCATED", `the array opened on line ${this.noAt(open)} is not closed before the end of the input`);
        return p;
      }
      const c = t.charCodeAt(p);
      if (c === 93) return p + 1; // ]
      if (c === 44) {
        // ,
        if (expectValue) this.error(p, "E_DOCKER_JSON", "unexpected ',' in an array");
        expectValue = true;
        p = this.skipWs(p + 1);
        continue;
      }
      const atColumn1 = p === 0 || t.charCodeAt(p - 1) === 10;
      if (!expectValue) {
        if (atColumn1 && (c === 91 || c === 123)) {
          // a new document starts: the array lost its closing bracket
          this.error(p - 1, "E_DOCKER_JSON_TRUNCATED", `the array opened on line ${this.noAt(open)} is not closed before the next document (line ${this.noAt(p)})`);
          return p;
        }
        this.error(p, "E_DOCKER_JSON", "expected ',' or ']' after an array element");
      }
      if (c === 123 || c === 91) {
        p = this.value(p, false);
        if (this.resynced) {
          // the element's error already says where the next document starts
          this.resynced = false;
          return p;
        }
      } else if (c === 125) {
        this.error(p, "E_DOCKER_JSON", "unexpected '}' in an array");
        p++;
      } else p = this.value(p, false);
      expectValue = false;
      p = this.skipWs(p);
    }
  }

  /** Parse one value (object, nested array or scalar) at `p`; returns the position after it. */
  private value(p: number, top: boolean): number {
    const t = this.text;
    const c = t.charCodeAt(p);
    const composite = c === 123 || c === 91;
    let end = composite ? this.scanComposite(p) : this.scanScalar(p);
    if (end < 0) {
      const r = this.resyncPoint(p);
      end = r < 0 ? t.length : r;
      this.resynced = true;
      this.error(end - 1, "E_DOCKER_JSON_TRUNCATED", `the JSON value starting on line ${this.noAt(p)} is not closed before ${r < 0 ? "the end of the input" : `the next document (line ${this.noAt(r)})`}`);
      this.ignoreRange(p, end);
      return end;
    }
    const slice = t.slice(p, end);
    let v: Json;
    try {
      v = JSON.parse(slice) as Json;
    } catch (err) {
      const msg = (err as Error).message;
      const m = /at position (\d+)/.exec(msg);
      const at = m ? p + Number(m[1]) : end - 1;
      this.error(at, "E_DOCKER_JSON", `invalid JSON: ${msg.replace(/ in JSON at position \d+.*$/, "")}`);
      this.ignoreRange(p, end);
      return end;
    }
    this.object(v, this.noAt(p), top);
    return end;
  }

  // -------------------------------------------------------------- records --

  private object(v: Json, no: number, _top: boolean): void {
    if (isObj(v)) {
      if (typeof v["Id"] === "string" && isObj(v["State"]) && (isObj(v["NetworkSettings"]) || isObj(v["HostConfig"]))) {
        this.container(v, no);
        return;
      }
      if (typeof v["Id"] === "string" && typeof v["Name"] === "string" && "Driver" in v && "IPAM" in v) {
        this.network(v, no);
        return;
      }
    }
    this.ctx.report("warning", no, "W_DOCKER_OBJECT_IGNORED", `${describe(v)} ignored: natlens reads containers and networks`);
  }

  private warn(no: number, message: string): void {
    this.ctx.report("warning", no, "W_DOCKER_FIELD", message);
  }

  private ip(v: Json | undefined, no: number, what: string): string | null {
    const s = str(v);
    if (s === null) return null;
    const n = normalizeIpCached(s, this.ctx.caches);
    if (!n) {
      this.warn(no, `${what} ${JSON.stringify(s)} is not an IP address; kept as written`);
      return s;
    }
    return n.ip;
  }

  private container(o: Obj, no: number): void {
    const state = o["State"] as Obj;
    const ns = isObj(o["NetworkSettings"]) ? o["NetworkSettings"] : {};
    const hc = isObj(o["HostConfig"]) ? o["HostConfig"] : {};
    const config = isObj(o["Config"]) ? o["Config"] : {};
    const rawName = str(o["Name"]) ?? "";
    const pid = int(state["Pid"]);
    const networkMode = str(hc["NetworkMode"]);

    const networks: ContainerNetwork[] = [];
    const nets = ns["Networks"];
    if (isObj(nets)) {
      for (const [name, e] of Object.entries(nets)) {
        if (!isObj(e)) {
          this.warn(no, `NetworkSettings.Networks.${name} is not an object`);
          continue;
        }
        const ip = this.ip(e["IPAddress"], no, `${name} IPAddress`);
        networks.push({
          name,
          networkId: str(e["NetworkID"]),
          ip,
          prefixLen: ip === null ? null : int(e["IPPrefixLen"]),
          gateway: this.ip(e["Gateway"], no, `${name} Gateway`),
          ipv6: this.ip(e["GlobalIPv6Address"], no, `${name} GlobalIPv6Address`),
          ipv6Gateway: this.ip(e["IPv6Gateway"], no, `${name} IPv6Gateway`),
          mac: str(e["MacAddress"]),
        });
      }
    }
    // Top-level NetworkSettings.IPAddress & co. (deprecated, gone in API 1.52):
    // only a fallback when Networks does not carry the data.
    const topIp = this.ip(ns["IPAddress"], no, "NetworkSettings.IPAddress");
    const topV6 = this.ip(ns["GlobalIPv6Address"], no, "NetworkSettings.GlobalIPv6Address");
    const topMac = str(ns["MacAddress"]);
    if (topIp !== null || topV6 !== null || topMac !== null) {
      const top: ContainerNetwork = {
        name: networkMode === null || networkMode === "default" ? "bridge" : networkMode,
        networkId: null,
        ip: topIp,
        prefixLen: topIp === null ? null : int(ns["IPPrefixLen"]),
        gateway: this.ip(ns["Gateway"], no, "NetworkSettings.Gateway"),
        ipv6: topV6,
        ipv6Gateway: this.ip(ns["IPv6Gateway"], no, "NetworkSettings.IPv6Gateway"),
        mac: topMac,
      };
      if (networks.length === 0) networks.push(top);
      else if (networks.length === 1) {
        const only = networks[0]!;
        if (only.ip === null && top.ip !== null) {
          only.ip = top.ip;
          only.prefixLen = top.prefixLen;
        }
        only.gateway ??= top.gateway;
        only.ipv6 ??= top.ipv6;
        only.ipv6Gateway ??= top.ipv6Gateway;
        only.mac ??= top.mac;
      }
    }

    const ports: PublishedPort[] = [];
    this.ports(ns["Ports"], "ports", no, ports);
    this.ports(hc["PortBindings"], "bindings", no, ports);

    const rec: ContainerRecord = {
      kind: "container",
      source: { file: this.ctx.file, line: no },
      format: "docker-inspect",
      id: o["Id"] as string,
      name: rawName.startsWith("/") ? rawName.slice(1) : rawName,
      pid: pid === null || pid === 0 ? null : pid,
      status: str(state["Status"]) ?? (state["Running"] === true ? "running" : null),
      image: str(config["Image"]) ?? str(o["Image"]),
      networkMode,
      networks,
      ports,
    };
    this.ctx.emit(rec);
  }

  /** `{"80/tcp": [{"HostIp": "0.0.0.0", "HostPort": "8080"}], "443/tcp": null}` */
  private ports(map: Json | undefined, from: "ports" | "bindings", no: number, out: PublishedPort[]): void {
    if (map === undefined || map === null) return;
    const where = from === "ports" ? "NetworkSettings.Ports" : "HostConfig.PortBindings";
    if (!isObj(map)) {
      this.warn(no, `${where} is not an object`);
      return;
    }
    for (const [key, list] of Object.entries(map)) {
      const slash = key.indexOf("/");
      const portText = slash < 0 ? key : key.slice(0, slash);
      const proto = slash < 0 ? "tcp" : key.slice(slash + 1);
      const containerPort = portNumber(portText);
      if (containerPort === null || proto === "") {
        this.warn(no, `${where} key ${JSON.stringify(key)} is not PORT/PROTO`);
        continue;
      }
      if (list === null || (Array.isArray(list) && list.length === 0)) {
        // exposed but not published
        if (from === "ports") out.push({ proto, containerPort, hostIp: null, hostPort: null, from });
        continue;
      }
      if (!Array.isArray(list)) {
        this.warn(no, `${where}.${key} is not a list of bindings`);
        continue;
      }
      for (const b of list) {
        if (!isObj(b)) {
          this.warn(no, `${where}.${key} holds a binding that is not an object`);
          continue;
        }
        const hostPortText = str(b["HostPort"]);
        let hostPort: number | null = null;
        if (hostPortText !== null) {
          hostPort = portNumber(hostPortText);
          if (hostPort === null) {
            if (/^\d+-\d+$/.test(hostPortText)) {
              this.ctx.report("info", no, "I_DOCKER_HOST_PORT_RANGE", `${where}.${key} requests host port range ${hostPortText}; the bound port is in NetworkSettings.Ports`);
            } else this.warn(no, `${where}.${key} HostPort ${JSON.stringify(hostPortText)} is not a port number`);
          }
        }
        out.push({ proto, containerPort, hostIp: this.ip(b["HostIp"], no, `${where}.${key} HostIp`), hostPort, from });
      }
    }
  }

  private network(o: Obj, no: number): void {
    const id = o["Id"] as string;
    const name = o["Name"] as string;
    const driver = str(o["Driver"]);
    const options: Record<string, string> = {};
    const opts = o["Options"];
    if (isObj(opts)) {
      for (const [k, v] of Object.entries(opts)) options[k] = typeof v === "string" ? v : JSON.stringify(v);
    }
    let bridge: string | null = options["com.docker.network.bridge.name"] || null;
    if (bridge === null && driver === "bridge") {
      bridge = options["com.docker.network.bridge.default_bridge"] === "true" ? "docker0" : `br-${id.slice(0, 12)}`;
    }

    const subnets: NetworkRecord["subnets"] = [];
    const ipam = o["IPAM"];
    const config = isObj(ipam) ? ipam["Config"] : null;
    if (Array.isArray(config)) {
      for (const c of config) {
        if (!isObj(c)) continue;
        const s = str(c["Subnet"]);
        if (s === null) continue;
        const cidr = normalizeCidr(s);
        if (cidr === null) this.warn(no, `IPAM subnet ${JSON.stringify(s)} is not a CIDR; kept as written`);
        subnets.push({ subnet: cidr ?? s, gateway: this.ip(c["Gateway"], no, "IPAM gateway") });
      }
    }

    const containers: NetworkRecord["containers"] = [];
    const cs = o["Containers"];
    if (isObj(cs)) {
      for (const [cid, c] of Object.entries(cs)) {
        const e = isObj(c) ? c : {};
        containers.push({ id: cid, name: str(e["Name"]), ipv4: this.cidr(e["IPv4Address"], no), ipv6: this.cidr(e["IPv6Address"], no) });
      }
    }

    const rec: NetworkRecord = {
      kind: "network",
      source: { file: this.ctx.file, line: no },
      format: "docker-inspect",
      id,
      name,
      driver,
      bridge,
      subnets,
      enableIpv6: bool(o["EnableIPv6"]),
      internal: bool(o["Internal"]),
      options,
      containers,
    };
    this.ctx.emit(rec);
  }

  /** `172.17.0.2/16` normalised, prefix kept. */
  private cidr(v: Json | undefined, no: number): string | null {
    const s = str(v);
    if (s === null) return null;
    const c = normalizeCidr(s);
    if (c === null) {
      this.warn(no, `container address ${JSON.stringify(s)} is not an address; kept as written`);
      return s;
    }
    return c;
  }
}


/** A short description of an object that is neither a container nor a network. */
function describe(v: Json): string {
  if (!isObj(v)) return Array.isArray(v) ? "a nested array" : `a JSON ${v === null ? "null" : typeof v}`;
  const id = typeof v["Id"] === "string" ? v["Id"] : typeof v["Name"] === "string" ? v["Name"] : null;
  let what = "an object";
  if ("RepoTags" in v || "RootFS" in v) what = "an image";
  else if ("Mountpoint" in v) what = "a volume";
  else if ("ID" in v && ("Names" in v || "Ports" in v)) what = "a `docker ps --format json` line";
  else if ("Spec" in v && "Version" in v) what = "a swarm object";
  return id ? `${what} (${id.length > 40 ? id.slice(0, 40) + "…" : id})` : what;
}

/** `"Id": "<64 hex>"` as docker prints it (indented or compact). */
const ID_LINE = /"Id": ?"(?:sha256:)?[0-9a-f]{64}"/;

export const dockerInspect: FormatParser = {
  id: "docker-inspect",
  title: "docker inspect / docker network inspect (JSON)",
  kinds: ["container", "network"],
  commands: ["docker inspect $(docker ps -aq)", "docker network inspect $(docker network ls -q)"],
  sniff(head) {
    const first = head[0]!.trimStart();
    const c = first.charCodeAt(0);
    if (c !== 91 && c !== 123) return 0;
    let id = false;
    let keys = 0;
    for (const l of head) {
      if (ID_LINE.test(l)) id = true;
      if (l.includes('"NetworkSettings"') || l.includes('"HostConfig"') || l.includes('"IPAM"') || l.includes('"State": {') || l.includes('"Driver":')) keys++;
      if (l.includes('"Mountpoint":') || l.includes('"RepoTags":')) keys++;
    }
    if (id && (keys > 0 || head.length < 6)) return 0.95;
    if (id) return 0.85;
    // `docker ps --format json` lines have "ID" (upper case), never "Id"
    if (first.startsWith('{"Id":') || /^\[?\s*\{?\s*"Id": "/.test(head.slice(0, 4).join(" "))) return 0.7;
    if (keys > 0 && head.some((l) => l.includes('"Name": "') || l.includes('"Id": "'))) return 0.6;
    return 0.1;
  },
  create: (ctx) => new InspectParser(ctx),
};
