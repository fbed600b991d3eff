/**
 * Named byte streams. An input is a name (what diagnostics print) and a way to
 * open its bytes: a file, standard input, or an archive member
 * (`ARCHIVE!/path`, src/input/archive/). Nothing else in natlens touches the
 * file system to read inputs.
 */
import { closeSync, existsSync, fstatSync, openSync, readdirSync, readFileSync, readSync } from "node:fs";
import { stat } from "node:fs/promises";
import path from "node:path";
import { fileHead, peek, readArchiveFile, readArchiveStream } from "./archive/read-archive.js";
import { DEFAULT_LIMITS, type ReadLimits } from "./archive/limits.js";
import { sniffArchive } from "./archive/magic.js";
import { MEMBER_SEP } from "./archive/names.js";
import { LayoutFilter } from "./layouts/index.js";
import { parseManifest } from "./manifest.js";

export interface ByteSource {
  /** Display name: the path as given (or below a given directory), `-` for stdin. */
  name: string;
  /** True when the user named this input directly (not found inside a directory). */
  explicit: boolean;
  /** The file behind the stream, when there is one (lets a fast path read it directly). */
  path?: string;
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
}

export interface ExpandOptions {
  /** Decompression limits for archive inputs (`--max-bytes`, `--max-member-bytes`). */
  limits?: Partial<ReadLimits>;
  /** Keep standard input's chunks so its source can be opened again (default true; see stdinSource). */
  replayableStdin?: boolean;
}

export interface ExpandResult {
  sources: ByteSource[];
  /** Inputs that could not be read at all (missing file, empty glob). */
  problems: { input: string; message: string; hint?: string }[];
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
export function stdinSource(stream: AsyncIterable<Buffer | string> = process.stdin, opts: { replayable?: boolean } = {}): ByteSource {
  const replayable = opts.replayable ?? true;
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
    name: "-",
    explicit: true,
    async *open() {
      if (opened && !replayable) throw new Error("standard input can only be read once");
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
 * cost 0.2 s of waiting (measured).
 */
function walk(dir: string, rel: string, layout: LayoutFilter, out: { file: string; rel: string }[]): void {
  const entries = readdirSync(dir, { withFileTypes: true });
  entries.sort(byName);
  for (const e of entries) {
    const p = path.join(dir, e.name);
    const r = rel ? `${rel}/${e.name}` : e.name;
    if (e.isDirectory()) {
      if (layout.classifyDir(r) === "skip") layout.skipped += countFiles(p);
      else walk(p, r, layout, out);
    } else if (e.isFile()) {
      if (layout.classify(r) === "read") out.push({ file: p, rel: r });
    } else if (e.isSymbolicLink()) {
      // sosreport puts symlinks such as `ps` -> sos_commands/process/ps_auxwwwm at its
      // root; following them would read the same file twice, so they are left out.
    }
  }
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
  /** A file named on the command line or matched by a glob: an archive is read, anything else is a capture. */
  const addFile = async (file: string, command?: string, explicit = true, exit?: number) => {
    const kind = archiveKindOf(file);
    if (kind) {
      const r = await readArchiveFile(file, file, kind, { limits, select: null });
      sources.push(...r.sources);
      problems.push(...r.missing);
      return;
    }
    const source = fileSource(file, explicit);
    if (command) source.command = command;
    if (exit !== undefined) source.exit = exit;
    sources.push(source);
  };
  const readStdin = async (select: string[] | null) => {
    const { head, stream } = await peek(buffers(stdin ?? process.stdin));
    const kind = sniffArchive(head);
    if (kind) {
      const r = await readArchiveStream("-", stream, kind, { limits, select, depth: 0 });
      sources.push(...r.sources);
      problems.push(...r.missing);
    } else if (select) {
      problems.push({ input: `-${MEMBER_SEP}${select.join(MEMBER_SEP)}`, message: "standard input is not an archive" });
    } else sources.push(stdinSource(stream, { replayable: opts.replayableStdin ?? true }));
  };
  for (const input of inputs) {
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
      const layout = new LayoutFilter({ sos: isSosTree(input) });
      walk(input, "", layout, files);
      const drop = layout.redundant(files.map((f) => f.rel));
      if (files.length === 0 && layout.skipped === 0) problems.push({ input, message: "directory holds no files" });
      const summary = layout.summary();
      if (summary) sources.push({ name: input, explicit: false, notes: [summary], async *open() {} });
      const { commands, exits } = readManifestFile(input);
      for (const f of files) if (!drop.has(f.rel)) await addFile(f.file, commands.get(f.rel), false, exits.get(f.rel));
    } else if (st?.isFile()) {
      await addFile(input);
    } else if (!st && /[*?[\]{}]/.test(input) && (await import("glob")).hasMagic(input)) {
      // glob is loaded only for inputs that are not files: most runs never need it.
      const { glob } = await import("glob");
      const matches = (await glob(input, { nodir: true, dot: false })).sort();
      if (matches.length === 0) problems.push({ input, message: "pattern matched no files", hint: "quote the pattern or check the path" });
      for (const m of matches) await addFile(m);
    } else if (st) {
      problems.push({ input, message: "not a regular file or directory" });
    } else {
      problems.push({ input, message: "no such file or directory", hint: "check the path; use - to read standard input" });
    }
  }
  return { sources, problems };
}
