/**
 * Layouts: which files of a support bundle natlens reads. A sosreport holds
 * thousands of files natlens has no business opening (firmware tables, /etc,
 * logs, sysfs); they are skipped without being read and counted in one summary
 * line. The rules look at one relative path at a time, so they work the same
 * for a directory walk and for a tar stream whose members come in any order.
 *
 * The bundle root is the input itself or a single wrapping directory
 * (`sosreport-web01/...`, `bundle/...`): the rules look at the first or second
 * path component. Paths not covered by a rule are read (a user's zip of
 * captures, our collector bundle).
 */

/** sosreport plugin directories natlens reads, and what it reads in them. */
const NET_COMMAND = /^(?:ip_netns_exec_.+?_)?(?:(?:netstat|ss|ip6?tables|ip6?tables-save|nft|conntrack)(?:_|$)|ip(?:_-[a-z0-9]+)*_(?:addr|address|route)(?:_|$))/;
const DOCKER_COMMAND = /^docker_(?:ps|inspect|network_inspect|info|version)(?:_|$)/;
const PLUGIN_RULES: Record<string, (rest: readonly string[]) => boolean> = {
  networking: (rest) => NET_COMMAND.test(rest[rest.length - 1]!) && (rest.length === 1 || (rest[0] === "namespaces" && rest.length === 3)),
  firewall_tables: () => true,
  iptables: () => true,
  nftables: () => true,
  conntrack: (rest) => rest.length <= 3,
  process: (rest) => rest.length === 1 && rest[0]!.startsWith("ps_"),
  docker: (rest) => (rest.length === 1 ? DOCKER_COMMAND.test(rest[0]!) : rest.length === 2 && (rest[0] === "containers" || rest[0] === "networks")),
  host: (rest) => rest.length === 1 && rest[0] === "hostname",
  // the kernel facts a what-if needs: sysctl -a (route_localnet, bridge-nf-call-*) and uname -a
  kernel: (rest) => rest.length === 1 && (rest[0] === "sysctl_-a" || /^uname(?:_-a)?$/.test(rest[0]!)),
};

/** sosreport plugins that show another container engine (kept for the report; their files are not read). */
export const ENGINE_PLUGINS = ["crio", "containerd", "podman", "kubernetes", "openshift"] as const;

/** Directories of a system copy, never a capture natlens reads. */
const SYSTEM_DIRS = new Set(["etc", "sys", "usr", "lib", "lib64", "boot", "dev", "sos_reports", "sos_logs", "sos_strings"]);
/** Further system directories, skipped only in a bundle known to be a sosreport (a user may wrap captures in `tmp/`). */
const SOS_ONLY_DIRS = new Set(["var", "run", "opt", "root", "home", "srv", "mnt", "tmp", "sos_commands"]);
const PROC_PID = /^(?:\d+|self)$/;
const PROC_NET_FILES = new Set(["tcp", "tcp6", "udp", "udp6", "raw", "raw6", "udplite", "udplite6", "nf_conntrack", "ip_conntrack"]);
/** A sosreport's wrapping directory, by the names sos gives it. */
const SOS_WRAPPER = /^(?:secured-)?sosreport-|^sos-collector-/;
/** A supportconfig's wrapping directory (`scc_web01_261120_1015`, or `scc_NAME` with `-B NAME`). */
const SCC_WRAPPER = /^scc_/;
/** A folder named as supportconfig names its folder (`scc_*`): the name half of src/input/hosts.ts's isSupportconfigFolder. */
export function hasSupportconfigName(name: string): boolean {
  return SCC_WRAPPER.test(name);
}
/**
 * The files of a supportconfig natlens reads: network.txt (ip addr/route,
 * ss -nap, iptables, nft), basic-health-check.txt (ps), basic-environment.txt
 * (uname -a), env.txt (sysctl -a), proc.txt (/proc/net/tcp*,
 * nf_conntrack), and the container engines' files. network-NS.txt describes
 * another network namespace than the host's and is skipped.
 */
const SCC_FILES = new Set(["network.txt", "basic-health-check.txt", "basic-environment.txt", "env.txt", "proc.txt", "docker.txt", "podman.txt"]);

/** Preference among several `ps` views of one sosreport: one is read, the others hold the same processes. */
const PS_PREFERENCE = ["ps_auxwwwm", "ps_auxwww", "ps_auxfwww", "ps_alxwww", "ps_-elfL"];

export type Verdict = "read" | "skip";

export class LayoutFilter {
  /** Files skipped by the rules. */
  skipped = 0;
  /** Container-engine plugins seen in a sosreport (`crio`, `podman`, ...). */
  readonly engines = new Set<string>();
  /** True once the bundle is known to be a sosreport. */
  sos: boolean;
  /** True once the bundle is known to be a supportconfig (its `*.txt` files are concatenated command outputs). */
  scc: boolean;

  constructor(opts: { sos?: boolean; scc?: boolean } = {}) {
    this.sos = opts.sos ?? false;
    this.scc = this.sccRoot = opts.scc ?? false;
  }

  /** The input itself is a supportconfig folder: every path is one of its files. */
  private readonly sccRoot: boolean;

  /** The verdict for a supportconfig's file, or null when `parts` is not one. */
  private sccVerdict(parts: readonly string[], dir: boolean): Verdict | null {
    let rest = parts;
    if (parts.length >= 2 && hasSupportconfigName(parts[0]!)) {
      this.scc = true;
      rest = parts.slice(1);
    } else if (!this.sccRoot) return null;
    if (dir) return rest.length === 1 || (rest.length === 2 && rest[0] === "docker") ? "read" : "skip";
    if (rest.length === 1) return SCC_FILES.has(rest[0]!) ? "read" : "skip";
    // docker/<container id>.txt: docker inspect (and top, logs) of each container
    return rest.length === 2 && rest[0] === "docker" && rest[1]!.endsWith(".txt") ? "read" : "skip";
  }

  private isMarker(name: string): boolean {
    return name === "proc" || name === "sos_commands" || SYSTEM_DIRS.has(name) || (this.sos && SOS_ONLY_DIRS.has(name));
  }

  /** Index of the bundle root's first component in `parts`, or -1 when no rule applies. */
  private rootIndex(parts: readonly string[]): number {
    if (parts.length >= 2 && this.isMarker(parts[0]!)) return 0;
    if (parts.length >= 3) {
      if (SOS_WRAPPER.test(parts[0]!)) this.sos = true;
      if (this.isMarker(parts[1]!)) return 1;
    }
    return -1;
  }

  /** Whether the file at `path` (relative, `/`-separated) is read; "skip" counts it. */
  classify(path: string): Verdict {
    const parts = path.split("/");
    let verdict = this.verdict(parts, false);
    // sos's own note at the top (`version.txt`), not a capture
    if (verdict === "read" && this.sos && parts[parts.length - 1] === "version.txt" && parts.length <= 2) verdict = "skip";
    if (verdict === "skip") this.skipped++;
    return verdict;
  }

  /** The verdict for a file, without counting it. */
  verdictOf(path: string): Verdict {
    return this.verdict(path.split("/"), false);
  }

  /**
   * For a directory walk: "skip" when nothing below `path` is ever read, so the
   * walk only counts its files. Does not count anything itself.
   */
  classifyDir(path: string): Verdict {
    return this.verdict([...path.split("/"), "\0"], true);
  }

  private verdict(parts: readonly string[], dir: boolean): Verdict {
    const scc = this.sccVerdict(parts, dir);
    if (scc !== null) return scc;
    const k = this.rootIndex(parts);
    if (k < 0) return "read";
    const top = parts[k]!;
    const rest = parts.slice(k + 1);
    if (dir) return this.dirVerdict(top, rest.slice(0, -1));
    if (top === "proc") {
      // proc/net/tcp, proc/<pid>/net/tcp: the kernel's socket and conntrack tables.
      if (rest.length === 2 && rest[0] === "net") return PROC_NET_FILES.has(rest[1]!) ? "read" : "skip";
      if (rest.length === 3 && rest[1] === "net" && PROC_PID.test(rest[0]!)) return PROC_NET_FILES.has(rest[2]!) ? "read" : "skip";
      // the collector's per-container `ip -o link` (proc/<pid>/ip_-o_link)
      if (rest.length === 2 && PROC_PID.test(rest[0]!) && rest[1]!.startsWith("ip_")) return "read";
      return "skip";
    }
    // dockerd's configuration (the collector and sosreport's docker plugin both copy it)
    if (top === "etc") return rest.length === 2 && rest[0] === "docker" && rest[1] === "daemon.json" ? "read" : "skip";
    if (top === "sos_commands") {
      this.sos = true;
      const plugin = rest[0]!;
      if ((ENGINE_PLUGINS as readonly string[]).includes(plugin)) this.engines.add(plugin);
      const rule = PLUGIN_RULES[plugin];
      return rule && rest.length >= 2 && rule(rest.slice(1)) ? "read" : "skip";
    }
    return "skip";
  }

  private dirVerdict(top: string, r: readonly string[]): Verdict {
    if (top === "proc") {
      if (r.length === 0) return "read";
      if (r[0] === "net") return r.length === 1 ? "read" : "skip";
      return PROC_PID.test(r[0]!) && (r.length === 1 || (r.length === 2 && r[1] === "net")) ? "read" : "skip";
    }
    if (top === "etc") return r.length === 0 || (r.length === 1 && r[0] === "docker") ? "read" : "skip";
    if (top === "sos_commands") {
      this.sos = true;
      if (r.length === 0) return "read";
      if ((ENGINE_PLUGINS as readonly string[]).includes(r[0]!)) this.engines.add(r[0]!);
      return PLUGIN_RULES[r[0]!] ? "read" : "skip";
    }
    return "skip";
  }

  /**
   * Of the files read, those that repeat another: a sosreport holds several
   * `ps` views of the same processes; only the preferred one is read. Returns
   * the paths to drop (and counts them as skipped).
   */
  redundant(paths: readonly string[]): Set<string> {
    const drop = new Set<string>();
    const byDir = new Map<string, string[]>();
    for (const p of paths) {
      const m = /^(.*\/)?sos_commands\/process\/(ps_[^/]*)$/.exec(p);
      if (!m) continue;
      const dir = m[1] ?? "";
      (byDir.get(dir) ?? byDir.set(dir, []).get(dir)!).push(m[2]!);
    }
    for (const [dir, names] of byDir) {
      if (names.length < 2) continue;
      const rank = (n: string) => {
        const i = PS_PREFERENCE.indexOf(n);
        return i < 0 ? PS_PREFERENCE.length : i;
      };
      const keep = [...names].sort((a, b) => rank(a) - rank(b) || (a < b ? -1 : 1))[0];
      for (const n of names) if (n !== keep) drop.add(`${dir}sos_commands/process/${n}`);
    }
    this.skipped += drop.size;
    return drop;
  }

  /** The one summary line for what was skipped, or null. */
  summary(): { severity: "info"; code: string; message: string; engines?: string[] } | null {
    if (this.skipped === 0) return null;
    return {
      severity: "info",
      code: "I_LAYOUT_SKIPPED",
      message: `${this.skipped.toLocaleString("en-US")} file${this.skipped === 1 ? "" : "s"} outside the networking/process/container paths skipped${this.sos ? " (sosreport layout)" : this.scc ? " (supportconfig layout)" : ""}`,
      ...(this.engines.size ? { engines: [...this.engines].sort() } : {}),
    };
  }
}
