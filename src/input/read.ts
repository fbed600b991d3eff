/**
 * Named byte streams. An input is a name (what diagnostics print) and a way to
 * open its bytes: a file, standard input, and later an archive member. Nothing
 * else in natlens touches the file system to read inputs.
 */
import { closeSync, fstatSync, openSync, readdirSync, readSync } from "node:fs";
import { readFile, stat } from "node:fs/promises";
import path from "node:path";

export interface ByteSource {
  /** Display name: the path as given (or below a given directory), `-` for stdin. */
  name: string;
  /** True when the user named this input directly (not found inside a directory). */
  explicit: boolean;
  /** The file behind the stream, when there is one (lets a fast path read it directly). */
  path?: string;
  /** The command that produced it, when a bundle's MANIFEST says so (parsers see it as ctx.banner). */
  command?: string;
  open(): AsyncIterable<Buffer>;
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

/**
 * A natlens collector bundle (scripts/collect.sh) has a MANIFEST naming each
 * file's command: `file: commands/iptables_-t_nat_-nvL` then `command: ...`.
 * Returns path (relative to the bundle) -> command; empty for other directories.
 */
async function readManifest(dir: string): Promise<Map<string, string>> {
  const map = new Map<string, string>();
  let text: string;
  try {
    text = await readFile(path.join(dir, "MANIFEST"), "utf8");
  } catch {
    return map;
  }
  if (!text.startsWith("# natlens collect manifest")) return map;
  let file: string | null = null;
  for (const line of text.split("\n")) {
    if (line.startsWith("file: ")) file = line.slice(6).trim();
    else if (line.startsWith("command: ") && file) map.set(file, line.slice(9).trim());
  }
  return map;
}

/**
 * Regular files below `dir`, in name order. Synchronous, like the reads: a
 * bundle of 1,000 containers has 2,000 directories, and 2,000 trips through
 * the thread pool cost 0.2 s of waiting (measured).
 */
function walk(dir: string, out: string[]): void {
  const entries = readdirSync(dir, { withFileTypes: true });
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const e of entries) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) walk(p, out);
    else if (e.isFile()) out.push(p);
    else if (e.isSymbolicLink()) {
      // sosreport puts symlinks such as `ps` -> sos_commands/process/ps_auxwwwm at its
      // root; following them would read the same file twice, so they are left out.
    }
  }
}

/**
 * Turn command-line inputs into byte sources: files, `-` (stdin), globs and
 * directories (every regular file below, in name order).
 */
export async function expandInputs(
  inputs: readonly string[],
  stdin?: AsyncIterable<Buffer | string>,
  opts: { replayableStdin?: boolean } = {},
): Promise<ExpandResult> {
  const sources: ByteSource[] = [];
  const problems: ExpandResult["problems"] = [];
  for (const input of inputs) {
    if (input === "-") {
      sources.push(stdinSource(stdin, { replayable: opts.replayableStdin ?? true }));
      continue;
    }
    let st;
    try {
      st = await stat(input);
    } catch {
      st = null;
    }
    if (st?.isDirectory()) {
      const files: string[] = [];
      walk(input, files);
      if (files.length === 0) problems.push({ input, message: "directory holds no files" });
      const commands = await readManifest(input);
      for (const f of files) {
        const source = fileSource(f, false);
        const command = commands.get(path.relative(input, f));
        if (command) source.command = command;
        sources.push(source);
      }
    } else if (st?.isFile()) {
      sources.push(fileSource(input));
    } else if (!st && /[*?[\]{}]/.test(input) && (await import("glob")).hasMagic(input)) {
      // glob is loaded only for inputs that are not files: most runs never need it.
      const { glob } = await import("glob");
      const matches = (await glob(input, { nodir: true, dot: false })).sort();
      if (matches.length === 0) problems.push({ input, message: "pattern matched no files", hint: "quote the pattern or check the path" });
      for (const m of matches) sources.push(fileSource(m));
    } else if (st) {
      problems.push({ input, message: "not a regular file or directory" });
    } else {
      problems.push({ input, message: "no such file or directory", hint: "check the path; use - to read standard input" });
    }
  }
  return { sources, problems };
}
