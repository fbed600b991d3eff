/**
 * CSV columns per record kind: a public contract (docs/schema.md). Add columns
 * at the end; never rename or reorder without bumping RECORDS_SCHEMA.
 */
import type {
  ConntrackTuple,
  Negatable,
  NatlensRecord,
  PortRange,
  RecordKind,
} from "../types.js";
import { addrWithPort, hostPart } from "../net/index.js";

export type Cell = string | number | boolean | null;

export interface Column<R> {
  name: string;
  get(record: R): Cell;
}

type RecordOf<K extends RecordKind> = Extract<NatlensRecord, { kind: K }>;

function neg(n: Negatable<string> | null): Cell {
  return n ? (n.negated ? `!${n.value}` : n.value) : null;
}

function ports(n: Negatable<PortRange[]> | null): Cell {
  if (!n) return null;
  const text = n.value.map((r) => (r.from === r.to ? String(r.from) : `${r.from}-${r.to}`)).join(",");
  return n.negated ? `!${text}` : text;
}

function list(values: readonly string[]): Cell {
  return values.length ? values.join(";") : null;
}

const src = <R extends { source: { file: string; line: number }; format: string }>(): Column<R>[] => [
  { name: "file", get: (r) => r.source.file },
  { name: "line", get: (r) => r.source.line },
  { name: "format", get: (r) => r.format },
];

function tuple(prefix: string, pick: (r: RecordOf<"conntrack">) => ConntrackTuple): Column<RecordOf<"conntrack">>[] {
  return [
    { name: `${prefix}_src`, get: (r) => pick(r).src },
    { name: `${prefix}_dst`, get: (r) => pick(r).dst },
    { name: `${prefix}_sport`, get: (r) => pick(r).sport },
    { name: `${prefix}_dport`, get: (r) => pick(r).dport },
  ];
}

export const COLUMNS: { [K in RecordKind]: Column<RecordOf<K>>[] } = {
  socket: [
    ...src<RecordOf<"socket">>(),
    { name: "netns", get: (r) => r.netns },
    { name: "proto", get: (r) => r.proto },
    { name: "family", get: (r) => r.family },
    { name: "local_ip", get: (r) => r.localIp },
    { name: "local_port", get: (r) => r.localPort },
    { name: "remote_ip", get: (r) => r.remoteIp },
    { name: "remote_port", get: (r) => r.remotePort },
    { name: "state", get: (r) => r.state },
    { name: "recv_q", get: (r) => r.recvQ },
    { name: "send_q", get: (r) => r.sendQ },
    { name: "uid", get: (r) => r.uid },
    { name: "user", get: (r) => r.user },
    { name: "inode", get: (r) => r.inode },
    { name: "pid", get: (r) => r.pid },
    { name: "program", get: (r) => r.program },
    { name: "iface", get: (r) => r.iface },
    { name: "timer", get: (r) => r.timer },
    { name: "flags", get: (r) => list(r.flags) },
  ],
  process: [
    ...src<RecordOf<"process">>(),
    { name: "pid", get: (r) => r.pid },
    { name: "ppid", get: (r) => r.ppid },
    { name: "user", get: (r) => r.user },
    { name: "command", get: (r) => r.command },
    { name: "threads", get: (r) => r.threads },
    { name: "proxy_proto", get: (r) => r.dockerProxy?.proto ?? null },
    { name: "proxy_host_ip", get: (r) => r.dockerProxy?.hostIp ?? null },
    { name: "proxy_host_port", get: (r) => r.dockerProxy?.hostPort ?? null },
    { name: "proxy_container_ip", get: (r) => r.dockerProxy?.containerIp ?? null },
    { name: "proxy_container_port", get: (r) => r.dockerProxy?.containerPort ?? null },
    { name: "proxy_use_listen_fd", get: (r) => r.dockerProxy?.useListenFd ?? null },
    { name: "dockerd_userland_proxy", get: (r) => r.dockerd?.userlandProxy ?? null },
    { name: "dockerd_iptables", get: (r) => r.dockerd?.iptables ?? null },
    { name: "dockerd_ip6tables", get: (r) => r.dockerd?.ip6tables ?? null },
    { name: "dockerd_userland_proxy_path", get: (r) => r.dockerd?.userlandProxyPath ?? null },
    { name: "dockerd_firewall_backend", get: (r) => r.dockerd?.firewallBackend ?? null },
    { name: "flags", get: (r) => list(r.flags) },
    { name: "args", get: (r) => r.args },
  ],
  rule: [
    ...src<RecordOf<"rule">>(),
    { name: "family", get: (r) => r.family },
    { name: "table", get: (r) => r.table },
    { name: "chain", get: (r) => r.chain },
    { name: "position", get: (r) => r.position },
    { name: "packets", get: (r) => r.packets },
    { name: "bytes", get: (r) => r.bytes },
    { name: "in_iface", get: (r) => neg(r.matches.inIface) },
    { name: "out_iface", get: (r) => neg(r.matches.outIface) },
    { name: "src", get: (r) => neg(r.matches.src) },
    { name: "dst", get: (r) => neg(r.matches.dst) },
    { name: "proto", get: (r) => neg(r.matches.proto) },
    { name: "sport", get: (r) => ports(r.matches.sport) },
    { name: "dport", get: (r) => ports(r.matches.dport) },
    { name: "src_type", get: (r) => neg(r.matches.srcType) },
    { name: "dst_type", get: (r) => neg(r.matches.dstType) },
    { name: "ctstate", get: (r) => (r.matches.ctstate ? `${r.matches.ctstate.negated ? "!" : ""}${r.matches.ctstate.value.join(",")}` : null) },
    { name: "mark", get: (r) => neg(r.matches.mark) },
    { name: "comment", get: (r) => r.matches.comment },
    { name: "other_matches", get: (r) => list(r.matches.other) },
    { name: "target", get: (r) => r.target },
    { name: "goto", get: (r) => r.goto },
    {
      name: "nat_to",
      get: (r) => {
        const n = r.nat;
        if (!n) return null;
        const addr = n.addr ? (n.addrTo ? `${n.addr}-${n.addrTo}` : n.addr) : "";
        const port = n.port !== null ? (n.portTo !== null && n.portTo !== n.port ? `${n.port}-${n.portTo}` : String(n.port)) : "";
        return addrWithPort(addr, port);
      },
    },
    { name: "target_args", get: (r) => list(r.targetArgs) },
    { name: "handle", get: (r) => r.handle },
    { name: "text", get: (r) => r.text },
  ],
  chain: [
    ...src<RecordOf<"chain">>(),
    { name: "family", get: (r) => r.family },
    { name: "table", get: (r) => r.table },
    { name: "name", get: (r) => r.name },
    { name: "builtin", get: (r) => r.builtin },
    { name: "policy", get: (r) => r.policy },
    { name: "packets", get: (r) => r.packets },
    { name: "bytes", get: (r) => r.bytes },
    { name: "type", get: (r) => r.type },
    { name: "hook", get: (r) => r.hook },
    { name: "priority", get: (r) => r.priority },
  ],
  conntrack: [
    ...src<RecordOf<"conntrack">>(),
    { name: "family", get: (r) => r.family },
    { name: "proto", get: (r) => r.proto },
    { name: "state", get: (r) => r.state },
    { name: "timeout", get: (r) => r.timeout },
    ...tuple("orig", (r) => r.original),
    ...tuple("reply", (r) => r.reply),
    { name: "dnat", get: (r) => r.dnat },
    { name: "snat", get: (r) => r.snat },
    { name: "flags", get: (r) => list(r.flags) },
    { name: "mark", get: (r) => r.mark },
    { name: "zone", get: (r) => r.zone },
    { name: "use", get: (r) => r.use },
    { name: "id", get: (r) => r.id },
    { name: "orig_packets", get: (r) => r.original.packets },
    { name: "orig_bytes", get: (r) => r.original.bytes },
    { name: "reply_packets", get: (r) => r.reply.packets },
    { name: "reply_bytes", get: (r) => r.reply.bytes },
  ],
  container: [
    ...src<RecordOf<"container">>(),
    { name: "id", get: (r) => r.id },
    { name: "name", get: (r) => r.name },
    { name: "pid", get: (r) => r.pid },
    { name: "status", get: (r) => r.status },
    { name: "image", get: (r) => r.image },
    { name: "network_mode", get: (r) => r.networkMode },
    { name: "networks", get: (r) => list(r.networks.map((n) => n.name)) },
    { name: "ips", get: (r) => list(r.networks.flatMap((n) => [n.ip, n.ipv6].filter((x): x is string => !!x))) },
    {
      name: "ports",
      get: (r) =>
        list(
          r.ports.map((p) => {
            const host = p.hostPort === null ? "" : `${p.hostIp ? hostPart(p.hostIp) : ""}:${p.hostPort}->`;
            return `${host}${p.containerPort}/${p.proto}`;
          }),
        ),
    },
  ],
  network: [
    ...src<RecordOf<"network">>(),
    { name: "id", get: (r) => r.id },
    { name: "name", get: (r) => r.name },
    { name: "driver", get: (r) => r.driver },
    { name: "bridge", get: (r) => r.bridge },
    { name: "subnets", get: (r) => list(r.subnets.map((s) => s.subnet)) },
    { name: "gateways", get: (r) => list(r.subnets.map((s) => s.gateway ?? "")) },
    { name: "enable_ipv6", get: (r) => r.enableIpv6 },
    { name: "internal", get: (r) => r.internal },
    { name: "containers", get: (r) => list(r.containers.map((c) => c.name ?? c.id)) },
  ],
  address: [
    ...src<RecordOf<"address">>(),
    { name: "iface", get: (r) => r.iface },
    { name: "family", get: (r) => r.family },
    { name: "address", get: (r) => r.address },
    { name: "prefix_len", get: (r) => r.prefixLen },
    { name: "scope", get: (r) => r.scope },
    { name: "state", get: (r) => r.state },
  ],
  route: [
    ...src<RecordOf<"route">>(),
    { name: "family", get: (r) => r.family },
    { name: "dst", get: (r) => r.dst },
    { name: "type", get: (r) => r.type },
    { name: "dev", get: (r) => r.dev },
    { name: "via", get: (r) => r.via },
    { name: "src", get: (r) => r.src },
    { name: "proto", get: (r) => r.proto },
    { name: "scope", get: (r) => r.scope },
    { name: "metric", get: (r) => r.metric },
    { name: "table", get: (r) => r.table },
  ],
  setting: [...src<RecordOf<"setting">>(), { name: "key", get: (r) => r.key }, { name: "value", get: (r) => r.value }],
};

/** Columns the text table shows per kind (a readable subset of COLUMNS). */
export const TEXT_COLUMNS: { [K in RecordKind]: string[] } = {
  socket: ["netns", "proto", "local_ip", "local_port", "remote_ip", "remote_port", "state", "pid", "program", "inode", "flags", "file", "line"],
  process: ["pid", "ppid", "user", "command", "proxy_host_ip", "proxy_host_port", "proxy_container_ip", "proxy_container_port", "dockerd_userland_proxy", "flags", "line"],
  rule: ["family", "table", "chain", "position", "in_iface", "out_iface", "src", "dst", "proto", "dport", "target", "nat_to", "line"],
  chain: ["family", "table", "name", "policy", "packets", "bytes", "hook", "line"],
  conntrack: ["proto", "state", "orig_src", "orig_sport", "orig_dst", "orig_dport", "reply_src", "reply_sport", "reply_dst", "reply_dport", "dnat", "snat", "line"],
  container: ["name", "id", "pid", "status", "networks", "ips", "ports"],
  network: ["name", "id", "driver", "bridge", "subnets", "gateways", "containers"],
  address: ["iface", "family", "address", "prefix_len", "scope"],
  route: ["family", "dst", "dev", "via", "src", "proto", "scope", "table"],
  setting: ["key", "value", "file", "line"],
};
