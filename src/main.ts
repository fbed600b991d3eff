/**
 * The command line: yargs wiring only. `run` returns the exit code and never
 * touches `process`, so tests drive it with a fake Io.
 */
import yargs, { type Argv } from "yargs";
import { parseByteSize, type ReadLimits } from "./input/archive/limits.js";
import { ExitCode, type Io, UsageError } from "./io.js";
import { ANALYZE_FORMATS, OUTPUT_FORMATS, TRACE_FORMATS, type AnalyzeFormat, type OutputFormat } from "./output/formats.js";
// The formats' ids, not the parsers: start-up loads no parser (src/formats-list.ts is generated from src/registry.ts).
import { FORMAT_LIST } from "./formats-list.js";
import { KIND_PLURALS } from "./types.js";
import type { ColorChoice } from "./_color.js";
import { visible } from "./safe-text.js";
import { VERSION } from "./version.js";

export { VERSION };

/** The subcommands, for "unknown command" and the per-command hints. */
export const COMMANDS = ["convert", "analyze", "trace", "batch", "merge", "formats", "completion"] as const;

const ENVIRONMENT = `Environment: NO_COLOR (non-empty: no colour), FORCE_COLOR (1, 2, 3 or empty: colour even when not a terminal; 0: none), TERM=dumb (no colour); --color always|never overrides them.`;
const DOCS = "Docs: README.md, docs/schema.md, man natlens.";

/** Exit status per command: the same table as README.md "Diagnostics and exit status". */
export const EXIT_STATUS: Record<string, string> = {
  convert: "Exit status: 0 every input parsed, output written; 1 output written, but some lines or inputs were skipped (see diagnostics); 2 usage error, unreadable input, output not written, no input is a capture natlens reads (binary, unrecognised), or --strict stopped at the first error.",
  analyze: "Exit status: 0 every input parsed, report written; 1 report written, but some lines or inputs were skipped (see diagnostics); 2 usage error, unreadable input, output not written, no input is a capture natlens reads (binary, unrecognised), or several host bundles without --merge-hosts.",
  trace: "Exit status: 0 traced, every input parsed; 1 traced, but some inputs or lines had errors (see diagnostics); 2 usage error, output not written, or no rules in the inputs.",
  formats: "Exit status: 0 listed; 2 usage error.",
  batch: "Exit status: 0 every host ok; 1 some hosts partial or failed (or --fail-fast stopped); 2 usage error.",
  merge: "Exit status: 0 every host ok; 1 some hosts partial or failed, or a shard of the split not given; 2 usage error (a shard not finished, shards of different splits, a host in two shards).",
};

const epilogue = (cmd: string) => `${EXIT_STATUS[cmd]} An internal error (a bug: please report it) also exits 2; --debug prints its stack.\n${ENVIRONMENT}\n${DOCS}`;

const TOP_EPILOGUE = `Exit status: 0 success; 1 output written, but some lines, inputs or hosts were skipped or failed (see diagnostics); 2 usage error, unreadable input, output not written, no input natlens reads, or an internal error. Each command's --help gives its own.
${ENVIRONMENT}
Shell completion: natlens completion >> ~/.bashrc (zsh when $SHELL is zsh: natlens completion >> ~/.zshrc).
${DOCS}`;

const COMPLETION_HELP = `natlens completion

Print a shell completion script for bash or zsh (zsh when $SHELL is zsh). It takes no arguments.

Examples:
  natlens completion >> ~/.bashrc
  SHELL=/usr/bin/zsh natlens completion >> ~/.zshrc
`;

/** yargs drops a lone `-` positional (and reads `-!/member` as flags), so they travel under this name. */
const STDIN_TOKEN = "\u0000stdin";
const toToken = (a: string) => (a === "-" || a.startsWith("-!/") ? STDIN_TOKEN + a.slice(1) : a);
const fromToken = (i: string) => (i.startsWith(STDIN_TOKEN) ? "-" + i.slice(STDIN_TOKEN.length) : i);

function byteSize(flag: string, v: unknown): number | undefined {
  if (v === undefined) return undefined;
  const n = parseByteSize(String(v));
  if (n === null) throw new UsageError(`--${flag} ${JSON.stringify(v)} is not a size`, "write bytes or a size such as 64k, 512M, 2G (powers of 1024)");
  return n;
}

/** Archive limits, for every command that reads inputs. */
function withLimits<T>(y: Argv<T>) {
  return y
    .option("max-bytes", { type: "string", describe: "stop reading an archive after this much uncompressed data (default 2G): a guard against decompression bombs" })
    .option("max-member-bytes", { type: "string", describe: "skip archive members bigger than this (default 512M)" })
    .option("max-line-bytes", { type: "string", describe: "skip (unread, with an error) input lines longer than this (default 1M)" });
}

/** The limits given on the command line (a UsageError for a size that is not one). */
function limitsOf(a: { "max-bytes"?: unknown; "max-member-bytes"?: unknown; "max-line-bytes"?: unknown }): Partial<ReadLimits> {
  const maxBytes = byteSize("max-bytes", a["max-bytes"]);
  const maxMemberBytes = byteSize("max-member-bytes", a["max-member-bytes"]);
  const maxLineBytes = byteSize("max-line-bytes", a["max-line-bytes"]);
  return { ...(maxBytes ? { maxBytes } : {}), ...(maxMemberBytes ? { maxMemberBytes } : {}), ...(maxLineBytes ? { maxLineBytes } : {}) };
}

/** Edit distance, for "did you mean". */
function distance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) cur[j] = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    prev = cur;
  }
  return prev[b.length]!;
}

/** The command a mistyped name most likely meant (a prefix, or at most a third of its letters off), or null. */
export function didYouMean(word: string, commands: readonly string[] = COMMANDS): string | null {
  const w = word.toLowerCase();
  const prefixed = commands.filter((c) => w.length >= 2 && c.startsWith(w));
  if (prefixed.length === 1) return prefixed[0]!;
  let best: string | null = null;
  let bestD = Infinity;
  for (const c of commands) {
    const d = distance(w, c);
    if (d < bestD) (best = c), (bestD = d);
  }
  return bestD <= Math.max(1, Math.ceil(w.length / 3)) ? best : null;
}

/**
 * The words an option took as its value (`--strict FILE`, `-o FILE`): yargs
 * gives an option it does not know the next word, so `analyze --strict FILE`
 * has no input left, and says so before it says the option is unknown.
 */
function takenAsValues(rawArgv: readonly string[]): string[] {
  const taken: string[] = [];
  for (let i = 1; i + 1 < rawArgv.length; i++) {
    const opt = rawArgv[i]!;
    const next = rawArgv[i + 1]!;
    if (opt === "--") break;
    if (opt.length > 1 && opt.startsWith("-") && !opt.startsWith("-!/") && !opt.includes("=") && !next.startsWith("-")) {
      taken.push(`${opt} took ${JSON.stringify(next)} as its value`);
      i++;
    }
  }
  return taken;
}

/** `Argument: to, Given: "xml", Choices: "text", "json"`: one line of yargs' "Invalid values" message. */
const INVALID_VALUE = /^\s*Argument: ([^,]+), Given: (.*), Choices: (.*)$/;

/** yargs' messages for a positional left out or a value not among the choices, said the natlens way. */
function friendly(msg: string, command: string | null, rawArgv: readonly string[]): { message: string; hint?: string } {
  if (/^Not enough non-option arguments/.test(msg) && command) {
    const taken = takenAsValues(rawArgv);
    if (command === "merge") return { message: "merge: no shard directory given", hint: "name the output directories of finished batch --shard runs, e.g. natlens merge out/* --out fleet" };
    if (taken.length) return { message: `${command}: no input given: ${taken.join(", ")}`, hint: `put the inputs first, or check the option's name and whether it takes a value: natlens ${command} --help lists them` };
    return { message: `${command}: no input given`, hint: "name files, directories, archives (ARCHIVE!/member), globs, or - for standard input" };
  }
  if (msg.startsWith("Invalid values:")) {
    const bad = msg.split("\n").map((l) => INVALID_VALUE.exec(l)).filter((m) => m !== null);
    if (bad.length) {
      const flag = (name: string) => (name.length === 1 ? `-${name}` : `--${name}`);
      return {
        message: bad.map((m) => `${flag(m[1]!)} ${m[2]} is not one of its choices`).join("; "),
        hint: bad.map((m) => `${bad.length > 1 ? `${flag(m[1]!)}: ` : ""}choose one of ${m[3]!.replace(/"/g, "")}`).join("; "),
      };
    }
  }
  return { message: msg };
}

export async function run(rawArgv: string[], io: Io): Promise<ExitCode> {
  let code: ExitCode = ExitCode.Ok;
  const first = rawArgv[0];
  // The command named on the line: the per-command hint of a usage error points at its --help.
  const command = first !== undefined && (COMMANDS as readonly string[]).includes(first) ? first : null;
  const usage = (message: string, hint?: string) => {
    io.stderr.write(`natlens: error: ${visible(message)}\n${hint ? `    hint: ${visible(hint)}\n` : ""}try 'natlens ${command ? `${command} ` : ""}--help'\n`);
    return ExitCode.Usage;
  };
  if (first !== undefined && !first.startsWith("-") && command === null) {
    const near = didYouMean(first);
    return usage(`unknown command ${JSON.stringify(first)}${near ? ` (did you mean ${near}?)` : ""}`, `the commands are ${COMMANDS.join(", ")}`);
  }
  if (command === "completion") {
    // yargs' completion command prints its script whatever follows: --help and stray words are answered here
    const rest = rawArgv.slice(1);
    if (rest.includes("--help") || rest.includes("-h")) {
      io.stdout.write(COMPLETION_HELP);
      return ExitCode.Ok;
    }
    const word = rest.find((a) => !a.startsWith("-"));
    if (word !== undefined) return usage(`completion takes no arguments (got ${JSON.stringify(word)})`, "it prints the script for $SHELL: bash, or zsh when $SHELL is zsh; SHELL=/usr/bin/zsh natlens completion prints zsh's");
  }
  const argv = rawArgv.map(toToken);
  const parser = yargs(argv)
    .scriptName("natlens")
    .usage("natlens <command> [options]\n\nExplain Docker port-publishing paths from saved socket, process, firewall and conntrack dumps.")
    .command(
      "convert <inputs..>",
      "Parse dumps into normalised records (CSV, JSON, NDJSON or a text table)",
      (y) =>
        withLimits(y)
          .positional("inputs", { describe: "files, directories, archives, ARCHIVE!/member, globs, or - for stdin", type: "string", array: true, demandOption: true })
          .option("to", { alias: ["format", "f"], describe: "output format", choices: OUTPUT_FORMATS, default: "text" as OutputFormat })
          .option("type", { alias: "t", describe: "force an input format instead of detecting it", choices: FORMAT_LIST.map((f) => f.id), type: "string" })
          .option("kind", { alias: "k", describe: "record kind to write", choices: Object.values(KIND_PLURALS), type: "string" })
          .option("output", { alias: "o", describe: "write to FILE instead of stdout", type: "string" })
          .option("byte-order", { describe: "byte order of the host that wrote /proc/net files", choices: ["little", "big"] as const, default: "little" as const })
          .option("strict", { describe: "stop with exit 2 at the first error, writing nothing", type: "boolean", default: false })
          .option("csv-raw", { describe: "CSV for pandas/DuckDB: no formula neutralisation, control characters kept as they are (unsafe to open in a spreadsheet or print to a terminal)", type: "boolean", default: false })
          .example("natlens convert samples/lab-proxy/proc/net/tcp", "decode a kernel socket table")
          .example("natlens convert --to csv --kind sockets -o sockets.csv samples/lab-proxy/", "every socket of a bundle as CSV")
          .example("natlens convert --to json ss.txt ps.txt", "sockets and processes as one JSON document")
          .example("cat tcp6 | natlens convert - --to ndjson", "read stdin, one JSON record per line")
          .epilogue(epilogue("convert")),
      async (a) => {
        // Each command loads its own modules: a big conversion should not pay for the analyzer.
        const { convert } = await import("./commands/convert.js");
        code = await convert(
          {
            inputs: (a.inputs as string[]).map(fromToken),
            to: a.to as OutputFormat,
            type: a.type,
            kind: a.kind,
            output: a.output,
            color: a.color as ColorChoice,
            strict: a.strict,
            byteOrder: a["byte-order"],
            limits: limitsOf(a),
            csvRaw: a["csv-raw"],
            verbose: a.verbose as boolean,
            quiet: a.quiet as boolean,
          },
          io,
        );
      },
    )
    .command(
      "analyze <inputs..>",
      "Explain every connection to a container: DNAT, docker-proxy, hairpin or direct, with evidence",
      (y) =>
        withLimits(y)
          .positional("inputs", { describe: "a bundle directory or archive (natlens collect.sh or sosreport), files, globs, ARCHIVE!/member", type: "string", array: true, demandOption: true })
          // --format and -f: the spelling before every command took --to; kept so existing scripts work
          .option("to", { alias: ["format", "f"], describe: "output format (html: one self-contained page with a path diagram per container, docs/html.md)", choices: ANALYZE_FORMATS, default: "text" as AnalyzeFormat })
          .option("output", { alias: "o", describe: "write to FILE instead of stdout", type: "string" })
          // Not an array option: yargs would let it swallow the inputs that follow. Repeating it gives an array.
          .option("netns", { describe: "NAME=FILE: the sockets in FILE belong to network namespace (or container) NAME; repeatable", type: "string" })
          .option("merge-hosts", { describe: "analyse several host bundles found under the inputs as one host (refused otherwise: use natlens batch)", type: "boolean", default: false })
          .option("what-if", { describe: "userland-proxy=false|true: predict per flow what would work or break with dockerd changed so, and a host verdict", type: "string" })
          .option("csv-raw", { describe: "with --to csv, for pandas/DuckDB: no formula neutralisation, control characters kept as they are (unsafe to open in a spreadsheet or print to a terminal)", type: "boolean", default: false })
          .example("natlens analyze samples/lab-proxy", "explain every flow of a captured host")
          .example("natlens analyze --what-if userland-proxy=false samples/lab-proxy", "can docker-proxy be turned off on this host?")
          .example("natlens analyze --to csv -o flows.csv samples/lab28-noproxy", "one row per flow")
          .example("natlens analyze --to html -o report.html samples/lab-proxy", "a page with a path diagram per container")
          .example("natlens analyze sosreport-web01-2026-11-27-abcdefg.tar.xz", "a sosreport (or a collect.sh --tar bundle) read in place")
          .epilogue(epilogue("analyze")),
      async (a) => {
        const { analyze } = await import("./commands/analyze.js");
        code = await analyze(
          {
            inputs: (a.inputs as string[]).map(fromToken),
            to: a.to as AnalyzeFormat,
            output: a.output,
            netns: a.netns === undefined ? [] : ([] as string[]).concat(a.netns),
            mergeHosts: a["merge-hosts"],
            whatIf: a.whatIf as string | undefined,
            limits: limitsOf(a),
            csvRaw: a["csv-raw"],
            color: a.color as ColorChoice,
            verbose: a.verbose as boolean,
            quiet: a.quiet as boolean,
          },
          io,
        );
      },
    )
    .command(
      "trace <inputs..>",
      "Follow one hypothetical packet through the saved firewall rules (iptables-save, -S, -L listings, nft)",
      (y) =>
        withLimits(y)
          .positional("inputs", { describe: "rule dumps, plus optional ip addr / docker network inspect / ip route files", type: "string", array: true, demandOption: true })
          .option("src", { type: "string", demandOption: true, describe: "source of the packet: IP or IP:PORT ([v6]:PORT)" })
          .option("dst", { type: "string", demandOption: true, describe: "destination the client dialled: IP:PORT ([v6]:PORT)" })
          .option("proto", { type: "string", default: "tcp", describe: "tcp, udp, sctp, icmp, ..." })
          .option("in", { type: "string", describe: "interface the packet arrives on (eth0, docker0, br-...)" })
          .option("local", { type: "boolean", describe: "the host itself sends the packet (nat OUTPUT path)" })
          .option("addrs", { type: "string", describe: "ip -o addr / ip addr / ip -br addr capture: the host's LOCAL addresses" })
          .option("to", { alias: ["format", "f"], choices: TRACE_FORMATS, default: "text" as const, describe: "output format" })
          .option("output", { alias: "o", describe: "write to FILE instead of stdout", type: "string" })
          .example("natlens trace samples/lab-proxy/commands/iptables-save_-c --addrs samples/lab-proxy/commands/ip_-o_addr --src 172.17.0.4 --dst 198.51.100.1:5000 --in docker0", "why a container's connection to a published port is not DNATed")
          .example("natlens trace samples/lab28-noproxy/commands/nft_list_ruleset --src 127.0.0.1 --dst 127.0.0.1:8080 --local", "host to loopback with userland-proxy off")
          .epilogue(epilogue("trace")),
      async (a) => {
        const { trace } = await import("./commands/trace.js");
        code = await trace(
          {
            inputs: (a.inputs as string[]).map(fromToken),
            src: a.src,
            dst: a.dst,
            proto: a.proto,
            in: a.in,
            local: a.local,
            addrs: a.addrs,
            to: a.to,
            output: a.output,
            color: a.color as ColorChoice,
            limits: limitsOf(a),
          },
          io,
        );
      },
    )
    .command(
      "batch <inputs..>",
      "Analyse a fleet of host bundles in one run: per-host reports, fleet tables (flows, hosts) and a summary",
      (y) =>
        y
          .positional("inputs", { describe: "host bundles (directories or archives), directories, fleet archives or globs holding many", type: "string", array: true, demandOption: true })
          .option("out", { describe: "output directory (created; per-host reports in DIR/hosts/<host-id>/)", type: "string", demandOption: true })
          // no type: batch checks it, and `type: "number"` would make `--jobs abc` NaN, losing what was written
          .option("jobs", { alias: "j", describe: "worker threads (default: the CPU count)" })
          // Not an array option: it would swallow the inputs that follow. Repeat it or give a comma list.
          .option("format-per-host", { describe: "per-host reports besides analysis.json and report.html: text,csv", type: "string" })
          .option("resume", { describe: "keep hosts whose outputs are complete and whose input is unchanged; redo the rest", type: "boolean", default: false })
          .option("shard", { describe: "I/N: analyse only share I of N (by a hash of the host id); combine shards with `natlens merge`", type: "string" })
          .option("fail-fast", { describe: "stop at the first failed host", type: "boolean", default: false })
          .option("what-if", { describe: "userland-proxy=false|true: each host's verdict (which hosts can drop docker-proxy) in hosts.csv, the summary and index.html", type: "string" })
          .example("natlens batch fleet/ --out out", "every host bundle below fleet/")
          .example("natlens batch fleet.tar --out out", "every host bundle in a fleet archive (host archives or folders in it)")
          .example("parallel natlens batch fleet/ --shard {}/8 --out out/{} ::: $(seq 1 8) && natlens merge out/* --out fleet-out", "eight shards with GNU parallel, then one set of tables")
          .epilogue(
            `Outputs (docs/fleet.md, docs/schema.md): DIR/hosts/<host-id>/analysis.json (what analyze --format json gives) and report.html (analyze --to html), DIR/index.html (the fleet page: one row per host, linking to each report.html), DIR/flows.csv and flows.ndjson (every flow, host_id and hostname first, then the analyze CSV columns), DIR/hosts.csv and hosts.ndjson (one row per host: host_id, input, hostname, status, error, userland_proxy, firewall_backend, docker_version, containers, published_ports, flows, flows per path, flows_sees_gateway, warnings, errors, findings, seconds), DIR/summary.txt (also printed on stdout, unless -q).
Progress: a live line on stderr when it is a TTY (not with -q); a one-line result at the end either way.
${EXIT_STATUS["batch"]}
Docs: README.md "Many hosts", docs/fleet.md, man natlens.`,
          ),
      async (a) => {
        const { batch } = await import("./commands/batch.js");
        code = await batch(
          {
            inputs: a.inputs as string[],
            out: a.out,
            jobs: a.jobs as number | string | boolean | undefined,
            formatPerHost: a["format-per-host"] === undefined ? [] : ([] as string[]).concat(a["format-per-host"]),
            resume: a.resume,
            shard: a.shard,
            failFast: a["fail-fast"],
            quiet: a.quiet as boolean,
            whatIf: a["what-if"] as string | undefined,
          },
          io,
        );
      },
    )
    .command(
      "merge <shards..>",
      "Combine the output directories of `batch --shard I/N` runs into the fleet tables of one run",
      (y) =>
        y
          .positional("shards", { describe: "output directories of finished batch --shard runs", type: "string", array: true, demandOption: true })
          .option("out", { describe: "output directory for the merged tables (per-host directories are linked into DIR/hosts/)", type: "string", demandOption: true })
          .example("natlens merge out/1 out/2 out/3 --out fleet", "the tables and summary an unsharded run writes")
          .epilogue(
            `The merged tables are sorted by host_id, like every batch run's, so they equal an unsharded run's byte for byte apart from the seconds column (docs/fleet.md).
${EXIT_STATUS["merge"]}`,
          ),
      async (a) => {
        const { merge } = await import("./commands/merge.js");
        code = await merge({ shards: a.shards as string[], out: a.out, quiet: a.quiet as boolean }, io);
      },
    )
    .command(
      "formats",
      "List the input formats natlens reads and the commands that produce them",
      (y) =>
        y
          .option("to", { alias: ["format", "f"], choices: TRACE_FORMATS, default: "text" as const, describe: "output format" })
          .option("json", { type: "boolean", default: false, describe: "as JSON (the same as --to json)" })
          .option("output", { alias: "o", describe: "write to FILE instead of stdout", type: "string" })
          .epilogue(epilogue("formats")),
      async (a) => {
        const { formats } = await import("./commands/formats.js");
        await formats(io, a.json || a.to === "json", a.output);
      },
    )
    // yargs' own: `natlens completion` prints a bash script (zsh when $SHELL is zsh) that asks `natlens --get-yargs-completions`.
    .completion("completion", "Print a shell completion script for bash or zsh (zsh when $SHELL is zsh): natlens completion >> ~/.bashrc")
    .option("color", { describe: "colour output", choices: ["auto", "always", "never"] as const, default: "auto" as const, global: true })
    .option("verbose", { alias: "v", describe: "print every diagnostic and a per-input summary", type: "boolean", default: false, global: true })
    .option("quiet", { alias: "q", describe: "print errors only", type: "boolean", default: false, global: true })
    .option("debug", { describe: "on an internal error (a bug), print its stack trace instead of the one-line report", type: "boolean", default: false, global: true })
    .demandCommand(1, "name a command: analyze, convert, trace, batch, merge, formats, completion")
    .strict()
    .epilogue(TOP_EPILOGUE)
    .version(VERSION)
    .alias("V", "version")
    .help()
    .alias("h", "help")
    .wrap(null)
    .exitProcess(false)
    .fail((msg, err) => {
      // yargs calls this for its own validation errors (msg) and for errors thrown by handlers (err).
      throw err ?? new UsageError(msg);
    });

  let helpText = "";
  try {
    await parser.parseAsync(argv, {}, (_err, _args, output) => {
      if (output) helpText = output;
    });
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    const f = err.hint ? { message: err.message, hint: err.hint } : friendly(err.message, command, rawArgv);
    return usage(f.message, f.hint);
  }
  if (helpText) io.stdout.write(helpText + "\n");
  return code;
}
