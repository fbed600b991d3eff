/**
 * Archives as sources: a tar (plain or compressed), a zip, or a compressed
 * single capture becomes the list of its members as named byte streams
 * (`web01.tar.xz!/sosreport-web01/sos_commands/networking/ss_-peaonmi`).
 *
 * Reading streams: members a layout does not want are decompressed and
 * dropped; wanted members (small text captures) are kept in memory so their
 * sources can be opened again; a member that is itself an archive is read
 * as it streams by. Nothing is ever written to disk, and link members are
 * never followed outside their archive. Problems (damage, limits, hostile
 * names) become notes on one source that stands for the archive itself, so
 * every command reports them and exits 1, and everything read before the
 * damage is still used.
 */
import { closeSync, openSync, readSync } from "node:fs";
import { Readable } from "node:stream";
import type { Header } from "tar-stream";
import type { Entry as ZipEntry, ZipFile } from "yauzl";
import { salvagedContent, salvageZip } from "./zip-salvage.js";
import type { ByteSource, SourceNote } from "../read.js";
import { LayoutFilter } from "../layouts/index.js";
import { parseManifest, type Manifest } from "../manifest.js";
import type { ReadLimits } from "./limits.js";
import { Budget, decompress, formatBytes, LimitError } from "./decode.js";
import { isCompression, MAGIC_BYTES, sniffArchive, type ArchiveKind } from "./magic.js";
import { comparePaths, memberName, normaliseMemberName, resolveLinkTarget } from "./names.js";


/** Archives inside archives are followed this deep (a fleet .tar of host .tar.xz is depth 2). */
const MAX_DEPTH = 4;

export interface ArchiveResult {
  sources: ByteSource[];
  /** Members named with `!/` that the archive does not hold. */
  missing: { input: string; message: string; hint?: string }[];
}

interface LevelOptions {
  limits: ReadLimits;
  /** `!/` selection still to apply: [path at this level, path inside that member, ...]; null reads everything. */
  select: string[] | null;
  depth: number;
  /** The archive is a file: a selected link can be followed with a second pass. */
  file?: string;
}

/** The first bytes of a file, for sniffing. */
export function fileHead(file: string, n = MAGIC_BYTES): Buffer {
  const fd = openSync(file, "r");
  try {
    const buf = Buffer.alloc(n);
    const got = readSync(fd, buf, 0, n, 0);
    return buf.subarray(0, got);
  } finally {
    closeSync(fd);
  }
}

/** Split a stream into its first `n` bytes (as chunks) and an iterable of the whole stream again. */
export async function peek(src: AsyncIterable<Buffer>, n = MAGIC_BYTES): Promise<{ head: Buffer; stream: AsyncIterable<Buffer> }> {
  const it = src[Symbol.asyncIterator]();
  const first: Buffer[] = [];
  let size = 0;
  let ended = false;
  while (size < n) {
    const next = await it.next();
    if (next.done) {
      ended = true;
      break;
    }
    first.push(next.value);
    size += next.value.length;
  }
  const head = Buffer.concat(first, size).subarray(0, n);
  async function* again(): AsyncGenerator<Buffer> {
    try {
      yield* first;
      if (ended) return;
      for (;;) {
        const next = await it.next();
        if (next.done) return;
        yield next.value;
      }
    } finally {
      if (!ended) await it.return?.();
    }
  }
  return { head, stream: again() };
}

async function drain(src: AsyncIterable<unknown>): Promise<void> {
  for await (const _ of src);
}

/** A member kept in memory: it can be opened any number of times. */
function memberSource(name: string, data: Buffer, explicit: boolean): ByteSource {
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

function errorMessage(err: unknown): string {
  const m = err instanceof Error ? err.message : String(err);
  return m.replace(/\s+/g, " ").trim() || "unknown error";
}

/** What one archive level found. */
class Level {
  readonly items: { path: string; sources: ByteSource[] }[] = [];
  readonly notes: SourceNote[] = [];
  readonly seen = new Set<string>();
  readonly links = new Map<string, { target: string; hard: boolean }>();
  readonly manifests: Manifest[] = [];
  readonly layout = new LayoutFilter();
  readonly missing: ArchiveResult["missing"] = [];
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
      return { read: this.layout.classify(path) === "read", explicit: false, select: null };
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
      const nested = await readArchiveStream(name, stream, kind, { limits: this.opts.limits, select, depth: this.opts.depth + 1 });
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
    return { sources, missing: this.missing };
  }
}

/** Walk a tar stream with tar-stream, one entry at a time. */
async function walkTar(level: Level, src: AsyncIterable<Buffer>): Promise<void> {
  const { extract: createExtract } = await import("tar-stream");
  const extract = createExtract();
  const input = Readable.from(src);
  const done = new Promise<void>((resolve, reject) => {
    extract.on("entry", (header, stream, next) => {
      tarEntry(level, header, stream as unknown as AsyncIterable<Buffer>).then(
        () => next(),
        (err: unknown) => next(err instanceof Error ? err : new Error(String(err))),
      );
    });
    extract.on("finish", () => resolve());
    extract.on("close", () => resolve());
    extract.on("error", (err) => reject(err));
    input.on("error", (err) => extract.destroy(err));
  });
  input.pipe(extract);
  try {
    await done;
  } catch (err) {
    level.failed(err);
  } finally {
    input.destroy();
  }
}

async function tarEntry(level: Level, h: Header, stream: AsyncIterable<Buffer>): Promise<void> {
  const type = h.type ?? "file";
  if (type === "symlink" || type === "link") {
    const path = normaliseMemberName(h.name);
    if (!path.escapes && path.path) level.link(path.path, (h.linkname ?? "").replace(/\\/g, "/"), type === "link");
    return drain(stream);
  }
  if (type !== "file" && type !== "contiguous-file") return drain(stream);
  const path = level.admit(h.name);
  if (path === null) return drain(stream);
  const want = level.wants(path);
  if (!want.read) return drain(stream);
  await level.member(path, h.size ?? null, () => stream, want.explicit, want.select);
}

function zipEntryName(e: ZipEntry): string {
  const raw = e.fileName as unknown as Buffer | string;
  if (typeof raw === "string") return raw;
  return raw.toString(e.generalPurposeBitFlag & 0x800 ? "utf8" : "latin1");
}

function nextZipEntry(zip: ZipFile): Promise<ZipEntry | null> {
  return new Promise((resolve, reject) => {
    const cleanup = () => {
      zip.off("entry", onEntry);
      zip.off("end", onEnd);
      zip.off("error", onError);
    };
    const onEntry = (e: ZipEntry) => (cleanup(), resolve(e));
    const onEnd = () => (cleanup(), resolve(null));
    const onError = (err: Error) => (cleanup(), reject(err));
    zip.on("entry", onEntry);
    zip.on("end", onEnd);
    zip.on("error", onError);
    zip.readEntry();
  });
}

async function* zipMemberStream(zip: ZipFile, e: ZipEntry, budget: Budget): AsyncGenerator<Buffer> {
  const stream = await zip.openReadStreamPromise(e);
  const compressed = e.compressionMethod !== 0;
  for await (const c of stream as AsyncIterable<Buffer>) {
    if (compressed) {
      budget.used += c.length;
      if (budget.used > budget.limit) {
        stream.destroy();
        throw new LimitError(budget.limit, "archive", budget);
      }
    }
    yield c;
  }
}

/** Walk a zip through its central directory (yauzl), one entry at a time; a zip without one is salvaged from its local headers. */
async function walkZip(level: Level, open: () => Promise<ZipFile>, bytes: () => Promise<Buffer>): Promise<void> {
  let zip: ZipFile;
  try {
    zip = await open();
  } catch (err) {
    if (/central directory/i.test(errorMessage(err))) return walkSalvagedZip(level, await bytes());
    level.error("E_ARCHIVE_DAMAGED", `zip cannot be read: ${errorMessage(err)}`, "copy the archive again, or check it with `unzip -t`");
    return;
  }
  try {
    for (;;) {
      const e = await nextZipEntry(zip);
      if (!e) break;
      const raw = zipEntryName(e);
      if (raw.endsWith("/")) continue;
      const unixMode = e.versionMadeBy >> 8 === 3 ? (e.externalFileAttributes >>> 16) & 0o170000 : 0;
      if (unixMode === 0o120000) {
        const n = normaliseMemberName(raw);
        if (n.escapes || !n.path) continue;
        const chunks: Buffer[] = [];
        for await (const c of zipMemberStream(zip, e, level.budget)) chunks.push(c);
        level.link(n.path, Buffer.concat(chunks).toString("utf8").slice(0, 4096), false);
        continue;
      }
      if (unixMode === 0o040000) continue;
      const path = level.admit(raw);
      if (path === null) continue;
      const want = level.wants(path);
      if (!want.read) continue;
      if (e.isEncrypted()) {
        level.error("E_MEMBER_ENCRYPTED", `member ${path} is encrypted: not read`, "unpack it with its password first");
        continue;
      }
      await level.member(path, e.uncompressedSize, () => zipMemberStream(zip, e, level.budget), want.explicit, want.select);
    }
  } catch (err) {
    level.failed(err);
  } finally {
    zip.close();
  }
}

/** A zip cut short (no central directory): the whole members before the cut, then the damage as an error. */
async function walkSalvagedZip(level: Level, data: Buffer): Promise<void> {
  const { members, stop } = salvageZip(data);
  try {
    for (const m of members) {
      const raw = m.name.toString(m.utf8 ? "utf8" : "latin1");
      if (raw.endsWith("/")) continue;
      const path = level.admit(raw);
      if (path === null) continue;
      const want = level.wants(path);
      if (!want.read) continue;
      if (m.encrypted) {
        level.error("E_MEMBER_ENCRYPTED", `member ${path} is encrypted: not read`, "unpack it with its password first");
        continue;
      }
      level.budget.used += m.size;
      if (level.budget.used > level.budget.limit) throw new LimitError(level.budget.limit, "archive", level.budget);
      const content = salvagedContent(m);
      await level.member(path, content.length, async function* () {
        yield content;
      }, want.explicit, want.select);
    }
  } catch (err) {
    level.failed(err);
    return;
  }
  level.error(
    "E_ARCHIVE_DAMAGED",
    `zip is truncated: its central directory is missing (${stop ?? "no member after the last one read"}); ${level.members} member${level.members === 1 ? "" : "s"} read from the local headers before the cut are used`,
    "copy the archive again, or check it with `unzip -t`",
  );
}

const ZIP_OPTIONS = { lazyEntries: true, decodeStrings: false, validateEntrySizes: true, autoClose: false } as const;

/** The first `limit` bytes of a file (a damaged zip is salvaged from memory). */
async function readFileCapped(file: string, limit: number): Promise<Buffer> {
  const { open } = await import("node:fs/promises");
  const fh = await open(file, "r");
  try {
    const size = Math.min((await fh.stat()).size, limit);
    const buf = Buffer.alloc(size);
    await fh.read(buf, 0, size, 0);
    return buf;
  } finally {
    await fh.close();
  }
}

/** Bytes of a stream, up to `limit` (a zip from stdin or inside another archive is read from memory). */
async function collect(src: AsyncIterable<Buffer>, limit: number, budget: Budget): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const c of src) {
    total += c.length;
    if (total > limit) throw new LimitError(limit, "archive", budget);
    chunks.push(c);
  }
  return Buffer.concat(chunks, total);
}

async function walk(level: Level, kind: ArchiveKind, src: AsyncIterable<Buffer>, file?: string): Promise<void> {
  let stream = src;
  let k: ArchiveKind | null = kind;
  // Compression layers (a .tar.gz, or a .gz.xz someone made): peel them off one after another.
  for (let layers = 0; k && isCompression(k); layers++) {
    if (layers > 3) break;
    stream = decompress(k, stream, level.budget);
    let head: Buffer;
    try {
      ({ head, stream } = await peek(stream));
    } catch (err) {
      level.failed(err);
      return;
    }
    k = sniffArchive(head);
    file = undefined;
  }
  if (k === "tar") return walkTar(level, stream);
  if (k === "zip") {
    if (file) {
      const yauzl = await import("yauzl");
      const path = file;
      return walkZip(level, () => yauzl.openPromise(path, ZIP_OPTIONS), () => readFileCapped(path, level.opts.limits.maxBytes));
    }
    let data: Buffer;
    try {
      data = await collect(stream, level.opts.limits.maxBytes, level.budget);
    } catch (err) {
      level.failed(err);
      return;
    }
    const yauzl = await import("yauzl");
    return walkZip(level, () => yauzl.fromBufferPromise(data, ZIP_OPTIONS), async () => data);
  }
  // A compressed single capture (`ss.txt.gz`): its content takes the archive's name, as zcat would.
  try {
    const data = await collect(stream, level.opts.limits.maxMemberBytes, level.budget);
    level.items.push({ path: "", sources: [memberSource(level.name, data, level.opts.depth === 0)] });
    level.members++;
  } catch (err) {
    if (err instanceof LimitError && err.budget === level.budget && err.limit === level.opts.limits.maxMemberBytes) {
      level.error("E_MEMBER_TOO_BIG", `the compressed capture holds more than the per-member limit of ${formatBytes(err.limit)}: not read`, "raise --max-member-bytes to read it");
    } else level.failed(err);
  }
}

/** Read an archive arriving as a stream (stdin, or a member of another archive). */
export async function readArchiveStream(name: string, src: AsyncIterable<Buffer>, kind: ArchiveKind, opts: LevelOptions): Promise<ArchiveResult> {
  const level = new Level(name, opts, new Budget(opts.limits.maxBytes));
  await walk(level, kind, src);
  const result = level.finish();
  if (level.retarget !== null) {
    result.missing.push({ input: memberName(name, opts.select!.join("!/")), message: `is a link to ${level.retarget}, which a stream cannot be read again for`, hint: `name the target instead: ${memberName(name, level.retarget)}` });
  }
  return result;
}

/** Read an archive file (a zip through its central directory, anything else as a stream). */
export async function readArchiveFile(file: string, name: string, kind: ArchiveKind, opts: Omit<LevelOptions, "file" | "depth">): Promise<ArchiveResult> {
  const { fileChunks } = await import("../read.js");
  const run = async (select: string[] | null) => {
    const level = new Level(name, { ...opts, select, depth: 0, file }, new Budget(opts.limits.maxBytes));
    await walk(level, kind, (async function* () {
      yield* fileChunks(file);
    })(), file);
    return level;
  };
  const level = await run(opts.select);
  const result = level.finish();
  // `ARCHIVE!/sosreport/ps` names a link: read the archive again for its target.
  if (level.retarget !== null && opts.select) return (await run([level.retarget, ...opts.select.slice(1)])).finish();
  return result;
}
