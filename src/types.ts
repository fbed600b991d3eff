/**
 * The record types ARE the schema: every parser produces these, every writer
 * consumes them, and docs/schema.md describes them field by field.
 *
 * Conventions:
 * - A value that the input does not carry is `null`, never `undefined`, so
 *   every JSON object of one kind has the same keys.
 * - Addresses are normalised text: dotted IPv4, RFC 5952 IPv6 (lower case,
 *   longest zero run compressed), IPv4-mapped IPv6 written as dotted IPv4 with
 *   the `mapped` flag. A name that could not be turned into an address is kept
 *   as written and flagged `unresolved`.
 * - `source` points at the first input line the record came from (1-based).
 */

/** Version of the `convert` JSON document. Bump on any incompatible change. */
export const RECORDS_SCHEMA = "natlens/records@1";

export interface SourceRef {
  file: string;
  line: number;
}

export type Severity = "error" | "warning" | "info";

export interface Diagnostic {
  severity: Severity;
  /** Stable, documented code such as `E_FIELD_COUNT` or `W_TRUNCATED`. */
  code: string;
  message: string;
  file: string;
  /** 1-based line, or null for a whole-file diagnostic. */
  line: number | null;
  /** The offending input line, cut to a readable length. */
  text?: string;
  hint?: string;
}

// ---------------------------------------------------------------- sockets --

export type TcpState =
  | "ESTABLISHED"
  | "SYN_SENT"
  | "SYN_RECV"
  | "FIN_WAIT1"
  | "FIN_WAIT2"
  | "TIME_WAIT"
  | "CLOSE"
  | "CLOSE_WAIT"
  | "LAST_ACK"
  | "LISTEN"
  | "CLOSING"
  | "NEW_SYN_RECV"
  | "BOUND_INACTIVE";

/**
 * UDP sockets use `UNCONN` (unconnected) or `ESTABLISHED` (connected);
 * `UNKNOWN` keeps a state text the parser did not recognise (see flags).
 */
export type SocketState = TcpState | "UNCONN" | "UNKNOWN";

export type SocketFlag =
  /** An address, port or program name was cut by the producing tool. */
  | "truncated"
  /** An IPv4-mapped IPv6 address (::ffff:a.b.c.d) was written as IPv4. */
  | "mapped"
  /** A host name was kept because it could not be turned into an address. */
  | "unresolved"
  /** A service name was not in natlens' services table; the port is null. */
  | "unknown-service"
  /** The socket is bound to an interface (`%eth0` in ss). */
  | "bound-to-device";

export interface SocketRecord {
  kind: "socket";
  source: SourceRef;
  /** The format id that produced the record, e.g. `proc-net-tcp`, `ss`. */
  format: string;
  /**
   * Network-namespace hint taken from the file path: `pid:6446` for
   * `proc/6446/net/tcp6`, `host` for `proc/net/tcp`, `netns:NAME` for a
   * sosreport `namespaces/NAME/` folder; null when the path says nothing.
   */
  netns: string | null;
  proto: "tcp" | "udp";
  family: 4 | 6;
  localIp: string;
  localPort: number | null;
  remoteIp: string;
  remotePort: number | null;
  state: SocketState;
  recvQ: number | null;
  sendQ: number | null;
  uid: number | null;
  user: string | null;
  inode: number | null;
  pid: number | null;
  program: string | null;
  /** Interface from an ss `%iface` suffix. */
  iface: string | null;
  /** The timer column (`netstat -o`, `ss -o`), as printed. */
  timer: string | null;
  /** Every process holding the socket (ss lists several for forked servers). */
  processes: { pid: number; program: string | null; fd: number | null }[];
  flags: SocketFlag[];
}

// -------------------------------------------------------------- processes --

export interface DockerProxyArgs {
  proto: string | null;
  hostIp: string | null;
  hostPort: number | null;
  containerIp: string | null;
  containerPort: number | null;
  useListenFd: boolean;
}

export interface DockerdArgs {
  /** `--userland-proxy`: true, false, or null when not given (default true). */
  userlandProxy: boolean | null;
  iptables: boolean | null;
  ip6tables: boolean | null;
  userlandProxyPath: string | null;
  firewallBackend: string | null;
  experimental: boolean | null;
}

export type ProcessFlag =
  /** The command line was cut at a terminal width or by the tool. */
  | "truncated"
  /** A kernel thread (`[kthreadd]`). */
  | "kernel-thread"
  /** A zombie (`<defunct>`). */
  | "defunct";

export interface ProcessRecord {
  kind: "process";
  source: SourceRef;
  format: string;
  pid: number;
  ppid: number | null;
  user: string | null;
  /** Program name: basename of argv[0] (or the `comm` where that is all we have). */
  command: string;
  /** The whole command line as printed (forest prefixes removed). */
  args: string;
  /** Thread count when the dump lists threads (`-eLf`, `auxwwwm`). */
  threads: number | null;
  dockerProxy: DockerProxyArgs | null;
  dockerd: DockerdArgs | null;
  flags: ProcessFlag[];
}

// -------------------------------------------------------- firewall rules --

export interface Negatable<T> {
  value: T;
  negated: boolean;
}

export interface PortRange {
  from: number;
  to: number;
}

export interface RuleMatches {
  inIface: Negatable<string> | null;
  outIface: Negatable<string> | null;
  /** CIDR text, e.g. `172.17.0.0/16`; a bare address gets /32 or /128. */
  src: Negatable<string> | null;
  dst: Negatable<string> | null;
  /** Protocol name (`tcp`, `udp`, `icmp`, ...) or number as text. */
  proto: Negatable<string> | null;
  sport: Negatable<PortRange[]> | null;
  dport: Negatable<PortRange[]> | null;
  srcType: Negatable<string> | null;
  dstType: Negatable<string> | null;
  ctstate: Negatable<string[]> | null;
  mark: Negatable<string> | null;
  comment: string | null;
  /** Match text natlens does not model, kept verbatim (never dropped). */
  other: string[];
}

export interface NatTarget {
  /** Address or first address of a range; null when only ports are given. */
  addr: string | null;
  addrTo: string | null;
  port: number | null;
  portTo: number | null;
}

export interface RuleRecord {
  kind: "rule";
  source: SourceRef;
  format: string;
  family: 4 | 6;
  table: string;
  chain: string;
  /** 1-based position in its chain. */
  position: number;
  packets: number | null;
  bytes: number | null;
  matches: RuleMatches;
  /** `ACCEPT`, `DROP`, `DNAT`, a user chain name, ... or null (no target). */
  target: string | null;
  /** True for `-g` / nft `goto`. */
  goto: boolean;
  /** Parsed DNAT/SNAT/REDIRECT/MASQUERADE arguments. */
  nat: NatTarget | null;
  /** Other target options verbatim, e.g. `--random-fully`. */
  targetArgs: string[];
  /** nft rule handle (`# handle N`). */
  handle: number | null;
  /** The rule as written in the input. */
  text: string;
  /** nft: the table's family (`ip`, `ip6`, `inet`, `bridge`, `netdev`, `arp`). */
  tableFamily?: string;
  /** iptables-save: the backend that printed the dump (`legacy` or `nf_tables`), when its header says. */
  backend?: "legacy" | "nf_tables";
  /** nft: elements of the named sets the rule refers to (`@name`), by name, when the set was listed before the rule. */
  sets?: Record<string, string[]>;
  /**
   * Never in a parsed record: set on the jumps the rule engine assumes for a
   * partial dump (src/engine/unreached.ts), saying why (`no base chain in the dump`).
   */
  assumed?: string;
}

export interface ChainRecord {
  kind: "chain";
  source: SourceRef;
  format: string;
  family: 4 | 6;
  table: string;
  name: string;
  builtin: boolean;
  /** `ACCEPT`/`DROP` for built-in chains; null for user chains. */
  policy: string | null;
  packets: number | null;
  bytes: number | null;
  /** nft base-chain details. */
  hook: string | null;
  priority: string | null;
  type: string | null;
  /** nft: the table's family (`ip`, `ip6`, `inet`, `bridge`, `netdev`, `arp`). */
  tableFamily?: string;
  /** iptables-save: the backend that printed the dump (`legacy` or `nf_tables`), when its header says. */
  backend?: "legacy" | "nf_tables";
}

// -------------------------------------------------------------- conntrack --

export interface ConntrackTuple {
  src: string;
  dst: string;
  sport: number | null;
  dport: number | null;
  /** ICMP type/code/id and packet counters when present. */
  icmp: { type: number; code: number; id: number } | null;
  packets: number | null;
  bytes: number | null;
}

export interface ConntrackRecord {
  kind: "conntrack";
  source: SourceRef;
  format: string;
  family: 4 | 6;
  proto: string;
  protoNum: number;
  timeout: number | null;
  state: string | null;
  original: ConntrackTuple;
  reply: ConntrackTuple;
  flags: string[];
  mark: number | null;
  zone: number | null;
  use: number | null;
  id: number | null;
  /** The reply source differs from the original destination. */
  dnat: boolean;
  /** The reply destination differs from the original source. */
  snat: boolean;
}

// ----------------------------------------------------------------- docker --

export interface PublishedPort {
  proto: string;
  containerPort: number;
  hostIp: string | null;
  hostPort: number | null;
  /** `ports` = NetworkSettings.Ports (bound), `bindings` = HostConfig.PortBindings (requested), `ps` = docker ps. */
  from: "ports" | "bindings" | "ps";
}

export interface ContainerNetwork {
  name: string;
  networkId: string | null;
  ip: string | null;
  prefixLen: number | null;
  gateway: string | null;
  ipv6: string | null;
  ipv6Gateway: string | null;
  mac: string | null;
}

export interface ContainerRecord {
  kind: "container";
  source: SourceRef;
  format: string;
  id: string;
  name: string;
  pid: number | null;
  status: string | null;
  image: string | null;
  networkMode: string | null;
  networks: ContainerNetwork[];
  ports: PublishedPort[];
}

export interface NetworkRecord {
  kind: "network";
  source: SourceRef;
  format: string;
  id: string;
  name: string;
  driver: string | null;
  /** Linux bridge device: `docker0`, `br-<12 hex>` or the configured name. */
  bridge: string | null;
  subnets: { subnet: string; gateway: string | null }[];
  enableIpv6: boolean | null;
  internal: boolean | null;
  options: Record<string, string>;
  containers: { id: string; name: string | null; ipv4: string | null; ipv6: string | null }[];
}

// ------------------------------------------------------ addresses, routes --

export interface AddressRecord {
  kind: "address";
  source: SourceRef;
  format: string;
  iface: string;
  family: 4 | 6;
  address: string;
  prefixLen: number | null;
  scope: string | null;
  state: string | null;
}

export interface RouteRecord {
  kind: "route";
  source: SourceRef;
  format: string;
  family: 4 | 6;
  /** `default` or a CIDR. */
  dst: string;
  type: string | null;
  dev: string | null;
  via: string | null;
  src: string | null;
  proto: string | null;
  scope: string | null;
  metric: number | null;
  table: string | null;
}

// --------------------------------------------------------------- settings --

/**
 * One host or daemon setting, as a key and its value text: a sysctl
 * (`net.ipv4.conf.docker0.route_localnet` = `1`, also collect.sh's
 * `sys.class.net.<br>.brif.<port>.hairpin_mode`), the kernel of `uname`
 * (`kernel.release`), a `docker info` line (`docker.server_version`) or a
 * daemon.json key (`daemon.userland-proxy`). What the settings decide is the
 * analysis's business (src/whatif/facts.ts); records keep the text.
 */
export interface SettingRecord {
  kind: "setting";
  source: SourceRef;
  format: string;
  key: string;
  value: string;
}

// ---------------------------------------------------------------- records --

export type NatlensRecord =
  | SocketRecord
  | ProcessRecord
  | RuleRecord
  | ChainRecord
  | ConntrackRecord
  | ContainerRecord
  | NetworkRecord
  | AddressRecord
  | RouteRecord
  | SettingRecord;

export type RecordKind = NatlensRecord["kind"];

/** The plural names used for JSON arrays and `--kind`. */
export const KIND_PLURALS = {
  socket: "sockets",
  process: "processes",
  rule: "rules",
  chain: "chains",
  conntrack: "conntrack",
  container: "containers",
  network: "networks",
  address: "addresses",
  route: "routes",
  setting: "settings",
} as const satisfies Record<RecordKind, string>;

export type KindPlural = (typeof KIND_PLURALS)[RecordKind];

/** Per-input accounting: every line is parsed, ignored (known noise) or skipped (bad). */
export interface InputSummary {
  file: string;
  format: string | null;
  /**
   * How the format was chosen: detected from content, from the command line
   * above a pasted output (content alone would not have chosen it), forced by
   * --type, or none.
   */
  detectedBy: "content" | "command" | "type-option" | "none";
  /** Detection score (0..1) of the chosen format. */
  score: number;
  lines: number;
  records: number;
  /** Lines that are known non-data: blank, headers, banners, stderr noise, UNIX sockets. */
  ignored: number;
  /** Lines that could not be parsed; each has a diagnostic. */
  skipped: number;
  ignoredBy: Record<string, number>;
  skippedBy: Record<string, number>;
}
