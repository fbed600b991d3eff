/**
 * dockerd's configuration file, `/etc/docker/daemon.json`: one JSON object.
 * Each top-level key becomes a setting `daemon.<key>` (the value as JSON text
 * unless it is a string), cited at the line where the key is written. An empty
 * object (`{}`: every setting at its default) is claimed only when no other
 * format wants the input, and holds no setting.
 */
import type { FormatParser, LineParser, ParseContext } from "../format.js";

/** Keys of dockerd's configuration that identify the file (docs: dockerd --config-file). */
const KNOWN = [
  "userland-proxy", "userland-proxy-path", "iptables", "ip6tables", "ipv6", "ip-forward", "ip-masq", "fixed-cidr", "fixed-cidr-v6", "bip",
  "firewall-backend", "default-address-pools", "data-root", "storage-driver", "log-driver", "log-opts", "registry-mirrors",
  "insecure-registries", "live-restore", "experimental", "exec-opts", "dns", "hosts", "mtu", "debug", "features", "icc", "ip",
  "default-runtime", "runtimes", "cgroup-parent", "allow-direct-routing",
];

class DaemonJsonParser implements LineParser {
  private lines: { no: number; text: string }[] = [];
  constructor(private readonly ctx: ParseContext) {}
  line(text: string, no: number): void {
    this.lines.push({ no, text });
  }
  end(): void {
    if (this.lines.length === 0) return;
    const first = this.lines[0]!;
    let doc: unknown;
    try {
      doc = JSON.parse(this.lines.map((l) => l.text).join("\n"));
    } catch {
      for (const l of this.lines) this.ctx.skip(l.no, "E_DAEMON_JSON", "daemon.json is not valid JSON (a syntax error, or the file is cut short)", l.text, "dockerd refuses such a file too; check it with `python3 -m json.tool /etc/docker/daemon.json`");
      return;
    }
    if (doc === null || typeof doc !== "object" || Array.isArray(doc)) {
      this.ctx.skip(first.no, "E_DAEMON_JSON", "daemon.json must hold one JSON object", first.text, "e.g. {\"userland-proxy\": false}");
      return;
    }
    const cited = new Set<number>();
    for (const [key, value] of Object.entries(doc as Record<string, unknown>)) {
      const at = this.lines.find((l) => l.text.includes(JSON.stringify(key))) ?? first;
      cited.add(at.no);
      this.ctx.emit({ kind: "setting", source: { file: this.ctx.file, line: at.no }, format: "daemon-json", key: `daemon.${key}`, value: typeof value === "string" ? value : JSON.stringify(value) });
    }
    for (const l of this.lines) if (!cited.has(l.no)) this.ctx.ignore(l.no, "json");
  }
}

export const daemonJson: FormatParser = {
  id: "daemon-json",
  title: "dockerd's configuration file /etc/docker/daemon.json",
  kinds: ["setting"],
  commands: ["cat /etc/docker/daemon.json"],
  sniff(head) {
    const text = head.join("\n").trim();
    if (!text.startsWith("{")) return 0;
    if (/^\{\s*\}$/.test(text)) return 0.5;
    // the object's own keys: those at the indentation of the first one (or all of a one-line object)
    const keyLine = /^(\s*)\{?\s*"([^"]+)"\s*:/;
    const first = head.map((l) => keyLine.exec(l)).find((m) => m !== null);
    if (!first) return 0;
    const indent = first[1]!.length;
    const top: string[] = [];
    for (const l of head) {
      if (head.length === 1) for (const m of l.matchAll(/"([^"]+)"\s*:/g)) top.push(m[1]!);
      else {
        const m = keyLine.exec(l);
        if (m && m[1]!.length === indent) top.push(m[2]!);
      }
    }
    const known = top.filter((k) => KNOWN.includes(k)).length;
    return known >= 1 && known * 2 >= top.length ? 0.9 : 0;
  },
  // the text, trimmed, must start with `{`: its first non-blank character
  rejects(head) {
    for (const l of head) {
      const t = l.trimStart();
      if (t.length > 0) return t.charCodeAt(0) !== 123;
    }
    return true;
  },
  create: (ctx) => new DaemonJsonParser(ctx),
};
