/**
 * docker inspect objects to records: containers (state, name, networks and
 * their addresses, published ports from NetworkSettings.Ports and
 * HostConfig.PortBindings, network mode) and networks (driver, bridge name,
 * IPAM subnets and gateways); anything else is reported and ignored. Bad
 * field values are kept as written with a W_DOCKER_FIELD warning.
 */
import type { ParseContext } from "../../format.js";
import type { ContainerNetwork, ContainerRecord, NetworkRecord, PublishedPort } from "../../types.js";
import { normalizeCidr, normalizeIpCached } from "../../net/index.js";
import { portNumber } from "../_text.js";
import { bool, int, isObj, type Json, type Obj, str } from "./json.js";

/** One inspect document's objects, turned into records as the scanner hands them over. */
export class InspectRecords {
  constructor(private readonly ctx: ParseContext) {}

  object(v: Json, no: number, _top: boolean): void {
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
