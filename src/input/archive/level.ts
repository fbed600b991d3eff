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
import { sniffArchive, type ArchiveKind } from "./magic.js";
import { memberName, normaliseMemberName, resolveLinkTarget, comparePaths } from "./names.js";
import { drain, errorMessage, peek } from "./stream.js";
import type { Listing } from "./listing.js";
import { fleetHosts } from "../hosts.js";
import type { MemberSink } from "./walk.js";
import { readArchiveStream } from "./read-archive.js";

/** Archives inside archives are followed this deep (a fleet .tar of host .tar.xz is depth 2). */
const MAX_DEPTH = 4;

/**
 * What a level in hold mode keeps at most (host archives held unread, and
 * captures kept) before it asks its listing whether it is a fleet archive.
 */
export const HOLD_BYTES = 64 * 1024 * 1024;

export interface ArchiveResult {
  sources: ByteSource[];
  /** Members named with `!/` that the archive does not hold. */
  missing: { input: string; message: string; hint?: string }[];
  /** Every regular member of the top level by name (what `analyze` looks at to refuse a fleet archive). */
  listing?: Listing;
  /**
   * Hold mode only: the listing holds several host bundles (a fleet archive,
   * which `analyze` refuses), and the archives in it were left unread:
   * `sources` is empty.
   */
  fleet?: boolean;
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
  /**
   * Hold mode (`analyze`, which refuses a fleet archive; the top level of an
   * archive read whole): members that are archives are kept as their bytes,
   * unread, and read after the last member unless the listing turns out to
   * hold several host bundles (then they are never opened). Past `hold` bytes
   * kept, a listing that already holds several hosts stops the keeping: the
   * rest is only listed (see readHeld).
   */
  hold?: number;
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
  /** Collector MANIFESTs by path (the listing's). */
  private readonly manifestPaths = new Set<string>();
  /** Hold mode: archives kept unread, in the archive's order, and the bytes kept in all (captures too). */
  private readonly held: { item: { path: string; sources: ByteSource[] }; name: string; kind: ArchiveKind; size: number | null; chunks: Buffer[] }[] = [];
  private heldBytes = 0;
  private nextCheck: number;
  /** Hold mode: the listing held several hosts past the bytes held; members are only listed from then on. */
  private listOnly = false;
  /** Hold mode, after readHeld: a fleet archive (nothing read) / members were dropped but it is no fleet (read it again). */
  fleet = false;
  incomplete = false;

  constructor(
    readonly name: string,
    readonly opts: LevelOptions,
    readonly budget: Budget,
  ) {
    this.nextCheck = opts.hold ?? 0;
  }

  /** Hold mode applies to a level read whole (no `!/` selection). */
  private get holding(): boolean {
    return this.opts.hold !== undefined && this.opts.select === null;
  }

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

  /** Read one member's bytes: a nested archive is read as it streams (or held, in hold mode), anything else is kept in memory. */
  async member(path: string, size: number | null, open: () => AsyncIterable<Buffer>, explicit: boolean, select: string[] | null): Promise<void> {
    this.current = path;
    const name = memberName(this.name, path);
    const { head, stream } = await peek(open());
    const kind = sniffArchive(head);
    if (kind && (kind !== "tar" || head.length >= 512) && this.opts.depth < MAX_DEPTH) {
      this.archives.add(path);
      if (this.listOnly) {
        await drain(stream);
        this.members++;
        return;
      }
      if (this.holding) return this.holdArchive(path, name, kind, size, stream);
      return this.readNested(path, name, kind, size, select, stream);
    }
    if (select) {
      await drain(stream);
      this.missing.push({ input: memberName(name, select.join("!/")), message: `${name} is not an archive` });
      return;
    }
    const manifest = /(?:^|\/)MANIFEST$/.test(path);
    if (this.listOnly && !manifest) {
      await drain(stream);
      this.members++;
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
    if (manifest) {
      const m = parseManifest(data.toString("utf8"), path.slice(0, -"MANIFEST".length));
      if (m) {
        this.manifests.push(m);
        this.manifestPaths.add(path);
      }
    }
    if (!this.listOnly) {
      this.items.push({ path, sources: [memberSource(name, data, explicit)] });
      if (this.holding) this.keep(total);
    }
    this.members++;
    this.current = null;
  }

  private async readNested(path: string, name: string, kind: ArchiveKind, size: number | null, select: string[] | null, stream: AsyncIterable<Buffer>): Promise<void> {
    const nested = await readArchiveStream(name, stream, kind, { limits: this.opts.limits, select, depth: this.opts.depth + 1, size });
    this.items.push({ path, sources: nested.sources });
    this.missing.push(...nested.missing);
    this.members++;
  }

  /**
   * Hold mode: keep a member that is an archive as its bytes, to be read by
   * readHeld. Read now instead (as readNested would have) when the bytes kept
   * run over the limit and the listing so far is no fleet archive, or when
   * the stream breaks inside it (the nested reader reports the damage or the
   * limit, with the bytes that arrived before).
   */
  private async holdArchive(path: string, name: string, kind: ArchiveKind, size: number | null, stream: AsyncIterable<Buffer>): Promise<void> {
    const it = stream[Symbol.asyncIterator]();
    const chunks: Buffer[] = [];
    let bytes = 0;
    const rest = async function* (): AsyncGenerator<Buffer> {
      let ended = false;
      try {
        yield* chunks;
        for (;;) {
          const next = await it.next();
          if (next.done) {
            ended = true;
            return;
          }
          yield next.value;
        }
      } finally {
        // a reader that stops early ends the member's stream, as it would have read it straight
        if (!ended) await it.return?.();
      }
    };
    for (;;) {
      let next: IteratorResult<Buffer>;
      try {
        next = await it.next();
      } catch (err) {
        this.heldBytes -= bytes;
        return this.readNested(path, name, kind, size, null, (async function* () {
          yield* chunks;
          throw err;
        })());
      }
      if (next.done) break;
      chunks.push(next.value);
      bytes += next.value.length;
      this.heldBytes += next.value.length;
      if (this.heldBytes <= this.nextCheck) continue;
      if (this.overHold()) {
        for (;;) if ((await it.next()).done) break;
        this.members++;
        return;
      }
      this.heldBytes -= bytes;
      return this.readNested(path, name, kind, size, null, rest());
    }
    const item = { path, sources: [] as ByteSource[] };
    this.items.push(item);
    this.held.push({ item, name, kind, size, chunks });
    this.members++;
  }

  /** Hold mode: `bytes` more kept; past the limit, the listing is asked. */
  private keep(bytes: number): void {
    this.heldBytes += bytes;
    if (this.heldBytes > this.nextCheck) this.overHold();
  }

  /**
   * The bytes kept ran over the limit: a listing that holds several hosts
   * already drops them and only lists from then on (true); any other sets the
   * next check one limit further.
   */
  private overHold(): boolean {
    if (fleetHosts(this.listing())) {
      this.listOnly = true;
      this.items.length = 0;
      this.held.length = 0;
      this.heldBytes = 0;
      return true;
    }
    this.nextCheck = this.heldBytes + this.opts.hold!;
    return false;
  }

  /**
   * Hold mode, after the last member: a listing that holds several host
   * bundles is a fleet archive, and what was held is dropped unread; any
   * other level's held archives are read, in the archive's order, as they
   * would have been when they streamed by. A level that stopped keeping and
   * whose listing no longer holds several hosts at the end (a later member
   * gave a folder above them a layout, or turned a host's file into a
   * folder) is `incomplete`: its reader reads it again whole.
   */
  async readHeld(): Promise<void> {
    if (!this.holding) return;
    const held = this.held.splice(0);
    if (fleetHosts(this.listing())) {
      this.fleet = true;
      this.items.length = 0;
      return;
    }
    if (this.listOnly) {
      this.incomplete = true;
      return;
    }
    for (const h of held) {
      const nested = await readArchiveStream(h.name, (async function* () {
        yield* h.chunks;
      })(), h.kind, { limits: this.opts.limits, select: null, depth: this.opts.depth + 1, size: h.size });
      h.item.sources.push(...nested.sources);
      this.missing.push(...nested.missing);
    }
  }

  /** The whole stream is one compressed capture (`ss.txt.gz`): its content takes the archive's name, as zcat would. */
  single(data: Buffer): void {
    this.items.push({ path: "", sources: [memberSource(this.name, data, this.opts.depth === 0)] });
    this.members++;
  }

  /** What the archive holds, by name (every regular member, read or not), for finding host bundles in it. */
  listing(): Listing {
    return { paths: [...this.seen], archives: this.archives, manifests: this.manifestPaths };
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
    if (this.fleet) return { sources: [], missing: [], listing: this.listing(), fleet: true };
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
