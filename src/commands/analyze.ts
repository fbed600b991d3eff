/**
 * `natlens analyze`: the command-line adapter over `analyzeHost` (src/api.ts):
 * inputs to sources, diagnostics to stderr, the report to stdout or -o FILE.
 */
import { analyzeHost, openOutput, parseWhatIf, writeAnalysis, type AnalyzeFormat } from "../api.js";
import { ExitCode, type Io, UsageError } from "../io.js";
import { existsSync, statSync } from "node:fs";
import path from "node:path";
import { expandInputs, type ByteSource, type ExpandResult } from "../input/read.js";
import type { ReadLimits } from "../input/archive/limits.js";
import type { Listing } from "../input/archive/listing.js";
import { makeChalk, resolveColor, type ColorChoice } from "../_color.js";
import { DiagnosticPrinter } from "../diagnostics.js";
import type { Diagnostic } from "../types.js";
import { nothingRead, printInputSummaries } from "./nothing-read.js";

export interface AnalyzeArgs {
  inputs: string[];
  /** `--to` (alias `--format`, `-f`). */
  to: AnalyzeFormat;
  output?: string | undefined;
  netns: string[];
  /** Analyse several host bundles found under the inputs as one host (refused otherwise). */
  mergeHosts?: boolean;
  /** `--what-if userland-proxy=false|true`. */
  whatIf?: string | undefined;
  /** Archive limits (`--max-bytes`, `--max-member-bytes`). */
  limits?: Partial<ReadLimits>;
  /** `--csv-raw`: CSV cells as they are (pandas/DuckDB), unsafe for spreadsheets. */
  csvRaw?: boolean;
  color: ColorChoice;
  verbose: boolean;
  quiet: boolean;
}

/** `--netns NAME=FILE`, repeatable: FILE -> NAME. */
function parseNetns(specs: string[]): Map<string, string> {
  const map = new Map<string, string>();
  for (const s of specs) {
    const eq = s.indexOf("=");
    if (eq <= 0 || eq === s.length - 1) throw new UsageError(`--netns ${JSON.stringify(s)} is not NAME=FILE`, "e.g. --netns web=dumps/web-tcp6.txt");
    map.set(s.slice(eq + 1), s.slice(0, eq));
  }
  return map;
}

/**
 * Several host bundles under the inputs (collector bundles, sosreport trees,
 * `hostname` beside proc/ or commands/, host archives inside a directory) would
 * be merged into one host that does not exist: refused, pointing at `batch`.
 * Found by batch's own discovery (src/batch/discover.ts), before anything is
 * read; so is a fleet archive that is a zip, or the one plain tar of a
 * directory, from its listing (member names and first bytes: no member is
 * kept and no host archive inside it is opened). Any other archive (a tar
 * named directly, a compressed tar) is refused from the listing of the one
 * pass that reads it (fleetArchiveRefusal): listing it first would decompress
 * it twice, so it is read holding the archives in it unread until the listing
 * is known (expandInputs' stopAtFleet).
 */
async function refuseSeveralHosts(inputs: readonly string[], limits: Partial<ReadLimits> | undefined): Promise<void> {
  const st = (i: string) => (i === "-" ? undefined : statSync(i, { throwIfNoEntry: false }));
  const dirs = inputs.filter((i) => st(i)?.isDirectory());
  const { fileHead } = await import("../input/archive/read-archive.js");
  const { sniffArchive } = await import("../input/archive/magic.js");
  /**
   * The archive kinds whose listing reads no compressed stream (a zip's index, a plain tar's
   * headers); null for the others: listing a compressed tar first would cost every one-host
   * .tar.gz or .tar.xz a second decompression.
   */
  const listable = (file: string): "zip" | "tar" | null => {
    try {
      const kind = sniffArchive(fileHead(file));
      return kind === "zip" || kind === "tar" ? kind : null;
    } catch {
      return null;
    }
  };
  // a zip named directly is listed from its central directory (an index: its members are not inflated)
  const toList: { archive: string; kind: "zip" | "tar" }[] = [];
  for (const i of inputs) {
    const kind = st(i)?.isFile() ? listable(i) : null;
    if (kind === "zip") toList.push({ archive: i, kind });
  }
  if (dirs.length > 0) {
    const { discoverHosts, isHostDirectory } = await import("../batch/discover.js");
    // archives count as one host each here (not listed yet: several of them are refused as they are)
    const found = (await discoverHosts(dirs, undefined, { listArchives: false })).hosts.filter((h) => h.kind === "archive" || isHostDirectory(h.input));
    if (found.length >= 2) {
      const shown = found.slice(0, 3).map((h) => h.input).join(", ") + (found.length > 3 ? ", ..." : "");
      throw new UsageError(
        `${found.length} host bundles found (${shown}): use \`natlens batch\``,
        `natlens batch ${dirs.join(" ")} --out DIR analyses each host on its own; --merge-hosts analyses them as one host`,
      );
    }
    // the one archive a directory holds may be a fleet archive: its listing (names only) tells, before its members are read
    for (const h of found) {
      const kind = h.kind === "archive" ? listable(h.input) : null;
      if (kind) toList.push({ archive: h.input, kind });
    }
  }
  if (toList.length === 0) return;
  const { listArchive } = await import("../input/archive/listing.js");
  const { DEFAULT_LIMITS } = await import("../input/archive/limits.js");
  for (const { archive, kind } of toList) {
    // an archive that cannot be listed is reported when it is read
    const listing = await listArchive(archive, kind, { ...DEFAULT_LIMITS, ...limits }).catch(() => null);
    const refusal = listing ? await fleetRefusal(archive, listing) : null;
    if (refusal) throw refusal;
  }
}

/**
 * An archive holding several host bundles (a fleet archive: host archives,
 * or folders holding a layout, as `batch` finds them) is refused like a
 * directory holding several. A zip, or the one plain tar of a directory, is
 * listed before it is read (refuseSeveralHosts); any other tar is refused from
 * the listing of the pass that reads it, which leaves a fleet archive's
 * members unread (listing a compressed tar first would cost every one-host
 * archive a second decompression).
 */
async function fleetRefusal(archive: string, listing: Listing): Promise<UsageError | null> {
  const { fleetHosts } = await import("../input/hosts.js");
  const hosts = fleetHosts(listing);
  if (!hosts) return null;
  const shown = hosts.slice(0, 3).map((h) => `${archive}!/${h.path}`).join(", ") + (hosts.length > 3 ? ", ..." : "");
  return new UsageError(
    `${archive}: ${hosts.length} host bundles found in the archive (${shown}): use \`natlens batch\``,
    `natlens batch ${archive} --out DIR analyses each host on its own; name one host as ${archive}!/PATH, or --merge-hosts analyses them as one host`,
  );
}

async function fleetArchiveRefusal(listings: ExpandResult["listings"]): Promise<UsageError | null> {
  for (const { archive, listing } of listings) {
    const refusal = await fleetRefusal(archive, listing);
    if (refusal) return refusal;
  }
  return null;
}

/**
 * `--netns` keyed by the names of the sources the FILEs are (`./x/tcp` is the
 * input `x/tcp`); a FILE that is none of the inputs is a usage error, not an
 * override silently ignored.
 */
function netnsOfSources(netns: Map<string, string>, sources: readonly ByteSource[]): Map<string, string> {
  const byPath = new Map<string, string>();
  for (const s of sources) if (!s.notes) byPath.set(path.resolve(s.name), s.name);
  const out = new Map<string, string>();
  for (const [file, name] of netns) {
    const source = byPath.get(path.resolve(file));
    if (source !== undefined) {
      out.set(source, name);
      continue;
    }
    if (!existsSync(file)) throw new UsageError(`--netns ${name}=${file}: no such file`, "NAME=FILE names a socket table among the inputs, e.g. --netns web=dumps/web-tcp6.txt");
    throw new UsageError(`--netns ${name}=${file}: ${file} is not one of the inputs`, `give it as an input too: natlens analyze ... ${file} --netns ${name}=${file}`);
  }
  return out;
}

export async function analyze(args: AnalyzeArgs, io: Io): Promise<ExitCode> {
  const netns = parseNetns(args.netns);
  const whatIf = args.whatIf === undefined ? undefined : parseWhatIf(args.whatIf);
  if (whatIf === null) throw new UsageError(`--what-if ${JSON.stringify(args.whatIf)} is not a change natlens can predict`, "use --what-if userland-proxy=false (or =true)");
  if (!args.mergeHosts) await refuseSeveralHosts(args.inputs, args.limits);
  // opened first: an -o path that cannot be written is a usage error before the analysis
  const out = openOutput(io, args.output, false);
  const { sources, problems, listings } = await expandInputs(args.inputs, io.stdin, { ...(args.limits ? { limits: args.limits } : {}), stopAtFleet: !args.mergeHosts });
  const fleet = args.mergeHosts ? null : await fleetArchiveRefusal(listings);
  if (fleet) {
    out.discard();
    throw fleet;
  }
  const diagnostics: Diagnostic[] = problems.map((p) => ({ severity: "error", code: "E_INPUT", file: p.input, line: null, message: p.message, ...(p.hint ? { hint: p.hint } : {}) }));
  const report = await analyzeHost(sources, { netns: netnsOfSources(netns, sources), diagnostics, ...(whatIf ? { whatIf } : {}) });
  const stderrChalk = await makeChalk(resolveColor(args.color, io.env, io.stderrIsTTY));
  const printer = new DiagnosticPrinter((l) => io.stderr.write(l), stderrChalk, { verbose: args.verbose, quiet: args.quiet, perFile: 5 });
  for (const d of report.diagnostics) printer.print(d);
  printer.flush();
  if (args.verbose) printInputSummaries(io, report.inputs);
  if (report.inputs.length === 0 || report.inputs.every((i) => i.format === null)) out.discard();
  if (report.inputs.length === 0) return ExitCode.Usage;
  if (report.inputs.every((i) => i.format === null)) return nothingRead(io, report.inputs);
  const chalk = args.to === "text" ? await makeChalk(!args.output && resolveColor(args.color, io.env, io.stdoutIsTTY)) : null;
  // Wrapped to the terminal only when the report goes to it (not piped, not -o).
  const width = args.to === "text" && !args.output && io.stdoutIsTTY ? io.stdoutColumns : undefined;
  writeAnalysis(report, args.to, (t) => out.sink.write(t), chalk, { ...(width ? { width } : {}), csvRaw: args.csvRaw === true });
  out.close();
  if (report.diagnostics.some((d) => d.code === "E_INPUT")) return ExitCode.Usage;
  return report.inputs.some((i) => i.skipped > 0) ? ExitCode.Skipped : ExitCode.Ok;
}
