/**
 * What one host's capture is, for every command that has to tell: analyze's
 * layout choice for a directory (src/input/read.ts), batch's discovery of
 * host bundles in a directory and in an archive (src/batch/discover.ts), and
 * analyze's refusal of several hosts (src/commands/analyze.ts), so that
 * `analyze` and `batch` never disagree about where a host begins.
 *
 * The archive listing's own search (hostsInListing in
 * src/input/archive/listing.ts) knows the layouts by their entries;
 * hostsOfListing adds the one rule that needs a folder's name, a
 * supportconfig folder named `scc_*`.
 */
import { holdsHostLayout, holdsSupportconfig, hostOfPath, hostsInListing, MAX_SEARCH_DEPTH, type FolderEntries, type FoundHost, type Listing } from "./archive/listing.js";
import { hasSupportconfigName } from "./layouts/index.js";

/**
 * A SUSE supportconfig folder: named `scc_*` by supportconfig (its folder
 * holds whatever was kept of it), or holding supportconfig's environment file
 * beside its network file or its log (holdsSupportconfig), whatever its name.
 */
export function isSupportconfigFolder(name: string, entries: FolderEntries): boolean {
  return hasSupportconfigName(name) || holdsSupportconfig(entries);
}

/**
 * A folder holding one host's capture: a supportconfig folder
 * (isSupportconfigFolder), or a layout holdsHostLayout recognises by its
 * entries (a collector bundle whose MANIFEST is ours, a sosreport tree,
 * `hostname` beside `proc/` or `commands/`).
 */
export function isHostFolder(name: string, entries: FolderEntries, manifestIsOurs: () => boolean): boolean {
  return isSupportconfigFolder(name, entries) || holdsHostLayout(entries, manifestIsOurs);
}

/**
 * hostsInListing already took every folder whose entries make it a
 * supportconfig; what is left to ask of the others is their name.
 */
const NO_ENTRIES: FolderEntries = new Map();

/** Member paths in the order a directory walk reaches them: name order (byte order) folder by folder. */
function walkOrder(a: string, b: string): number {
  const x = a.split("/");
  const y = b.split("/");
  for (let i = 0; i < x.length && i < y.length; i++) if (x[i] !== y[i]) return x[i]! < y[i]! ? -1 : 1;
  return x.length - y.length;
}

/**
 * The host bundles of an archive listing by isHostFolder, as a directory of
 * the same tree gives them (src/batch/discover.ts), in the same order, and
 * the members outside any. hostsInListing finds the layouts it knows by their
 * entries; a folder that isHostFolder takes by its name (`scc_*`), searched
 * there because nothing in it was recognised, is one host instead: its
 * members leave the loose ones and what was found below it is part of it.
 */
export function hostsOfListing(listing: Listing): { hosts: FoundHost[]; loose: string[] } {
  const found = hostsInListing(listing);
  const named = new Set<string>();
  /** The outermost folder of `path` (not `path` itself) named as a host, within the search depth. */
  const namedFolderOf = (p: string): string | null => {
    const parts = p.split("/");
    // a folder at parts[i] is reached by the search when i < MAX_SEARCH_DEPTH (the archive's root is depth 0)
    for (let i = 0; i < parts.length - 1 && i < MAX_SEARCH_DEPTH; i++) {
      if (isSupportconfigFolder(parts[i]!, NO_ENTRIES)) return parts.slice(0, i + 1).join("/");
    }
    return null;
  };
  for (const p of [...found.hosts.map((h) => h.path), ...found.loose]) {
    const folder = p === "" ? null : namedFolderOf(p);
    if (folder !== null) named.add(folder);
  }
  if (named.size === 0) return found;
  const hosts: FoundHost[] = [...found.hosts.filter((h) => hostOfPath(h.path, named) === null), ...[...named].map((path) => ({ path, kind: "folder" as const }))];
  hosts.sort((a, b) => walkOrder(a.path, b.path));
  return { hosts, loose: found.loose.filter((p) => hostOfPath(p, named) === null) };
}

/** The host bundles of a fleet archive (two or more, hostsOfListing), or null for one host bundle or none. */
export function fleetHosts(listing: Listing): FoundHost[] | null {
  const { hosts } = hostsOfListing(listing);
  return hosts.length >= 2 ? hosts : null;
}
