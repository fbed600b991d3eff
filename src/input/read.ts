/**
 * Named byte streams. An input is a name (what diagnostics print) and a way to
 * open its bytes: a file, standard input, or an archive member
 * (`ARCHIVE!/path`, src/input/archive/). Nothing else in natlens touches the
 * file system to read inputs.
 */
import { closeSync, existsSync, fstatSync, openSync, readdirSync, readFileSync, readlinkSync, readSync, realpathSync, type Dirent } from "node:fs";
import { createReadStream } from "node:fs";
import { stat } from "node:fs/promises";
import path from "node:path";
import { fileHead, peek, readArchiveFile, readArchiveStream } from "./archive/read-archive.js";
import { HOLD_BYTES } from "./archive/level.js";
import { DEFAULT_LIMITS, type ReadLimits } from "./archive/limits.js";
import { sniffArchive } from "./archive/magic.js";
import { MEMBER_SEP } from "./archive/names.js";
import { folderEntries, type FolderEntries, type Listing } from "./archive/listing.js";
import { isSupportconfigFolder } from "./hosts.js";
import { LayoutFilter } from "./layouts/index.js";
import { parseManifest } from "./manifest.js";

export interface ByteSource {
  /** Display name: the path as given (or below a given directory), `-` for stdin. */
  name: string;
  /** True when the user named this input directly (not found inside a directory). */
  explicit: boolean;
  /** The file behind the stream, when there is one (lets a fast path read it directly). */
  path?: string;
  /**
   * A stream that can be opened only once (standard input, a FIFO or `<(command)`
   * read without keeping it): nothing may look at it before the parse does.
   */
  once?: boolean;
  /** Lines longer than this are skipped unread (`--max-line-bytes`; LineReader's default when unset). */
  maxLineBytes?: number;
  /** The command that produced it, when a bundle's MANIFEST says so (parsers see it as ctx.banner). */
  command?: string;
  /** That command's exit status, when the MANIFEST records it (an empty output of a failed command proves nothing). */
  exit?: number;
  /**
   * Set on the source that stands for an archive or a bundle directory itself
   * rather than a capture: what reading it found (members skipped by the
   * layout, damage, limits). It has no lines; the parse driver reports the
   * notes as this input's diagnostics, and an error counts as a skipped input.
   */
  notes?: SourceNote[];
  open(): AsyncIterable<Buffer>;
}

export interface SourceNote {
  severity: "error" | "warning" | "info";
  code: string;
  message: string;
  hint?: string;
  /** On a layout's summary: the sosreport plugins of container engines other than Docker whose output the tree holds (`crio`, `containerd`, ...). */
  engines?: string[];
}

export interface ExpandOptions {
  /** Decompression limits for archive inputs (`--max-bytes`, `--max-member-bytes`). */
  limits?: Partial<ReadLimits>;
  /** Keep standard input's chunks so its source can be opened again (default true; see stdinSource). */
  replayableStdin?: boolean;
  /**
   * `analyze`, which refuses a fleet archive: an archive file is read in hold
   * mode (archive/level.ts), so one whose listing holds several host bundles
   * is listed in one pass and none of its members is read; its listing is the
   * last one returned, and the inputs after it are not read.
   */
  stopAtFleet?: boolean;
}

export interface ExpandResult {
  sources: ByteSource[];
  /** Inputs that could not be read at all (missing file, empty glob). */
  problems: { input: string; message: string; hint?: string }[];
  /** What each archive file read whole holds, by name (`analyze` refuses one holding several hosts). */
  listings: { archive: string; listing: Listing }[];
}

const CHUNK = 1 << 20;

export function fileSource(file: string, explicit = true): ByteSource {
  return {
    name: file,
    explicit,
    path: file,
    open: () => readChunks(file),
  };
}

/**
 * A file's bytes in chunks of up to CHUNK, read synchronously: a bundle holds
 * thousands of small files (two per container), and a stream's round trips
 * through the thread pool cost more than the reads themselves (measured: 0.9 s
 * of idle time loading a 1,000-container bundle). Each chunk is a new buffer.
 */
export function* fileChunks(file: string): Generator<Buffer> {
  const fd = openSync(file, "r");
  try {
    // Regular files are read in pieces of their size; /proc files and FIFOs report 0.
    const size = fstatSync(fd).size;
    const want = size > 0 && size < CHUNK ? size + 1 : CHUNK;
    for (;;) {
      const buf = Buffer.allocUnsafe(want);
      const n = readSync(fd, buf, 0, want, null);
      if (n === 0) return;
      yield n === want ? buf : buf.subarray(0, n);
    }
  } finally {
    closeSync(fd);
  }
}

async function* readChunks(file: string): AsyncGenerator<Buffer> {
  yield* fileChunks(file);
}

/**
 * Standard input. `replayable` (the default) keeps every chunk read, so the
 * source can be opened again (analyze re-reads the lines it cites); without
 * it a big `convert` of stdin streams in flat memory and a second open() is
 * an error. Opens share one reader of the stream: each yields the kept
 * chunks first, then reads on.
 */
export function stdinSource(stream: AsyncIterable<Buffer | string> = process.stdin, opts: { replayable?: boolean; name?: string } = {}): ByteSource {
  const replayable = opts.replayable ?? true;
  const name = opts.name ?? "-";
  const kept: Buffer[] = [];
  let reader: AsyncIterator<Buffer | string> | null = null;
  let ended = false;
  let opened = false;
  /** The chunk after the kept ones, or null at the end; one read at a time. */
  let pending: Promise<Buffer | null> | null = null;
  const readMore = (): Promise<Buffer | null> =>
    (pending ??= (async () => {
      reader ??= stream[Symbol.asyncIterator]();
      const next = await reader.next();
      pending = null;
      if (next.done) {
        ended = true;
        return null;
      }
      const chunk = typeof next.value === "string" ? Buffer.from(next.value) : next.value;
      if (replayable) kept.push(chunk);
      return chunk;
    })());
  return {
    name,
    explicit: true,
    ...(replayable ? {} : { once: true }),
    async *open() {
      if (opened && !replayable) throw new Error(`${name === "-" ? "standard input" : name} can only be read once`);
      opened = true;
      if (!replayable) {
        for (let c = await readMore(); c !== null; c = await readMore()) yield c;
        return;
      }
      for (let i = 0; ; i++) {
        if (i < kept.length) yield kept[i]!;
        else if (ended) return;
        else if ((await readMore()) === null) return;
        else i--; // the chunk just read is kept[i]: yield it on the next turn
      }
    },
  };
}

/** An in-memory source, for tests and library callers. */
export function textSource(name: string, text: string | Buffer): ByteSource {
  return {
    name,
    explicit: true,
    async *open() {
      yield typeof text === "string" ? Buffer.from(text) : text;
    },
  };
}

function readManifestFile(dir: string): { commands: Map<string, string>; exits: Map<string, number> } {
  const none = { commands: new Map<string, string>(), exits: new Map<string, number>() };
  let text: string;
  try {
    text = readFileSync(path.join(dir, "MANIFEST"), "utf8");
  } catch {
    return none;
  }
  return parseManifest(text, "") ?? none;
}

function byName(a: { name: string }, b: { name: string }): number {
  return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
}

/** Files below `dir` (for the skip count of a directory the layout leaves out). */
function countFiles(dir: string): number {
  let n = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    if (e.isDirectory()) n += countFiles(path.join(dir, e.name));
    else if (e.isFile()) n++;
  }
  return n;
}

/**
 * Regular files below `dir` that the layout reads, in name order (`rel` is the
 * path below the input). Synchronous, like the reads: a bundle of 1,000
 * containers has 2,000 directories, and 2,000 trips through the thread pool
 * cost 0.2 s of waiting (measured). Every other entry the layout would read is
 * left out with a note: a link that points outside the tree or nowhere, a
 * FIFO (reading it could block forever), a socket or device, a directory that
 * cannot be listed. A link to a file inside the tree is read where it points
 * (sosreport's root links, such as `ps` -> sos_commands/process/ps_auxwwwm).
 */
function walk(dir: string, rel: string, layout: LayoutFilter, out: { file: string; rel: string }[], notes: SourceNote[], root: string): void {
  let entries;
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? "error";
    notes.push({ severity: "warning", code: "W_UNREADABLE_ENTRY", message: `${rel || "."}/: cannot list the directory (${code}): its files are not read`, hint: "check its permissions, or run natlens as a user who can read the bundle" });
    return;
  }
  entries.sort(byName);
  for (const e of entries) {
    const p = path.join(dir, e.name);
    const r = rel ? `${rel}/${e.name}` : e.name;
    if (e.isDirectory()) {
      if (layout.classifyDir(r) === "skip") layout.skipped += countFiles(p);
      else walk(p, r, layout, out, notes, root);
    } else if (e.isFile()) {
      if (layout.classify(r) === "read") out.push({ file: p, rel: r });
    } else if (layout.classify(r) === "read") {
      const note = skippedEntry(p, r, e, root);
      if (note) notes.push(note);
    }
  }
}

/** Why a directory entry that is neither a file nor a directory is not read, or null when it needs no word (a link to a file of the tree). */
function skippedEntry(p: string, rel: string, e: Dirent, root: string): SourceNote | null {
  if (e.isSymbolicLink()) {
    let target = "?";
    try {
      target = readlinkSync(p);
      const real = realpathSync(p);
      if (real === root || real.startsWith(root + path.sep)) return null; // read where it points
      return { severity: "warning", code: "W_LINK_NOT_FOLLOWED", message: `${rel} -> ${target}: a link that points outside the directory, not followed`, hint: `name ${target} on the command line to read it` };
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      const why = code === "ELOOP" ? "a loop of links" : code === "ENOENT" ? "a broken link (its target does not exist)" : `a link that cannot be followed (${code})`;
      return { severity: "warning", code: "W_LINK_NOT_FOLLOWED", message: `${rel} -> ${target}: ${why}, not followed` };
    }
  }
  if (e.isFIFO()) {
    return { severity: "warning", code: "W_SKIPPED_ENTRY", message: `${rel}: a FIFO (named pipe), not read while walking a directory`, hint: `name it on the command line to read it as a stream: natlens ... ${rel}` };
  }
  const kind = e.isSocket() ? "a socket" : e.isCharacterDevice() ? "a character device" : e.isBlockDevice() ? "a block device" : "not a regular file";
  return { severity: "info", code: "I_SKIPPED_ENTRY", message: `${rel}: ${kind}, not read` };
}

/** A directory holding a sosreport (at its top or in its single wrapping directory). */
function isSosTree(dir: string): boolean {
  if (existsSync(path.join(dir, "sos_commands")) || existsSync(path.join(dir, "sos_reports"))) return true;
  try {
    const subdirs = readdirSync(dir, { withFileTypes: true }).filter((e) => e.isDirectory());
    return subdirs.length === 1 && existsSync(path.join(dir, subdirs[0]!.name, "sos_commands"));
  } catch {
    return false;
  }
}

/** A supportconfig folder (isSupportconfigFolder: by its name or its entries). */
function isSupportconfigTree(dir: string): boolean {
  let entries: FolderEntries = new Map();
  try {
    entries = folderEntries(readdirSync(dir, { withFileTypes: true }));
  } catch {
    // cannot be listed: the walk says so; its name still tells
  }
  return isSupportconfigFolder(path.basename(path.resolve(dir)), entries);
}

function archiveKindOf(file: string) {
  try {
    return sniffArchive(fileHead(file));
  } catch {
    return null;
  }
}

async function* buffers(stream: AsyncIterable<Buffer | string>): AsyncGenerator<Buffer> {
  for await (const chunk of stream) yield typeof chunk === "string" ? Buffer.from(chunk) : chunk;
}

/**
 * Turn command-line inputs into byte sources: files, `-` (stdin), globs,
 * directories (every file below that the layout reads, in name order),
 * archives (recognised by their first bytes, wherever they appear) and
 * `ARCHIVE!/member` names.
 */
export async function expandInputs(
  inputs: readonly string[],
  stdin?: AsyncIterable<Buffer | string>,
  opts: ExpandOptions = {},
): Promise<ExpandResult> {
  const limits: ReadLimits = { ...DEFAULT_LIMITS, ...opts.limits };
  const sources: ByteSource[] = [];
  const problems: ExpandResult["problems"] = [];
  const listings: ExpandResult["listings"] = [];
  /** stopAtFleet: a fleet archive was listed, nothing more is read. */
  let fleet = false;
  /** A file named on the command line or matched by a glob: an archive is read, anything else is a capture. */
  const addFile = async (file: string, command?: string, explicit = true, exit?: number) => {
    if (fleet) return;
    const kind = archiveKindOf(file);
    if (kind) {
      const r = await readArchiveFile(file, file, kind, { limits, select: null, ...(opts.stopAtFleet ? { hold: HOLD_BYTES } : {}) });
      sources.push(...r.sources);
      problems.push(...r.missing);
      if (r.listing) listings.push({ archive: file, listing: r.listing });
      fleet = r.fleet === true;
      return;
    }
    const source = fileSource(file, explicit);
    if (command) source.command = command;
    if (exit !== undefined) source.exit = exit;
    sources.push(source);
  };
  /** A stream (stdin `-`, or a FIFO, `/dev/stdin` or `<(command)` named on the command line): an archive, or one capture. */
  const readStream = async (name: string, input: AsyncIterable<Buffer | string>, select: string[] | null) => {
    const { head, stream } = await peek(buffers(input));
    const kind = sniffArchive(head);
    if (kind) {
      const r = await readArchiveStream(name, stream, kind, { limits, select, depth: 0 });
      sources.push(...r.sources);
      problems.push(...r.missing);
    } else if (select) {
      problems.push({ input: `${name}${MEMBER_SEP}${select.join(MEMBER_SEP)}`, message: `${name === "-" ? "standard input" : name} is not an archive` });
    } else sources.push(stdinSource(stream, { replayable: opts.replayableStdin ?? true, name }));
  };
  const readStdin = (select: string[] | null) => readStream("-", stdin ?? process.stdin, select);
  for (const input of inputs) {
    if (fleet) break;
    if (input === "-") {
      await readStdin(null);
      continue;
    }
    let st;
    try {
      st = await stat(input);
    } catch {
      st = null;
    }
    if (!st && input.includes(MEMBER_SEP)) {
      // ARCHIVE!/path/in/archive (nested: a.tar!/h1.tar.xz!/path)
      const [archive, ...select] = input.split(MEMBER_SEP);
      if (archive === "-") {
        await readStdin(select);
        continue;
      }
      const ast = await stat(archive!).catch(() => null);
      if (ast?.isFIFO()) {
        await readStream(archive!, createReadStream(archive!), select);
        continue;
      }
      const kind = ast?.isFile() ? archiveKindOf(archive!) : null;
      if (!ast) problems.push({ input, message: `no such archive: ${archive}`, hint: "ARCHIVE!/path names a member of an archive file" });
      else if (!kind) problems.push({ input, message: `${archive} is not an archive natlens reads`, hint: "tar (plain, gzip, xz, bzip2, zstd) and zip are recognised by their first bytes" });
      else {
        const r = await readArchiveFile(archive!, archive!, kind, { limits, select });
        sources.push(...r.sources);
        problems.push(...r.missing);
      }
      continue;
    }
    if (st?.isDirectory()) {
      const files: { file: string; rel: string }[] = [];
      const layout = new LayoutFilter({ sos: isSosTree(input), scc: isSupportconfigTree(input) });
      const notes: SourceNote[] = [];
      walk(input, "", layout, files, notes, realpathSync(input));
      const drop = layout.redundant(files.map((f) => f.rel));
      if (files.length === 0 && layout.skipped === 0 && notes.length === 0) problems.push({ input, message: "directory holds no files" });
      const summary = layout.summary();
      if (summary) notes.unshift(summary);
      if (notes.length) sources.push({ name: input, explicit: false, notes, async *open() {} });
      const { commands, exits } = readManifestFile(input);
      for (const f of files) if (!drop.has(f.rel)) await addFile(f.file, commands.get(f.rel), false, exits.get(f.rel));
    } else if (st?.isFile()) {
      await addFile(input);
    } else if (!st && /[*?[\]{}]/.test(input) && (await import("glob")).hasMagic(input)) {
      // glob is loaded only for inputs that are not files: most runs never need it.
      const { glob } = await import("glob");
      const matches = (await glob(input, { nodir: true, dot: false })).sort();
      if (matches.length === 0) problems.push({ input, message: "pattern matched no files", hint: "quote the pattern or check the path" });
      for (const m of matches) {
        const mst = await stat(m).catch(() => null);
        if (mst?.isFile()) await addFile(m);
        else {
          // a glob is a walk too: a FIFO, socket or device it matches is not read
          const what = mst?.isFIFO() ? "a FIFO (named pipe)" : mst?.isSocket() ? "a socket" : mst ? "a device" : "a link that cannot be followed";
          sources.push({ name: m, explicit: false, notes: [{ severity: "warning", code: "W_SKIPPED_ENTRY", message: `${what}, matched by ${input}, not read`, hint: "name it on the command line to read it as a stream" }], async *open() {} });
        }
      }
    } else if (st?.isFIFO() || st?.isCharacterDevice()) {
      // named on the command line: a pipe (`<(ssh host cat /proc/net/tcp)`, /dev/stdin) or a device, read as a stream
      await readStream(input, createReadStream(input), null);
    } else if (st) {
      problems.push({ input, message: `not a regular file, directory or pipe (${st.isSocket() ? "a socket" : "a block device"})`, hint: "save the capture to a file, or pipe it in with -" });
    } else {
      problems.push({ input, message: "no such file or directory", hint: "check the path; use - to read standard input" });
    }
  }
  if (limits.maxLineBytes !== undefined) for (const s of sources) s.maxLineBytes = limits.maxLineBytes;
  return { sources, problems, listings };
}
