/**
 * `docker info` as text: `Key: value` lines, nested by indentation (`Server:`,
 * ` Containers: 5`, `  Running: 5`), list items without a colon (registries,
 * CDI directories) and `WARNING:` lines. Each line with a value becomes one
 * setting whose key is the path of section names in snake case under
 * `docker.` (`docker.server_version`, `docker.containers.running`); the
 * `Client:` section's under `docker.client.`; a list item is a setting of its
 * section's key.
 */
import type { FormatParser, LineParser, ParseContext } from "../format.js";

const KV = /^(\s*)([A-Za-z][A-Za-z0-9 ()/._-]*?):(?:\s+(.*))?$/;
const WARNING = /^(?:WARNING|WARN):\s*(.*)$/;

function snake(s: string): string {
  return s.trim().toLowerCase().replace(/[^a-z0-9]+/g, "_").replace(/^_|_$/g, "");
}

class DockerInfoParser implements LineParser {
  /** Open sections: indentation and key path part. */
  private stack: { indent: number; part: string }[] = [];
  constructor(private readonly ctx: ParseContext) {}

  private key(indent: number, part: string | null): string {
    while (this.stack.length && this.stack[this.stack.length - 1]!.indent >= indent) this.stack.pop();
    const parts = this.stack.map((s) => s.part).filter((p) => p !== "server");
    if (part !== null) parts.push(part);
    return ["docker", ...parts].join(".");
  }

  line(text: string, no: number): void {
    const src = { file: this.ctx.file, line: no };
    const w = WARNING.exec(text.trim());
    if (w) {
      this.ctx.emit({ kind: "setting", source: src, format: "docker-info", key: "docker.warning", value: w[1]!.trim() });
      return;
    }
    const indent = text.length - text.trimStart().length;
    const m = KV.exec(text);
    if (m && !/^\s*[0-9a-f:]+\/\d+$/i.test(text)) {
      const part = snake(m[2]!);
      const value = (m[3] ?? "").trim();
      const key = this.key(indent, part);
      if (value !== "") this.ctx.emit({ kind: "setting", source: src, format: "docker-info", key, value });
      else this.ctx.ignore(no, "section");
      this.stack.push({ indent, part });
      return;
    }
    if (indent > 0) {
      // a list item of the section above (a registry, a directory, a security option)
      const key = this.key(indent, null);
      if (key === "docker") {
        this.ctx.skip(no, "E_DOCKER_INFO_LINE", "an indented line outside any section", text, "docker info prints `Key: value` lines under `Client:` and `Server:`");
        return;
      }
      this.ctx.emit({ kind: "setting", source: src, format: "docker-info", key, value: text.trim() });
      this.stack.push({ indent, part: snake(text) || "item" });
      return;
    }
    this.ctx.skip(no, "E_DOCKER_INFO_LINE", "not a `Key: value` line of docker info", text, "docker info prints `Key: value` lines under `Client:` and `Server:`");
  }
  end(): void {}
}

export const dockerInfo: FormatParser = {
  id: "docker-info",
  title: "docker info (text): server version, kernel, firewall backend, warnings",
  kinds: ["setting"],
  commands: ["docker info", "podman info"],
  sniff(head) {
    let server = false;
    let kv = 0;
    for (const l of head) {
      // `docker version` has `Server:` and ` Version:` too, never these
      if (/^\s*Server Version:\s+\S/.test(l) || /^\s*Storage Driver:\s/.test(l)) server = true;
      if (KV.test(l)) kv++;
    }
    if (server && kv >= 3) return 0.9;
    return 0;
  },
  rejects(head) {
    for (const l of head) if (l.includes("Server Version:") || l.includes("Storage Driver:")) return false;
    return true;
  },
  create: (ctx) => new DockerInfoParser(ctx),
};
