/**
 * `docker ps` in its table shapes and as `--format json` lines.
 * input-formats.md §7.2.
 *
 * Tables (the default one, the 20-character padded one of 19.03, `--no-trunc`,
 * and `--format 'table {{.Names}}\t{{.Ports}}'`-style custom tables) are cut at
 * the header's column start positions: Docker's tab writer aligns every cell
 * under its header word, and STATUS and PORTS contain single spaces, so
 * splitting on blanks would be wrong. A row that does not line up with its
 * header falls back to splitting on runs of two or more blanks.
 *
 * `--format json` (and `--format '{{json .}}'`) prints one object per line.
 */
import type { FormatParser, LineParser, ParseContext } from "../format.js";
import type { ContainerNetwork, ContainerRecord, PublishedPort } from "../types.js";
import { createParseCaches, type ParseCaches } from "../context.js";
import { normalizeIpCached } from "../net/index.js";
import { portNumber } from "./_text.js";


/** Header words of `docker ps` template fields (docker/cli formatter). */
const COLUMN_NAMES = new Set([
  "CONTAINER ID",
  "ID",
  "IMAGE",
  "COMMAND",
  "CREATED",
  "CREATED AT",
  "RUNNING FOR",
  "STATUS",
  "STATE",
  "PORTS",
  "NAMES",
  "NETWORKS",
  "SIZE",
  "LABELS",
  "MOUNTS",
  "LOCAL VOLUMES",
  "PLATFORM",
]);

interface Column {
  name: string;
  start: number;
}

/** Cells separated by two or more blanks (or a tab), with their start offsets. */
function cells(line: string): Column[] {
  const out: Column[] = [];
  let i = 0;
  const n = line.length;
  while (i < n) {
    while (i < n && (line.charCodeAt(i) === 32 || line.charCodeAt(i) === 9)) i++;
    if (i >= n) break;
    const start = i;
    let end = i;
    while (i < n) {
      const c = line.charCodeAt(i);
      if (c === 9 || (c === 32 && (i + 1 >= n || line.charCodeAt(i + 1) === 32 || line.charCodeAt(i + 1) === 9))) break;
      i++;
      end = i;
    }
    out.push({ name: line.slice(start, end), start });
  }
  return out;
}

/** The columns of a `docker ps` table header, or null when `line` is not one. */
export function parseHeader(line: string): Column[] | null {
  const c0 = line.charCodeAt(0);
  if (!(c0 >= 65 && c0 <= 90) && c0 !== 32) return null; // headers start with an upper-case word
  const cols = cells(line);
  if (cols.length === 0) return null;
  let key = false;
  for (const c of cols) {
    if (!COLUMN_NAMES.has(c.name)) return null;
    if (c.name === "NAMES" || c.name === "CONTAINER ID" || c.name === "ID") key = true;
  }
  return key ? cols : null;
}

/** Normalised state word from a STATUS text (`Up 2 hours (healthy)` -> `running`). */
export function statusWord(text: string): string | null {
  const t = text.trim();
  if (t === "") return null;
  if (t.startsWith("Up ") || t === "Up") return t.includes("(Paused)") ? "paused" : "running";
  if (t.startsWith("Exited")) return "exited";
  if (t.startsWith("Created")) return "created";
  if (t.startsWith("Restarting")) return "restarting";
  if (t.startsWith("Removal In Progress")) return "removing";
  if (t.startsWith("Dead")) return "dead";
  if (t.startsWith("Paused")) return "paused";
  return t;
}


/** `7000-7002` -> [7000, 7002]; `80` -> [80, 80]. */
function rangeOf(s: string): [number, number] | null {
  const dash = s.indexOf("-");
  if (dash < 0) {
    const p = portNumber(s);
    return p === null ? null : [p, p];
  }
  const a = portNumber(s.slice(0, dash));
  const b = portNumber(s.slice(dash + 1));
  return a === null || b === null || b < a ? null : [a, b];
}

/**
 * The PORTS cell: `0.0.0.0:7000-7002->7000-7002/tcp, [::]:8080->80/tcp,
 * :::8080->80/tcp, 9999/tcp`, one PublishedPort per port of a range.
 * Entries that do not fit the grammar are returned in `bad`.
 */
export function parsePorts(text: string, caches: ParseCaches = createParseCaches()): { ports: PublishedPort[]; bad: string[] } {
  const ports: PublishedPort[] = [];
  const bad: string[] = [];
  const t = text.trim();
  if (t === "") return { ports, bad };
  for (const raw of t.split(",")) {
    const entry = raw.trim();
    if (entry === "") continue;
    const slash = entry.lastIndexOf("/");
    const proto = slash < 0 ? "" : entry.slice(slash + 1);
    const left = slash < 0 ? entry : entry.slice(0, slash);
    const arrow = left.indexOf("->");
    const cRange = rangeOf(arrow < 0 ? left : left.slice(arrow + 2));
    if (proto === "" || cRange === null) {
      bad.push(entry);
      continue;
    }
    if (arrow < 0) {
      for (let p = cRange[0]; p <= cRange[1]; p++) ports.push({ proto, containerPort: p, hostIp: null, hostPort: null, from: "ps" });
      continue;
    }
    const host = left.slice(0, arrow);
    const colon = host.lastIndexOf(":");
    const hRange = rangeOf(colon < 0 ? host : host.slice(colon + 1));
    let hostIp: string | null = null;
    if (colon > 0) {
      const n = normalizeIpCached(host.slice(0, colon), caches);
      if (!n) {
        bad.push(entry);
        continue;
      }
      hostIp = n.ip;
    }
    if (hRange === null || hRange[1] - hRange[0] !== cRange[1] - cRange[0]) {
      bad.push(entry);
      continue;
    }
    for (let k = 0; k <= cRange[1] - cRange[0]; k++) {
      ports.push({ proto, containerPort: cRange[0] + k, hostIp, hostPort: hRange[0] + k, from: "ps" });
    }
  }
  return { ports, bad };
}

/** `web,other/alias` (legacy links add aliases): the container's own name. */
function primaryName(names: string): string {
  const list = names.split(",");
  for (const n of list) {
    const t = n.trim();
    if (t !== "" && !t.includes("/")) return t;
  }
  const first = (list[0] ?? "").trim();
  return first.startsWith("/") ? first.slice(1) : first;
}

function networksOf(text: string): ContainerNetwork[] {
  const out: ContainerNetwork[] = [];
  for (const n of text.split(",")) {
    const name = n.trim();
    if (name) out.push({ name, networkId: null, ip: null, prefixLen: null, gateway: null, ipv6: null, ipv6Gateway: null, mac: null });
  }
  return out;
}

function isHexId(s: string): boolean {
  if (s.length < 12 || s.length > 64) return false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (!((c >= 48 && c <= 57) || (c >= 97 && c <= 102))) return false;
  }
  return true;
}

const ROW_HINT = "rows must line up under the header words, as `docker ps` prints them";

class PsParser implements LineParser {
  private cols: Column[] | null = null;

  constructor(private readonly ctx: ParseContext) {}

  line(text: string, no: number): void {
    if (text.charCodeAt(0) === 123) {
      this.json(text, no);
      return;
    }
    const header = parseHeader(text);
    if (header) {
      this.cols = header;
      this.ctx.ignore(no, "header");
      return;
    }
    if (!this.cols) {
      this.ctx.skip(no, "E_DOCKER_PS_NO_HEADER", "docker ps row before any header line", text, "keep the `CONTAINER ID   IMAGE ...` header so the columns can be found");
      return;
    }
    this.row(text, no, this.cols);
  }

  private row(text: string, no: number, cols: Column[]): void {
    let values: string[] | null = [];
    for (let k = 0; k < cols.length; k++) {
      const start = cols[k]!.start;
      if (k > 0 && start <= text.length) {
        const before = text.charCodeAt(start - 1);
        if (before !== 32 && before !== 9) {
          values = null;
          break;
        }
      }
      const end = k + 1 < cols.length ? cols[k + 1]!.start : text.length;
      values.push(text.slice(start, end).trim());
    }
    if (values === null || values[0] === "") {
      // misaligned (hand-edited, tabs): split on runs of blanks if the count fits
      const split = cells(text).map((c) => c.name);
      if (split.length !== cols.length) {
        this.ctx.skip(no, "E_DOCKER_PS_ROW", `row does not line up with the header (${split.length} cells for ${cols.length} columns)`, text, ROW_HINT);
        return;
      }
      values = split;
    }
    const get = (name: string): string | null => {
      const i = cols.findIndex((c) => c.name === name);
      return i < 0 ? null : (values![i] ?? null);
    };
    const id = get("CONTAINER ID") ?? get("ID");
    if (id !== null && !isHexId(id)) {
      this.ctx.skip(no, "E_DOCKER_PS_ROW", `CONTAINER ID ${JSON.stringify(id)} is not a hex container id`, text, ROW_HINT);
      return;
    }
    const names = get("NAMES");
    const state = get("STATE");
    const status = get("STATUS");
    this.emit(no, text, {
      id: id ?? "",
      name: names === null ? "" : primaryName(names),
      status: state ? state : status === null ? null : statusWord(status),
      image: get("IMAGE") || null,
      ports: get("PORTS"),
      networks: get("NETWORKS"),
    });
  }

  private json(text: string, no: number): void {
    let v: unknown;
    try {
      v = JSON.parse(text);
    } catch (err) {
      this.ctx.skip(no, "E_DOCKER_PS_JSON", `invalid JSON line: ${(err as Error).message}`, text, "`docker ps --format json` prints one complete object per line");
      return;
    }
    if (typeof v !== "object" || v === null || Array.isArray(v)) {
      this.ctx.skip(no, "E_DOCKER_PS_JSON", "JSON line is not an object", text, "`docker ps --format json` prints one object per line");
      return;
    }
    const o = v as Record<string, unknown>;
    const s = (k: string): string | null => (typeof o[k] === "string" ? (o[k] as string) : null);
    const id = s("ID");
    const names = s("Names");
    if (id === null && names === null) {
      this.ctx.skip(no, "E_DOCKER_PS_JSON", "JSON object has neither ID nor Names", text, "expected `docker ps --format json` lines");
      return;
    }
    if (id !== null && !isHexId(id)) this.ctx.report("warning", no, "W_DOCKER_PS_ID", `ID ${JSON.stringify(id)} is not a hex container id`, text);
    const status = s("Status");
    this.emit(no, text, {
      id: id ?? "",
      name: names === null ? "" : primaryName(names),
      status: s("State") || (status === null ? null : statusWord(status)),
      image: s("Image") || null,
      ports: s("Ports"),
      networks: s("Networks"),
    });
  }

  private emit(
    no: number,
    text: string,
    f: { id: string; name: string; status: string | null; image: string | null; ports: string | null; networks: string | null },
  ): void {
    let ports: PublishedPort[] = [];
    if (f.ports) {
      const p = parsePorts(f.ports, this.ctx.caches);
      ports = p.ports;
      for (const b of p.bad) {
        this.ctx.report("warning", no, "W_DOCKER_PS_PORT", `port entry ${JSON.stringify(b)} does not read as [HOSTIP:]HOSTPORT->PORT/PROTO or PORT/PROTO; left out`, text);
      }
    }
    const rec: ContainerRecord = {
      kind: "container",
      source: { file: this.ctx.file, line: no },
      format: "docker-ps",
      id: f.id,
      name: f.name,
      pid: null,
      status: f.status,
      image: f.image,
      networkMode: null,
      networks: f.networks ? networksOf(f.networks) : [],
      ports,
    };
    this.ctx.emit(rec);
  }

  end(): void {}
}

export const dockerPs: FormatParser = {
  id: "docker-ps",
  title: "docker ps (tables, --no-trunc, custom `table` formats, --format json)",
  kinds: ["container"],
  commands: ["docker ps -a --no-trunc", "docker ps", "docker ps --format json", "docker ps --format 'table {{.Names}}\\t{{.Ports}}'"],
  sniff(head) {
    // the header is normally the first line; allow a few stray lines before it
    for (let i = 0; i < Math.min(head.length, 5); i++) {
      const line = head[i]!;
      const h = parseHeader(line);
      const late = i === 0 ? 0 : 0.05;
      if (h) {
        if (line.startsWith("CONTAINER ID ") && h.some((c) => c.name === "IMAGE")) return 0.95 - late;
        return (h.length >= 2 ? 0.85 : 0.6) - late;
      }
      if (line.startsWith('{"') && line.includes('"ID":"') && line.includes('"Names":"')) return 0.9 - late;
    }
    return 0;
  },
  // a header names NAMES, CONTAINER ID or ID; a JSON line has "ID"
  rejects(head) {
    for (let i = 0; i < Math.min(head.length, 5); i++) {
      const line = head[i]!;
      if (line.includes("ID") || line.includes("NAMES")) return false;
    }
    return true;
  },
  create: (ctx) => new PsParser(ctx),
};
