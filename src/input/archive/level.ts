/**
 * One level of an archive as it is read: the bookkeeping of its members
 * (names admitted once, the layout or a `!/` selection deciding what is read,
 * members kept in memory, nested archives read as they stream by), link
 * resolution inside the archive, and the notes that say what was not read.
 * The format walkers (walk.ts) hand it one member at a time.
 */
import type { ByteSource, SourceNote } from "../read.js";
import { LayoutFilter } from "../layouts/index.js";
import { parseManifest, type Manifest } from "../manifest.js";
import type { ReadLimits } from "./limits.js";
import { Budget, formatBytes, LimitError } from "./decode.js";
import { sniffArchive } from "./magic.js";
import { memberName, normaliseMemberName, resolveLinkTarget, comparePaths } from "./names.js";
import { drain, errorMessage, peek } from "./stream.js";
import type { Listing } from "./listing.js";
import type { MemberSink } from "./walk.js";
import { readArchiveStream } from "./read-archive.js";

/** Archives inside archives are followed this deep (a fleet .tar of host .tar.xz is depth 2). */
const MAX_DEPTH = 4;

export interface ArchiveResult {
  sources: ByteSource[];
  /** Members named with `!/` that the archive does not hold. */
  missing: { input: string; message: string; hint?: string }[];
  /** Every regular member of the top level by name (what `analyze` looks at to refuse a fleet archive). */
  listing?: Listing;
}

export interface LevelOptions {
  limits: ReadLimits;
  /** `!/` selection still to apply: [path at this level, path inside that member, ...]; null reads everything. */
  select: string[] | null;
  depth: number;
  /** The archive is a file: a selected link can be followed with a second pass. */
  file?: string;
  /** The archive's own (compressed) size, when known (a member's, from its header). */
  size?: number | null;
}

/** A member kept in memory: it can be opened any number of times. */
export function memberSource(name: string, data: Buffer, explicit: boolean): ByteSource {
  return {
    name,
    explicit,
    async *open() {
      if (data.length) yield data;
    },
  };
}

function noteSource(name: string, notes: SourceNote[]): ByteSource {
  return { name, explicit: false, notes, async *open() {} };
}

/** What one archive level found. */
export class Level implements MemberSink {
  readonly items: { path: string; sources: ByteSource[] }[] = [];
  readonly notes: SourceNote[] = [];
  readonly seen = new Set<string>();
  readonly links = new Map<string, { target: string; hard: boolean }>();
  readonly manifests: Manifest[] = [];
  readonly layout = new LayoutFilter();
  readonly missing: ArchiveResult["missing"] = [];
  /** Members read as archives of their own (for the listing). */
  readonly archives = new Set<string>();
  escaped: string[] = [];
  absolute = 0;
  duplicates: string[] = [];
  /** Member being read when a stream error arrives. */
  current: string | null = null;
  members = 0;
  /** A selected path turned out to be a link: where it points. */
  retarget: string | null = null;
  selectedHit = false;

  constructor(
    readonly name: string,
    readonly opts: LevelOptions,
    readonly budget: Budget,
  ) {}

  get limits(): ReadLimits {
    return this.opts.limits;
  }

  get selectPath(): string | null {
    return this.opts.select ? normaliseMemberName(this.opts.select[0]!).path : null;
  }

  /** Whether the member at `path` is read: the `!/` selection, else the layout. */
  wants(path: string): { read: boolean; explicit: boolean; select: string[] | null } {
    const sel = this.selectPath;
    if (sel === null) return { read: this.layout.classify(path) === "read", explicit: false, select: null };
    const rest = this.opts.select!.length > 1 ? this.opts.select!.slice(1) : null;
    if (path === sel) {
      this.selectedHit = true;
      return { read: true, explicit: rest === null, select: rest };
    }
    if (rest === null && (sel === "" || path.startsWith(sel + "/"))) {
      this.selectedHit = true;
      // the layout rules look at the selected folder as a bundle root: `fleet.tgz!/dc1/web01` reads what the folder `dc1/web01` would
      const inFolder = sel === "" ? path : sel.slice(sel.lastIndexOf("/") + 1) + path.slice(sel.length);
      return { read: this.layout.classify(inFolder) === "read", explicit: false, select: null };
    }
    return { read: false, explicit: false, select: null };
  }

  /** Checks common to tar and zip members; null when the member is not read. */
  admit(rawName: string): string | null {
    const n = normaliseMemberName(rawName);
    if (n.escapes) {
      this.escaped.push(rawName);
      return null;
    }
    if (!n.path) return null;
    if (n.absolute) this.absolute++;
    if (this.seen.has(n.path)) {
      this.duplicates.push(n.path);
      return null;
    }
    this.seen.add(n.path);
    return n.path;
  }

  error(code: string, message: string, hint?: string): void {
    this.notes.push({ severity: "error", code, message, ...(hint ? { hint } : {}) });
  }

  /** A stream error: damage, or a limit. Everything read before it stays. */
  failed(err: unknown): void {
    const at = this.current ? ` while reading member ${this.current}` : "";
    if (err instanceof LimitError && err.budget === this.budget) {
      this.error(
        "E_ARCHIVE_LIMIT",
        `stopped after ${formatBytes(err.limit)} of uncompressed data${at} (--max-bytes): a decompression bomb, or a bigger bundle than the limit allows`,
        "raise --max-bytes if the archive is genuine; members read before the stop are used",
      );
      return;
    }
    if (err instanceof LimitError) throw err;
    this.error(
      "E_ARCHIVE_DAMAGED",
      `archive is truncated or corrupt${at}: ${errorMessage(err)} (${this.members} member${this.members === 1 ? "" : "s"} read before the damage are used)`,
      "copy the archive again, or check it with `tar -tvf` / `unzip -t`",
    );
  }

  /** Read one member's bytes: a nested archive is read as it streams, anything else is kept in memory. */
  async member(path: string, size: number | null, open: () => AsyncIterable<Buffer>, explicit: boolean, select: string[] | null): Promise<void> {
    this.current = path;
    const name = memberName(this.name, path);
    const { head, stream } = await peek(open());
    const kind = sniffArchive(head);
    if (kind && (kind !== "tar" || head.length >= 512) && this.opts.depth < MAX_DEPTH) {
      this.archives.add(path);
      const nested = await readArchiveStream(name, stream, kind, { limits: this.opts.limits, select, depth: this.opts.depth + 1, size });
      this.items.push({ path, sources: nested.sources });
      this.missing.push(...nested.missing);
      this.members++;
      return;
    }
    if (select) {
      await drain(stream);
      this.missing.push({ input: memberName(name, select.join("!/")), message: `${name} is not an archive` });
      return;
    }
    const limit = this.opts.limits.maxMemberBytes;
    if (size !== null && size > limit) {
      await drain(stream);
      this.error("E_MEMBER_TOO_BIG", `member ${path} holds ${formatBytes(size)}, over the per-member limit of ${formatBytes(limit)}: not read`, "raise --max-member-bytes to read it");
      return;
    }
    const chunks: Buffer[] = [];
    let total = 0;
    for await (const c of stream) {
      total += c.length;
      if (total > limit) {
        await drain(stream);
        this.error("E_MEMBER_TOO_BIG", `member ${path} holds more than the per-member limit of ${formatBytes(limit)}: not read`, "raise --max-member-bytes to read it");
        return;
      }
      chunks.push(c);
    }
    const data = Buffer.concat(chunks, total);
    if (/(?:^|\/)MANIFEST$/.test(path)) {
      const m = parseManifest(data.toString("utf8"), path.slice(0, -"MANIFEST".length));
      if (m) this.manifests.push(m);
    }
    this.items.push({ path, sources: [memberSource(name, data, explicit)] });
    this.members++;
    this.current = null;
  }

  /** The whole stream is one compressed capture (`ss.txt.gz`): its content takes the archive's name, as zcat would. */
  single(data: Buffer): void {
    this.items.push({ path: "", sources: [memberSource(this.name, data, this.opts.depth === 0)] });
    this.members++;
  }

  /** What the archive holds, by name (every regular member, read or not), for finding host bundles in it. */
  listing(): Listing {
    return { paths: [...this.seen], archives: this.archives, manifests: new Set(this.manifests.map((m) => `${m.dir}MANIFEST`)) };
  }

  link(path: string, target: string, hard: boolean): void {
    this.links.set(path, { target, hard });
  }

  /** Follow links from `path` inside the archive: the final path, "outside", or "loop". */
  resolve(path: string): string | "outside" | "loop" {
    let p = path;
    for (let hops = 0; hops < 40; hops++) {
      const l = this.links.get(p);
      if (!l) {
        // a link may also sit on a directory of the path
        const parts = p.split("/");
        let changed = false;
        for (let i = 1; i < parts.length; i++) {
          const dir = parts.slice(0, i).join("/");
          const dl = this.links.get(dir);
          if (dl && !dl.hard) {
            const t = resolveLinkTarget(dir, dl.target);
            if (t === null) return "outside";
            p = [t, ...parts.slice(i)].filter(Boolean).join("/");
            changed = true;
            break;
          }
        }
        if (!changed) return p;
        continue;
      }
      const t = resolveLinkTarget(p, l.target, l.hard);
      if (t === null) return "outside";
      p = t;
    }
    return "loop";
  }

  /** After the last member: links, selection, manifests, order, and the notes. */
  finish(): ArchiveResult {
    // Links are not read as members of their own (their targets are, like a directory walk);
    // one that points outside the archive or into a loop is reported where the layout reads.
    const sel = this.selectPath;
    if (sel !== null && !this.items.some((i) => i.path === sel || i.path.startsWith(sel + "/"))) {
      const r = this.resolve(sel);
      if (r === "outside") this.error("E_LINK_OUTSIDE", `${sel} is a link that points outside the archive: not followed`);
      else if (r === "loop") this.error("E_LINK_LOOP", `${sel} is a link in a loop of links: not followed`);
      else if (r !== sel) this.retarget = r;
      else this.missing.push({ input: memberName(this.name, this.opts.select!.join("!/")), message: "no such member in the archive", hint: `list the archive's members (tar -tvf / unzip -l) and name one as ${this.name}!/PATH` });
    } else if (sel === null) {
      const badLinks: string[] = [];
      for (const [path, l] of this.links) {
        if (this.layout.verdictOf(path) !== "read") continue;
        const r = this.resolve(path);
        if (r === "outside" || r === "loop") badLinks.push(`${path} -> ${l.target} (${r === "loop" ? "a loop" : "outside the archive"})`);
      }
      badLinks.sort();
      if (badLinks.length) {
        this.notes.push({
          severity: "warning",
          code: "W_LINK_NOT_FOLLOWED",
          message: `${badLinks.length} link member${badLinks.length === 1 ? "" : "s"} not followed: ${badLinks.slice(0, 5).join("; ")}${badLinks.length > 5 ? "; ..." : ""}`,
          hint: "links are resolved only inside their archive",
        });
      }
    }
    if (this.escaped.length) {
      this.notes.push({
        severity: "warning",
        code: "W_MEMBER_NAME",
        message: `${this.escaped.length} member name${this.escaped.length === 1 ? "" : "s"} climb above the archive root and were not read: ${this.escaped.slice(0, 3).map((n) => JSON.stringify(n)).join(", ")}`,
        hint: "an archive made with `tar -P` or a hostile one; nothing is extracted, so nothing was written",
      });
    }
    if (this.absolute) {
      this.notes.push({ severity: "info", code: "I_ABSOLUTE_NAMES", message: `${this.absolute} member name${this.absolute === 1 ? "" : "s"} began with / and were read relative to the archive root` });
    }
    if (this.duplicates.length) {
      this.notes.push({
        severity: "warning",
        code: "W_DUPLICATE_MEMBER",
        message: `${this.duplicates.length} member${this.duplicates.length === 1 ? "" : "s"} repeat an earlier name and were not read (the first copy was): ${this.duplicates.slice(0, 3).join(", ")}`,
      });
    }
    // Commands named by a collector MANIFEST.
    for (const m of this.manifests) {
      for (const item of this.items) {
        if (!item.path.startsWith(m.dir) || item.sources.length !== 1) continue;
        const rel = item.path.slice(m.dir.length);
        const command = m.commands.get(rel);
        const exit = m.exits.get(rel);
        if (command && !item.sources[0]!.notes) item.sources[0]!.command = command;
        if (exit !== undefined && !item.sources[0]!.notes) item.sources[0]!.exit = exit;
      }
    }
    const drop = this.layout.redundant(this.items.map((i) => i.path));
    const items = this.items.filter((i) => !drop.has(i.path)).sort((a, b) => comparePaths(a.path, b.path));
    const summary = this.layout.summary();
    if (summary) this.notes.unshift(summary);
    const sources = items.flatMap((i) => i.sources);
    if (this.notes.length) sources.unshift(noteSource(this.name, this.notes));
    return { sources, missing: this.missing, listing: this.listing() };
  }
}
