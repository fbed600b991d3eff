/**
 * Which host bundles an archive holds, by its members' names alone, with the
 * rules `batch` uses for a directory (src/batch/discover.ts): a folder that
 * holds a recognised layout (a collector MANIFEST, `sos_commands/`, or a
 * `hostname` file beside `proc/` or `commands/`) is one host and is not
 * searched further; any other folder is searched, in name order, down to
 * eight levels; a member that is itself an archive is one host (it is not
 * opened). One host, or none, means the archive is one host bundle; two or
 * more make it a fleet archive.
 *
 * listArchive() walks an archive file once to get the names, keeping
 * nothing: every member is decompressed and dropped, only its first bytes
 * are looked at (is it an archive, is it a collector MANIFEST).
 */
import { Budget, LimitError } from "./decode.js";
import type { ReadLimits } from "./limits.js";
import { MAGIC_BYTES, sniffArchive, type ArchiveKind } from "./magic.js";
import { normaliseMemberName } from "./names.js";
import { errorMessage } from "./stream.js";
import { walk, type MemberSink } from "./walk.js";

/** What an archive holds, by name. */
export interface Listing {
  /** Every regular member's normalised path, in the archive's order. */
  paths: readonly string[];
  /** Members that are archives themselves. */
  archives: ReadonlySet<string>;
  /** Members that are natlens collector MANIFESTs. */
  manifests: ReadonlySet<string>;
}

export const COLLECTOR_MANIFEST_MARK = "# natlens collect manifest";
/** Folders are searched this deep for host bundles (as in a directory). */
export const MAX_SEARCH_DEPTH = 8;

/** A folder's entries by name. */
export type FolderEntries = ReadonlyMap<string, "file" | "folder">;

/** A directory's entries as FolderEntries (what is neither a regular file nor a directory is left out; links are not followed). */
export function folderEntries(list: Iterable<{ name: string; isFile(): boolean; isDirectory(): boolean }>): FolderEntries {
  const kinds = new Map<string, "file" | "folder">();
  for (const e of list) {
    if (e.isFile()) kinds.set(e.name, "file");
    else if (e.isDirectory()) kinds.set(e.name, "folder");
  }
  return kinds;
}

/**
 * A SUSE supportconfig folder (`scc_*`), by its entries: its environment file
 * beside its network file or its own log. The one signature of a supportconfig:
 * analyze's layout choice (src/input/read.ts) and batch discovery
 * (holdsHostLayout) both ask it.
 */
export function holdsSupportconfig(entries: FolderEntries): boolean {
  return entries.get("basic-environment.txt") === "file" && (entries.get("network.txt") === "file" || entries.get("supportconfig.txt") === "file");
}

/**
 * A folder holding a layout natlens recognises as one host's capture:
 * a collector bundle (`manifestIsOurs`: its MANIFEST starts with the
 * collector's mark), a sosreport tree, a supportconfig folder, or `hostname` beside
 * `proc/` or `commands/`.
 */
export function holdsHostLayout(entries: FolderEntries, manifestIsOurs: () => boolean): boolean {
  if (entries.get("MANIFEST") === "file" && manifestIsOurs()) return true;
  if (entries.get("sos_commands") === "folder") return true;
  if (holdsSupportconfig(entries)) return true;
  return entries.get("hostname") === "file" && (entries.get("proc") === "folder" || entries.get("commands") === "folder");
}

export interface FoundHost {
  /** Member path of the host bundle ("" : the archive itself). */
  path: string;
  kind: "folder" | "archive";
}

interface Folder {
  entries: Map<string, "file" | "folder">;
  folders: Map<string, Folder>;
}

function tree(paths: readonly string[]): Folder {
  const root: Folder = { entries: new Map(), folders: new Map() };
  for (const p of paths) {
    const parts = p.split("/");
    let f = root;
    for (let i = 0; i < parts.length - 1; i++) {
      let sub = f.folders.get(parts[i]!);
      if (!sub) {
        sub = { entries: new Map(), folders: new Map() };
        f.folders.set(parts[i]!, sub);
        f.entries.set(parts[i]!, "folder");
      }
      f = sub;
    }
    const last = parts[parts.length - 1]!;
    if (!f.entries.has(last)) f.entries.set(last, "file");
  }
  return root;
}

/** The host bundles of an archive in the order a directory walk finds them, and the members outside any. */
export function hostsInListing(listing: Listing): { hosts: FoundHost[]; loose: string[] } {
  const hosts: FoundHost[] = [];
  const loose: string[] = [];
  const search = (folder: Folder, prefix: string, depth: number) => {
    if (holdsHostLayout(folder.entries, () => listing.manifests.has(`${prefix}MANIFEST`))) {
      hosts.push({ path: prefix.replace(/\/$/, ""), kind: "folder" });
      return;
    }
    const names = [...folder.entries.keys()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    for (const name of names) {
      const p = prefix + name;
      const sub = folder.folders.get(name);
      if (sub) {
        if (depth < MAX_SEARCH_DEPTH) search(sub, `${p}/`, depth + 1);
      } else if (listing.archives.has(p)) hosts.push({ path: p, kind: "archive" });
      else loose.push(p);
    }
  };
  search(tree(listing.paths), "", 0);
  return { hosts, loose };
}

/** The host a member path belongs to: the host at the path itself, or at one of its folders. */
export function hostOfPath(path: string, hostPaths: ReadonlySet<string>): string | null {
  if (hostPaths.has(path)) return path;
  for (let i = path.lastIndexOf("/"); i > 0; i = path.lastIndexOf("/", i - 1)) {
    const dir = path.slice(0, i);
    if (hostPaths.has(dir)) return dir;
  }
  return null;
}

/**
 * Hosts whose members do not come one after another in the archive's order
 * (members of another host in between): they cannot be cut out of one
 * streaming pass and are read on their own instead.
 */
export function scatteredHosts(listing: Listing, hosts: readonly FoundHost[]): Set<string> {
  const paths = new Set(hosts.map((h) => h.path));
  const left = new Set<string>();
  const scattered = new Set<string>();
  let current: string | null = null;
  for (const p of listing.paths) {
    const h = hostOfPath(p, paths);
    if (h === null || h === current) continue;
    if (current !== null) left.add(current);
    if (left.has(h)) scattered.add(h);
    current = h;
  }
  return scattered;
}

/** Records every member's name and first bytes, keeping nothing. */
class RootIsHost extends Error {}

/** The first bytes of a member; the rest is read through (a tar entry must be), or not at all (`stop`: a zip's). */
async function headOf(src: AsyncIterable<Buffer>, stop = false): Promise<Buffer> {
  let head: Buffer | null = null;
  for await (const c of src) {
    head = head === null ? c : head.length < MAGIC_BYTES ? Buffer.concat([head, c]) : head;
    if (stop && head.length >= MAGIC_BYTES) break;
  }
  return head ?? Buffer.alloc(0);
}

class ListingSink implements MemberSink {
  readonly paths: string[] = [];
  /** The root's entries seen so far. */
  readonly root = new Map<string, "file" | "folder">();
  /** Zip members not looked at yet. */
  readonly deferred = new Map<string, () => AsyncIterable<Buffer>>();
  /** The listing stopped early: the root holds a layout. */
  rootIsHost = false;
  readonly seen = new Set<string>();
  readonly archives = new Set<string>();
  readonly manifests = new Set<string>();
  readonly budget: Budget;
  members = 0;
  damage: string | null = null;

  constructor(readonly limits: ReadLimits) {
    this.budget = new Budget(limits.maxBytes);
  }

  link(): void {}
  admit(rawName: string): string | null {
    const n = normaliseMemberName(rawName);
    if (n.escapes || !n.path || this.seen.has(n.path)) return null;
    this.seen.add(n.path);
    this.paths.push(n.path);
    return n.path;
  }
  wants(): { read: boolean; explicit: boolean; select: null } {
    return { read: true, explicit: false, select: null };
  }
  async member(path: string, _size: number | null, open: () => AsyncIterable<Buffer>, _explicit: boolean, _select: null, later = false): Promise<void> {
    this.members++;
    const manifest = /(?:^|\/)MANIFEST$/.test(path);
    if (later && !manifest) {
      // a zip member: looked at only if it matters (beforeClose)
      this.deferred.set(path, open);
      return;
    }
    this.sniffed(path, await headOf(open()));
    this.stopIfRootIsHost(path);
  }

  /** A zip's members outside every host folder found: are they archives? (the others never matter) */
  async beforeClose(): Promise<void> {
    if (this.deferred.size === 0) return;
    const { hosts } = hostsInListing({ paths: this.paths, archives: new Set(), manifests: this.manifests });
    const folders = new Set(hosts.map((h) => h.path));
    for (const [path, open] of this.deferred) {
      if (folders.has("") || hostOfPath(path, folders) !== null) continue;
      this.sniffed(path, await headOf(open(), true));
    }
  }

  /**
   * The search stops at a root that holds a layout (the archive is one host
   * whatever follows): so does the listing, once it has seen enough for it.
   */
  private stopIfRootIsHost(path: string): void {
    const slash = path.indexOf("/");
    if (slash < 0) this.root.set(path, "file");
    else this.root.set(path.slice(0, slash), "folder");
    if (holdsHostLayout(this.root, () => this.manifests.has("MANIFEST"))) throw new RootIsHost();
  }
  sniffed(path: string, head: Buffer): void {
    const kind = sniffArchive(head.subarray(0, MAGIC_BYTES));
    if (kind && (kind !== "tar" || head.length >= 512)) this.archives.add(path);
    if (/(?:^|\/)MANIFEST$/.test(path) && head.toString("utf8", 0, Math.min(head.length, 64)).startsWith(COLLECTOR_MANIFEST_MARK)) this.manifests.add(path);
  }
  single(): void {}
  error(): void {}
  failed(err: unknown): void {
    if (err instanceof RootIsHost) {
      this.rootIsHost = true;
      return;
    }
    const after = `${this.members} member${this.members === 1 ? "" : "s"}`;
    this.damage = err instanceof LimitError ? `stopped after ${after}: ${err.message} (--max-bytes)` : `archive is truncated or corrupt after ${after}: ${errorMessage(err)}`;
  }
}

export interface ArchiveListing extends Listing {
  /** The archive is damaged (or over --max-bytes): members after that point are not listed. */
  damage: string | null;
  /** False when listing stopped early because the archive's root holds a layout (one host, whatever follows). */
  complete: boolean;
}

/** List an archive file: every member's name, which are archives, which are collector MANIFESTs. */
export async function listArchive(file: string, kind: ArchiveKind, limits: ReadLimits): Promise<ArchiveListing> {
  const { fileChunks } = await import("../read.js");
  const sink = new ListingSink(limits);
  await walk(
    sink,
    kind,
    (async function* () {
      yield* fileChunks(file);
    })(),
    file,
  );
  return { paths: sink.paths, archives: sink.archives, manifests: sink.manifests, damage: sink.damage, complete: !sink.rootIsHost };
}

