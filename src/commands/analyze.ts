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
import { makeChalk, resolveColor, type ColorChoice } from "../_color.js";
import { DiagnosticPrinter } from "../diagnostics.js";
import type { Diagnostic } from "../types.js";
import { nothingRead } from "./nothing-read.js";

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
 * Found by batch's own discovery (src/batch/discover.ts).
 */
async function refuseSeveralHosts(inputs: readonly string[]): Promise<void> {
  const dirs = inputs.filter((i) => i !== "-" && statSync(i, { throwIfNoEntry: false })?.isDirectory());
  if (dirs.length === 0) return;
  const { discoverHosts, isHostDirectory } = await import("../batch/discover.js");
  // archives count as one host each here (not listed: they are read next, and refuseFleetArchives looks at what they hold)
  const found = (await discoverHosts(dirs, undefined, { listArchives: false })).hosts.filter((h) => h.kind === "archive" || isHostDirectory(h.input));
  if (found.length < 2) return;
  const shown = found.slice(0, 3).map((h) => h.input).join(", ") + (found.length > 3 ? ", ..." : "");
  throw new UsageError(
    `${found.length} host bundles found (${shown}): use \`natlens batch\``,
    `natlens batch ${dirs.join(" ")} --out DIR analyses each host on its own; --merge-hosts analyses them as one host`,
  );
}

/**
 * An archive holding several host bundles (a fleet archive: host archives,
 * or folders holding a layout, as `batch` finds them) is refused like a
 * directory holding several, after it was read (its listing comes with it).
 */
async function fleetArchiveRefusal(listings: ExpandResult["listings"]): Promise<UsageError | null> {
  if (listings.length === 0) return null;
  const { hostsInListing } = await import("../input/archive/listing.js");
  for (const { archive, listing } of listings) {
    const { hosts } = hostsInListing(listing);
    if (hosts.length < 2) continue;
    const shown = hosts.slice(0, 3).map((h) => `${archive}!/${h.path}`).join(", ") + (hosts.length > 3 ? ", ..." : "");
    return new UsageError(
      `${archive}: ${hosts.length} host bundles found in the archive (${shown}): use \`natlens batch\``,
      `natlens batch ${archive} --out DIR analyses each host on its own; name one host as ${archive}!/PATH, or --merge-hosts analyses them as one host`,
    );
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
  if (!args.mergeHosts) await refuseSeveralHosts(args.inputs);
  // opened first: an -o path that cannot be written is a usage error before the analysis
  const out = openOutput(io, args.output, false);
  const { sources, problems, listings } = await expandInputs(args.inputs, io.stdin, { ...(args.limits ? { limits: args.limits } : {}) });
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
  if (report.inputs.length === 0 || report.inputs.every((i) => i.format === null)) out.discard();
  if (report.inputs.length === 0) return ExitCode.Usage;
  if (report.inputs.every((i) => i.format === null)) return nothingRead(io);
  const chalk = args.to === "text" ? await makeChalk(!args.output && resolveColor(args.color, io.env, io.stdoutIsTTY)) : null;
  // Wrapped to the terminal only when the report goes to it (not piped, not -o).
  const width = args.to === "text" && !args.output && io.stdoutIsTTY ? io.stdoutColumns : undefined;
  writeAnalysis(report, args.to, (t) => out.sink.write(t), chalk, { ...(width ? { width } : {}), csvRaw: args.csvRaw === true });
  out.close();
  if (report.diagnostics.some((d) => d.code === "E_INPUT")) return ExitCode.Usage;
  return report.inputs.some((i) => i.skipped > 0) ? ExitCode.Skipped : ExitCode.Ok;
}
