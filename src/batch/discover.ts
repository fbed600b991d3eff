/**
 * Host discovery for `batch`: turn the command line's inputs into host
 * bundles, each with a unique, stable id.
 *
 * - A directory that holds a recognised layout (a natlens collector bundle
 *   with its MANIFEST, a sosreport tree with sos_commands/, a supportconfig
 *   folder, or a `hostname` file next to `proc/` or `commands/`) is one host;
 *   the rule is isHostFolder (src/input/hosts.ts), the one analyze asks too:
 *   a supportconfig folder is known by its entries or by its `scc_*` name.
 * - A directory that is not one is searched (in name order) for host
 *   directories and archives; files beside them are counted and reported,
 *   never read. An input directory with no host below it is itself one host
 *   (a folder of loose dumps), as `analyze DIR` would take it.
 * - An archive file is listed (its members' names and first bytes, nothing
 *   kept; src/input/archive/listing.ts) and searched with the same rules
 *   (hostsOfListing, src/input/hosts.ts): when
 *   it holds two or more host bundles (folders holding a layout, members that
 *   are archives) it is a fleet archive and each bundle is a host,
 *   `ARCHIVE!/member`; otherwise the archive is one host. `ARCHIVE!/member`
 *   named on the command line is one host; any other file named on the
 *   command line is a host of one file.
 *
 * Host id: the base name without archive extensions, characters other than
 * letters, digits and `._+@-` replaced by `_`, made unique in discovery order
 * with `-2`, `-3`, ... Discovery order is the command line's, then name
 * order (byte order) inside directories, so every run over the same inputs
 * (every shard too) gives every host the same id.
 */
import { closeSync, openSync, readdirSync, readSync, statSync, type Dirent } from "node:fs";
import path from "node:path";
import { createHash } from "node:crypto";
import { sniffArchive, type ArchiveKind } from "../input/archive/magic.js";
import { fileHead } from "../input/archive/stream.js";
import { MEMBER_SEP, memberName } from "../input/archive/names.js";
import { folderEntries, hostOfPath, listArchive, scatteredHosts, COLLECTOR_MANIFEST_MARK, MAX_SEARCH_DEPTH, type ArchiveListing } from "../input/archive/listing.js";
import { DEFAULT_LIMITS } from "../input/archive/limits.js";
import { hostsOfListing, isHostFolder } from "../input/hosts.js";

export type HostKind = "directory" | "archive" | "file" | "member";

export { MEMBER_SEP };

function isFile(p: string): boolean {
  try {
    return statSync(p).isFile();
  } catch {
    return false;
  }
}

export interface HostInput {
  id: string;
  /** The host as the command line reaches it: a directory or file path (relative paths stay relative). */
  input: string;
  kind: HostKind;
}

/** A fleet archive split into hosts: which of them can be cut out of one pass over it, in the archive's order. */
export interface FleetArchive {
  /** The archive file, as discovery reached it. */
  archive: string;
  kind: ArchiveKind;
  /** Member paths of its hosts whose members come one after another, in the archive's order (the others are read on their own). */
  streamed: string[];
  /**
   * The archive is damaged: what listing it met. The hosts before the damage
   * are found; the archive itself is then one more host, failed with this
   * reason, so that what could not be read shows in the tables.
   */
  damage: string | null;
}

export interface Discovery {
  hosts: HostInput[];
  /** The fleet archives among the inputs (their hosts are `member` hosts in `hosts`). */
  fleets: FleetArchive[];
  /** Inputs that could not be read at all: a usage error. */
  problems: { input: string; message: string; hint?: string }[];
  /** What was found and not used (loose files beside host bundles), one line each. */
  notes: string[];
}

const ARCHIVE_EXT = /(\.tar\.gz|\.tgz|\.tar\.xz|\.txz|\.tar\.bz2|\.tbz2?|\.tar\.zst|\.tzst|\.tar|\.zip|\.gz|\.xz|\.bz2|\.zst)$/i;

/** The kind of archive or compressed file natlens reads, by its first bytes (not its name); null for anything else. */
function archiveKind(file: string): ArchiveKind | null {
  try {
    return sniffArchive(fileHead(file));
  } catch {
    return null;
  }
}

/** An archive or compressed file natlens reads, by its first bytes (not its name). */
export function isArchiveFile(file: string): boolean {
  return archiveKind(file) !== null;
}

function entries(dir: string): Dirent[] {
  const list = readdirSync(dir, { withFileTypes: true });
  return list.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

function startsWith(file: string, text: string): boolean {
  let fd: number | null = null;
  try {
    fd = openSync(file, "r");
    const buf = Buffer.alloc(text.length);
    return readSync(fd, buf, 0, buf.length, 0) === buf.length && buf.toString("latin1") === text;
  } catch {
    return false;
  } finally {
    if (fd !== null) closeSync(fd);
  }
}

/** A directory holding one host's capture (isHostFolder: the rule archives and analyze's layout use too). */
export function isHostDirectory(dir: string, list: Dirent[] = entries(dir)): boolean {
  return isHostFolder(path.basename(path.resolve(dir)), folderEntries(list), () => startsWith(path.join(dir, "MANIFEST"), COLLECTOR_MANIFEST_MARK));
}

/** The host id a path gives before it is made unique. */
export function baseHostId(input: string): string {
  const member = input.lastIndexOf(MEMBER_SEP);
  let base = path.basename((member >= 0 ? input.slice(member + MEMBER_SEP.length) : input).replace(/\/+$/, "")) || "host";
  const stripped = base.replace(ARCHIVE_EXT, "");
  if (stripped) base = stripped;
  base = base.replace(/[^A-Za-z0-9._+@-]/g, "_").replace(/^\.+/, "");
  return base || "host";
}

/** Assigns ids in discovery order: the first keeps its base id, later ones get -2, -3, ... */
export class HostIds {
  private readonly used = new Set<string>();
  take(base: string): string {
    let id = base;
    for (let n = 2; this.used.has(id); n++) id = `${base}-${n}`;
    this.used.add(id);
    return id;
  }
}

/** An archive being listed (several at once: xz runs in child processes, gzip in the thread pool). */
interface Listed {
  archive: string;
  kind: ArchiveKind;
  listing: Promise<ArchiveListing | null>;
}

interface Found {
  /** Archives are listed for the host bundles they hold (else each is one host). */
  listArchives: boolean;
  /** Hosts and archives being listed, in discovery order. */
  items: ({ input: string; kind: HostKind } | Listed)[];
  loose: number;
  looseExamples: string[];
}

/** What an input gave once its archives are listed. */
interface Expanded {
  hosts: { input: string; kind: HostKind }[];
  fleets: FleetArchive[];
  notes: string[];
}

const plural = (n: number, word: string) => `${n.toLocaleString("en-US")} ${word}${n === 1 ? "" : "s"}`;

/** Archives listed at once. */
const LISTING_CONCURRENCY = 4;
let listingSlots = LISTING_CONCURRENCY;
const listingQueue: (() => void)[] = [];
async function listLimited(file: string, kind: ArchiveKind): Promise<ArchiveListing | null> {
  if (listingSlots === 0) await new Promise<void>((r) => listingQueue.push(r));
  else listingSlots--;
  try {
    return await listArchive(file, kind, DEFAULT_LIMITS);
  } catch {
    return null;
  } finally {
    const next = listingQueue.shift();
    if (next) next();
    else listingSlots++;
  }
}

function archiveHosts(file: string, kind: ArchiveKind, found: Found): void {
  if (!found.listArchives) found.items.push({ input: file, kind: "archive" });
  else found.items.push({ archive: file, kind, listing: listLimited(file, kind) });
}

/**
 * An archive: one host, or (holding two or more host bundles) a fleet
 * archive whose bundles are each a host. Listing it costs one pass over its
 * bytes, nothing kept, stopped early when its root holds a layout.
 */
function expandArchive(file: string, kind: ArchiveKind, listing: ArchiveListing | null, out: Expanded): void {
  const inside = listing ? hostsOfListing(listing) : null;
  if (!listing || !inside || inside.hosts.length < 2) {
    out.hosts.push({ input: file, kind: "archive" });
    return;
  }
  const scattered = scatteredHosts(listing, inside.hosts);
  // where each host starts in the archive
  const paths = new Set(inside.hosts.map((h) => h.path));
  const order = new Map<string, number>();
  listing.paths.forEach((p, i) => {
    const h = hostOfPath(p, paths);
    if (h !== null && !order.has(h)) order.set(h, i);
  });
  for (const h of inside.hosts) out.hosts.push({ input: memberName(file, h.path), kind: "member" });
  const streamed = inside.hosts.filter((h) => !scattered.has(h.path)).sort((a, b) => order.get(a.path)! - order.get(b.path)!);
  const damage = listing.damage ? `${listing.damage}; host bundles after that point are not found` : null;
  if (damage) out.hosts.push({ input: file, kind: "archive" });
  out.fleets.push({ archive: file, kind, streamed: streamed.map((h) => h.path), damage });
  if (inside.loose.length) {
    out.notes.push(
      `${file}: ${plural(inside.loose.length, "member")} outside any host bundle not read (${inside.loose.slice(0, 3).join(", ")}${inside.loose.length > 3 ? ", ..." : ""})`,
    );
  }
  if (scattered.size) out.notes.push(`${file}: ${plural(scattered.size, "host")} whose members are spread over the archive, each read in a pass of its own`);
}

/** The hosts of `found`, its archives listed, in discovery order. */
async function expand(found: Found): Promise<Expanded> {
  const out: Expanded = { hosts: [], fleets: [], notes: [] };
  for (const item of found.items) {
    if ("archive" in item) expandArchive(item.archive, item.kind, await item.listing, out);
    else out.hosts.push(item);
  }
  return out;
}

async function search(dir: string, depth: number, found: Found, skip: string | null): Promise<void> {
  if (skip !== null && path.resolve(dir) === skip) return;
  const list = entries(dir);
  if (isHostDirectory(dir, list)) {
    found.items.push({ input: dir, kind: "directory" });
    return;
  }
  for (const e of list) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) {
      if (depth < MAX_SEARCH_DEPTH) await search(p, depth + 1, found, skip);
      continue;
    }
    const kind = e.isFile() ? archiveKind(p) : null;
    if (kind) archiveHosts(p, kind, found);
    else if (e.isFile()) {
      found.loose++;
      if (found.looseExamples.length < 3) found.looseExamples.push(p);
    }
  }
}

/** Expands globs, then finds the host bundles in every input, in order; `outDir` (batch's own output) is never searched. */
export async function discoverHosts(inputs: readonly string[], outDir?: string, opts: { listArchives?: boolean } = {}): Promise<Discovery> {
  const listArchives = opts.listArchives ?? true;
  const skip = outDir === undefined ? null : path.resolve(outDir);
  const out: Discovery = { hosts: [], fleets: [], problems: [], notes: [] };
  // every input's hosts and archives in order; archives are listed meanwhile, several at once
  const all: Found = { listArchives, items: [], loose: 0, looseExamples: [] };
  const add = (input: string, kind: HostKind) => all.items.push({ input, kind });
  for (const raw of inputs) {
    let named: string[] = [raw];
    let st: ReturnType<typeof statSync> | null = null;
    try {
      st = statSync(raw);
    } catch {
      st = null;
    }
    if (!st && raw.includes(MEMBER_SEP)) {
      // ARCHIVE!/member: one host inside an archive (read by the archive reader; checked when analysed)
      const archive = raw.slice(0, raw.indexOf(MEMBER_SEP));
      if (isFile(archive)) add(raw, "member");
      else out.problems.push({ input: raw, message: `no such archive: ${archive}`, hint: "ARCHIVE!/path names a member of an archive file" });
      continue;
    }
    if (!st && /[*?[\]{}]/.test(raw)) {
      const { glob } = await import("glob");
      named = (await glob(raw, { dot: false })).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
      if (named.length === 0) {
        out.problems.push({ input: raw, message: "pattern matched nothing", hint: "quote the pattern or check the path" });
        continue;
      }
    } else if (!st) {
      out.problems.push({ input: raw, message: "no such file or directory", hint: "name host bundle directories or archives, or a directory holding them" });
      continue;
    }
    for (const input of named) {
      let s: ReturnType<typeof statSync>;
      try {
        s = statSync(input);
      } catch {
        out.problems.push({ input, message: "cannot be read" });
        continue;
      }
      if (s.isFile()) {
        const kind = archiveKind(input);
        if (kind) archiveHosts(input, kind, all);
        else add(input, "file");
      } else if (s.isDirectory()) {
        const found: Found = { listArchives, items: [], loose: 0, looseExamples: [] };
        await search(input, 0, found, skip);
        if (found.items.length === 0) add(input, "directory");
        else {
          all.items.push(...found.items);
          if (found.loose > 0) {
            out.notes.push(
              `${input}: ${found.loose} file${found.loose > 1 ? "s" : ""} outside any host bundle not read (${found.looseExamples.join(", ")}${found.loose > found.looseExamples.length ? ", ..." : ""})`,
            );
          }
        }
      } else out.problems.push({ input, message: "not a regular file or directory" });
    }
  }
  const expanded = await expand(all);
  const ids = new HostIds();
  for (const h of expanded.hosts) out.hosts.push({ id: ids.take(baseHostId(h.input)), input: h.input, kind: h.kind });
  out.fleets.push(...expanded.fleets);
  out.notes.push(...expanded.notes);
  return out;
}

/** `--shard I/N` (1-based): parsed, or an error message. */
export function parseShard(spec: string): { index: number; count: number } | string {
  const m = /^(\d+)\/(\d+)$/.exec(spec.trim());
  if (!m) return `--shard ${JSON.stringify(spec)} is not I/N`;
  const index = Number(m[1]);
  const count = Number(m[2]);
  if (count < 1 || index < 1 || index > count) return `--shard ${spec}: I must be between 1 and N`;
  return { index, count };
}

/**
 * The shard (1..count) a host belongs to: the first 32 bits of SHA-256 of its
 * id, modulo count. Depends on the id alone, so adding hosts never moves
 * another host to a different shard.
 */
export function shardOf(hostId: string, count: number): number {
  const digest = createHash("sha256").update(hostId, "utf8").digest();
  return (digest.readUInt32BE(0) % count) + 1;
}
