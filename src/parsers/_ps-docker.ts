/**
 * Docker process recognition for the `ps` parser: docker-proxy (any path,
 * `-current` builds, names cut to the 15-character task name, rootless
 * `rootlesskit-docker-proxy`) and dockerd / dockerd-current, with their argv
 * parsed into DockerProxyArgs / DockerdArgs (docker-paths.md §2.1, §2.2, §2.7;
 * input-formats.md §4.3).
 *
 * Truncation policy: a value that may have been cut is never guessed. When a
 * docker-proxy argv lacks any of its five flags, the command line was cut (a
 * terminal width, `ps` without `ww`) and the last token is suspect too, so it
 * is dropped. A dockerd argv has no mandatory flags; it is only called cut on
 * evidence (a flag name or boolean value that stops half-way at the end).
 */
import type { DockerdArgs, DockerProxyArgs } from "../types.js";
import { createParseCaches, type ParseCaches } from "../context.js";
import { normalizeIpCached } from "../net/index.js";
import { blankWords } from "./_text.js";

export type DockerKind = "proxy" | "dockerd" | null;

const ROOTLESS_PROXY = "rootlesskit-docker-proxy";
const DOCKERD_CURRENT = "dockerd-current";
/** `rootlesskit-d`: shorter prefixes may be other RootlessKit programs. */
const ROOTLESS_MIN = 13;

/** Which Docker program a basename (or a `comm`) is. */
export function dockerKind(base: string): DockerKind {
  if (base.startsWith("docker-proxy")) return "proxy";
  // `rootlesskit-doc` (comm), `rootlesskit-d` (a narrower comm column)
  if (base.length >= ROOTLESS_MIN && ROOTLESS_PROXY.startsWith(base)) return "proxy";
  // `dockerd-curren` (a comm column one narrower than the task name)
  if (base === "dockerd" || (base.startsWith("dockerd-") && DOCKERD_CURRENT.startsWith(base))) return "dockerd";
  return null;
}

export interface ArgResult<T> {
  value: T;
  /** The argv ends part-way (the line was cut). */
  truncated: boolean;
  /** Problems with values that are not at the cut end, for warnings. */
  problems: string[];
}

/** Split an argv text on blanks (ps joins argv with single spaces). */
const words = blankWords;

/** Go's strconv.ParseBool. */
function parseBool(v: string): boolean | null {
  switch (v) {
    case "1": case "t": case "T": case "true": case "TRUE": case "True":
      return true;
    case "0": case "f": case "F": case "false": case "FALSE": case "False":
      return false;
    default:
      return null;
  }
}

function isPrefixOfBool(v: string): boolean {
  const l = v.toLowerCase();
  return l.length > 0 && ("true".startsWith(l) || "false".startsWith(l));
}

function parsePort(v: string): number | null {
  if (v.length === 0 || v.length > 5) return null;
  let n = 0;
  for (let i = 0; i < v.length; i++) {
    const c = v.charCodeAt(i);
    if (c < 48 || c > 57) return null;
    n = n * 10 + (c - 48);
  }
  return n <= 65535 ? n : null;
}

/** `-name`, `--name`, `-name=value`, `--name=value` -> [name, value|null]; null when not a flag. */
function flagOf(tok: string): [string, string | null] | null {
  if (tok.charCodeAt(0) !== 45 || tok.length < 2) return null;
  const body = tok.charCodeAt(1) === 45 ? tok.slice(2) : tok.slice(1);
  if (body.length === 0) return null;
  const eq = body.indexOf("=");
  return eq < 0 ? [body, null] : [body.slice(0, eq), body.slice(eq + 1)];
}

const PROXY_VALUE_FLAGS = ["proto", "host-ip", "host-port", "container-ip", "container-port"] as const;
type ProxyValueFlag = (typeof PROXY_VALUE_FLAGS)[number];
const PROXY_VALUE_SET: ReadonlySet<string> = new Set(PROXY_VALUE_FLAGS);

const PROTOS = ["tcp", "udp", "sctp"];

/**
 * Parse a docker-proxy argv (the whole command text, argv[0] first). `cut`:
 * the row is known to end at the width the listing was cut at. `caches`:
 * the run's (ParseContext.caches).
 */
export function parseDockerProxy(args: string, cut = false, caches: ParseCaches = createParseCaches()): ArgResult<DockerProxyArgs> {
  const w = words(args);
  const raw: Partial<Record<ProxyValueFlag, { v: string; last: boolean }>> = {};
  let useListenFd = false;
  const problems: string[] = [];
  // A flag name cut at the end (`-container-p`) or a value flag with its value missing.
  let cutTail = false;
  for (let i = 1; i < w.length; i++) {
    const f = flagOf(w[i]!);
    if (!f) continue; // stray word: ignore (not produced by dockerd)
    const [name, inline] = f;
    if (PROXY_VALUE_SET.has(name)) {
      let v = inline;
      let last = i === w.length - 1;
      if (v === null) {
        if (i + 1 < w.length) {
          v = w[++i]!;
          last = i === w.length - 1;
        } else {
          cutTail = true;
          continue;
        }
      }
      raw[name as ProxyValueFlag] = { v, last };
    } else if (name === "use-listen-fd") {
      const b = inline === null ? true : parseBool(inline);
      if (b === null) {
        if (i === w.length - 1) cutTail = true;
        else problems.push(`-use-listen-fd has a value that is not a boolean: ${inline}`);
      } else {
        useListenFd = b;
      }
    } else if (i === w.length - 1) {
      cutTail = true; // an unknown flag at the very end: most likely a cut one (`-container-p`)
    }
  }
  const missing = PROXY_VALUE_FLAGS.filter((k) => raw[k] === undefined);
  // `docker-proxy -v` / `-version` prints its version: no mapping, nothing cut.
  const versionQuery = w.length === 2 && (w[1] === "-v" || w[1] === "-version" || w[1] === "--version");
  const truncated = cut || (!versionQuery && (missing.length > 0 || cutTail));
  const value: DockerProxyArgs = {
    proto: null,
    hostIp: null,
    hostPort: null,
    containerIp: null,
    containerPort: null,
    useListenFd,
  };
  for (const k of PROXY_VALUE_FLAGS) {
    const r = raw[k];
    if (!r) continue;
    // When the line was cut, its last value may be cut as well: never guess it.
    if (truncated && r.last) continue;
    const v = r.v;
    switch (k) {
      case "proto":
        if (PROTOS.includes(v)) value.proto = v;
        else problems.push(`-proto ${v} is not tcp, udp or sctp`);
        break;
      case "host-ip":
      case "container-ip": {
        const ip = normalizeIpCached(v, caches)?.ip ?? null;
        if (ip !== null) {
          if (k === "host-ip") value.hostIp = ip;
          else value.containerIp = ip;
        } else problems.push(`-${k} ${v} is not an address`);
        break;
      }
      case "host-port":
      case "container-port": {
        const p = parsePort(v);
        if (p !== null) {
          if (k === "host-port") value.hostPort = p;
          else value.containerPort = p;
        } else problems.push(`-${k} ${v} is not a port number`);
        break;
      }
    }
  }
  return { value, truncated, problems };
}

const DOCKERD_BOOLS = { "userland-proxy": "userlandProxy", iptables: "iptables", ip6tables: "ip6tables", experimental: "experimental" } as const;
const DOCKERD_VALUES = { "userland-proxy-path": "userlandProxyPath", "firewall-backend": "firewallBackend" } as const;
const DOCKERD_FLAGS = [...Object.keys(DOCKERD_BOOLS), ...Object.keys(DOCKERD_VALUES)];

/**
 * Parse a dockerd argv (the whole command text, argv[0] first). `cut`: the row
 * ends at the width the listing was cut at, so the option in the last word is
 * left empty (`--iptables` may have been `--iptables=false`).
 */
export function parseDockerd(args: string, cut = false): ArgResult<DockerdArgs> {
  const w = words(args);
  const value: DockerdArgs = {
    userlandProxy: null,
    iptables: null,
    ip6tables: null,
    userlandProxyPath: null,
    firewallBackend: null,
    experimental: null,
  };
  const problems: string[] = [];
  let truncated = cut;
  for (let i = 1; i < w.length; i++) {
    const f = flagOf(w[i]!);
    if (!f) continue;
    const [name, inline] = f;
    const last = i === w.length - 1;
    if (cut && (last || (i === w.length - 2 && name in DOCKERD_VALUES && inline === null))) break;
    if (name in DOCKERD_BOOLS) {
      const key = DOCKERD_BOOLS[name as keyof typeof DOCKERD_BOOLS];
      // A boolean flag never takes the next word as its value (`--userland-proxy` alone means true).
      if (inline === null) value[key] = true;
      else {
        const b = parseBool(inline);
        if (b !== null) value[key] = b;
        else if (last && (inline === "" || isPrefixOfBool(inline))) truncated = true;
        else problems.push(`--${name}=${inline} is not a boolean`);
      }
    } else if (name in DOCKERD_VALUES) {
      const key = DOCKERD_VALUES[name as keyof typeof DOCKERD_VALUES];
      let v = inline;
      if (v === null) {
        if (i + 1 < w.length) v = w[++i]!;
        else {
          truncated = true;
          continue;
        }
      }
      if (v === "" && last) truncated = true;
      else value[key] = v;
    } else if (last && inline === null && name.length >= 2 && DOCKERD_FLAGS.some((k) => k !== name && k.startsWith(name))) {
      truncated = true; // `--userland-pro` at the end of a cut line
    }
  }
  return { value, truncated, problems };
}
