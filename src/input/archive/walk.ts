/**
 * The format walkers: peel compression layers off a stream, then hand a tar's
 * or a zip's members, one at a time, to a MemberSink (an archive Level, or
 * the fleet router that gives each host bundle of a fleet archive its own
 * Level). Walkers know formats; sinks decide what is read.
 */
import { readFile, stat } from "node:fs/promises";
import { Readable } from "node:stream";
import { inflateRawSync } from "node:zlib";
import type { Header } from "tar-stream";
import type { Entry as ZipEntry, ZipFile } from "yauzl";
import { salvagedContent, salvageZip } from "./zip-salvage.js";
import type { ReadLimits } from "./limits.js";
import { Budget, decompress, formatBytes, LimitError } from "./decode.js";
import { isCompression, sniffArchive, type ArchiveKind } from "./magic.js";
import { normaliseMemberName } from "./names.js";
import { collect, drain, errorMessage, peek, readFileCapped } from "./stream.js";

/** What a walker hands members to (archive/level.ts's Level is the usual one). */
export interface MemberSink {
  readonly budget: Budget;
  readonly limits: ReadLimits;
  /** Members read so far (for messages about damage). */
  readonly members: number;
  /** A symbolic (or, `hard`, a hard) link member at `path`. */
  link(path: string, target: string, hard: boolean): void;
  /** A regular member's normalised path, or null when it is not read at all (a hostile name, a repeat). */
  admit(rawName: string): string | null | Promise<string | null>;
  /** Whether the member at `path` is read, and how. */
  wants(path: string): { read: boolean; explicit: boolean; select: string[] | null };
  /**
   * Read one member's bytes from `open()`. `later`: the member can also be
   * opened after this call, until `beforeClose` ends (a zip's members are
   * reached through its central directory); a tar entry must be read now.
   */
  member(path: string, size: number | null, open: () => AsyncIterable<Buffer>, explicit: boolean, select: string[] | null, later?: boolean): Promise<void>;
  /** After a zip's last member, before the zip is closed. */
  beforeClose?(): Promise<void>;
  /** The whole (decompressed) stream is one capture, not an archive. */
  single(data: Buffer): void;
  error(code: string, message: string, hint?: string): void;
  /** The stream broke (damage, a limit): everything before stays. */
  failed(err: unknown): void;
}

/** Walk a tar stream with tar-stream, one entry at a time. */
async function walkTar(level: MemberSink, src: AsyncIterable<Buffer>): Promise<void> {
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

async function tarEntry(level: MemberSink, h: Header, stream: AsyncIterable<Buffer>): Promise<void> {
  const type = h.type ?? "file";
  if (type === "symlink" || type === "link") {
    const path = normaliseMemberName(h.name);
    if (!path.escapes && path.path) level.link(path.path, (h.linkname ?? "").replace(/\\/g, "/"), type === "link");
    return drain(stream);
  }
  if (type !== "file" && type !== "contiguous-file") return drain(stream);
  const path = await level.admit(h.name);
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

/** A member of a zip held in memory is inflated in one call up to this declared size (a bigger one streams). */
const ZIP_INFLATE_AT_ONCE_BYTES = 16 * 1024 * 1024;

/**
 * A member of a zip held in memory, stored or deflated, inflated in one
 * synchronous call: a zlib stream per member cost more than the inflating
 * itself for a bundle's small captures (measured by scripts/profile-batch.ts).
 * The checks yauzl makes on a stream are made here too: the local header's
 * signature, the declared size, and the budget (the output is capped at what
 * the budget has left, so a bomb stops there).
 */
function zipMemberAtOnce(data: Buffer, e: ZipEntry, budget: Budget): Buffer {
  const at = e.relativeOffsetOfLocalHeader;
  if (at + 30 > data.length || data.readUInt32LE(at) !== 0x04034b50) throw new Error(`invalid local file header signature at ${at}`);
  const start = at + 30 + data.readUInt16LE(at + 26) + data.readUInt16LE(at + 28);
  const end = start + e.compressedSize;
  if (end > data.length) throw new Error("unexpected EOF");
  const packed = data.subarray(start, end);
  if (e.compressionMethod === 0) {
    if (packed.length !== e.uncompressedSize) throw new Error(`member ${e.fileName.toString()}: stored size ${packed.length} is not the declared ${e.uncompressedSize}`);
    return packed;
  }
  const room = budget.limit - budget.used;
  let out: Buffer;
  try {
    out = inflateRawSync(packed, { maxOutputLength: Math.max(1, Math.min(room + 1, e.uncompressedSize + 1)) });
  } catch (err) {
    if (err instanceof RangeError && e.uncompressedSize + 1 > room) throw new LimitError(budget.limit, "archive", budget);
    throw err;
  }
  if (out.length !== e.uncompressedSize) throw new Error(`too ${out.length > e.uncompressedSize ? "many" : "few"} bytes in the stream: expected ${e.uncompressedSize}, got ${out.length}`);
  budget.used += out.length;
  if (budget.used > budget.limit) throw new LimitError(budget.limit, "archive", budget);
  return out;
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
async function walkZip(level: MemberSink, open: () => Promise<ZipFile>, bytes: () => Promise<Buffer>, inMemory: Buffer | null = null): Promise<void> {
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
      const path = await level.admit(raw);
      if (path === null) continue;
      const want = level.wants(path);
      if (!want.read) continue;
      if (e.isEncrypted()) {
        level.error("E_MEMBER_ENCRYPTED", `member ${path} is encrypted: not read`, "unpack it with its password first");
        continue;
      }
      const atOnce = inMemory !== null && (e.compressionMethod === 0 || e.compressionMethod === 8) && e.uncompressedSize <= ZIP_INFLATE_AT_ONCE_BYTES;
      const openMember = atOnce
        ? async function* () {
            yield zipMemberAtOnce(inMemory, e, level.budget);
          }
        : () => zipMemberStream(zip, e, level.budget);
      await level.member(path, e.uncompressedSize, openMember, want.explicit, want.select, true);
    }
    await level.beforeClose?.();
  } catch (err) {
    level.failed(err);
  } finally {
    zip.close();
  }
}

/** A zip cut short (no central directory): the whole members before the cut, then the damage as an error. */
async function walkSalvagedZip(level: MemberSink, data: Buffer): Promise<void> {
  const { members, stop } = salvageZip(data);
  try {
    for (const m of members) {
      const raw = m.name.toString(m.utf8 ? "utf8" : "latin1");
      if (raw.endsWith("/")) continue;
      const path = await level.admit(raw);
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

/** A zip file up to this size is read into memory whole, a bigger one by random reads. */
const ZIP_IN_MEMORY_BYTES = 32 * 1024 * 1024;

const ZIP_OPTIONS = { lazyEntries: true, decodeStrings: false, validateEntrySizes: true, autoClose: false } as const;

/** Read an archive of `kind` from `src` into `level`: compression layers peeled off, then its tar or zip members one by one. */
export async function walk(level: MemberSink, kind: ArchiveKind, src: AsyncIterable<Buffer>, file?: string, size: number | null = null): Promise<void> {
  // the compressed size decides how xz is decoded (decode.ts)
  let packed = size;
  if (packed === null && file !== undefined) packed = (await stat(file).catch(() => null))?.size ?? null;
  let stream = src;
  let k: ArchiveKind | null = kind;
  // Compression layers (a .tar.gz, or a .gz.xz someone made): peel them off one after another.
  for (let layers = 0; k && isCompression(k); layers++) {
    if (layers > 3) break;
    stream = decompress(k, stream, level.budget, layers === 0 ? packed : null);
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
      // a zip of a host or a few is read in one go (random reads through the thread pool cost more
      // than the whole file: three small reads per member); a bigger one is read where it lies
      const { size } = await stat(path);
      if (size <= ZIP_IN_MEMORY_BYTES) {
        const data = await readFile(path);
        return walkZip(level, () => yauzl.fromBufferPromise(data, ZIP_OPTIONS), async () => data, data);
      }
      return walkZip(level, () => yauzl.openPromise(path, ZIP_OPTIONS), () => readFileCapped(path, level.limits.maxBytes));
    }
    let data: Buffer;
    try {
      data = await collect(stream, level.limits.maxBytes, level.budget);
    } catch (err) {
      level.failed(err);
      return;
    }
    const yauzl = await import("yauzl");
    return walkZip(level, () => yauzl.fromBufferPromise(data, ZIP_OPTIONS), async () => data, data);
  }
  // A compressed single capture (`ss.txt.gz`): its content takes the archive's name, as zcat would.
  try {
    level.single(await collect(stream, level.limits.maxMemberBytes, level.budget));
  } catch (err) {
    if (err instanceof LimitError && err.budget === level.budget && err.limit === level.limits.maxMemberBytes) {
      level.error("E_MEMBER_TOO_BIG", `the compressed capture holds more than the per-member limit of ${formatBytes(err.limit)}: not read`, "raise --max-member-bytes to read it");
    } else level.failed(err);
  }
}
