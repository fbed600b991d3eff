/**
 * The command line: yargs wiring only. `run` returns the exit code and never
 * touches `process`, so tests drive it with a fake Io.
 */
import yargs, { type Argv } from "yargs";
import { parseByteSize, type ReadLimits } from "./input/archive/limits.js";
import { ExitCode, type Io, UsageError } from "./io.js";
import { ANALYZE_FORMATS, OUTPUT_FORMATS, TRACE_FORMATS, type AnalyzeFormat, type OutputFormat } from "./output/formats.js";
import { FORMATS } from "./registry.js";
import { KIND_PLURALS } from "./types.js";
import type { ColorChoice } from "./_color.js";
import { visible } from "./safe-text.js";

export const VERSION = "0.1.0";

const EPILOGUE = `Exit status: 0 all input parsed; 1 some lines or files skipped (see diagnostics); 2 usage error, unreadable input, output not written, or --strict stop.
Environment: NO_COLOR (non-empty: no colour), TERM=dumb (no colour).
Docs: README.md, docs/schema.md.`;

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

export async function run(rawArgv: string[], io: Io): Promise<ExitCode> {
  let code: ExitCode = ExitCode.Ok;
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
          .option("to", { describe: "output format", choices: OUTPUT_FORMATS, default: "text" as OutputFormat })
          .option("type", { alias: "t", describe: "force an input format instead of detecting it", choices: FORMATS.map((f) => f.id), type: "string" })
          .option("kind", { alias: "k", describe: "record kind to write", choices: Object.values(KIND_PLURALS), type: "string" })
          .option("output", { alias: "o", describe: "write to FILE instead of stdout", type: "string" })
          .option("byte-order", { describe: "byte order of the host that wrote /proc/net files", choices: ["little", "big"] as const, default: "little" as const })
          .option("strict", { describe: "stop with exit 2 at the first error, writing nothing", type: "boolean", default: false })
          .option("csv-raw", { describe: "CSV for pandas/DuckDB: no formula neutralisation, control characters kept as they are (unsafe to open in a spreadsheet or print to a terminal)", type: "boolean", default: false })
          .example("natlens convert samples/lab-proxy/proc/net/tcp", "decode a kernel socket table")
          .example("natlens convert --to csv --kind sockets -o sockets.csv samples/lab-proxy/", "every socket of a bundle as CSV")
          .example("natlens convert --to json ss.txt ps.txt", "sockets and processes as one JSON document")
          .example("cat tcp6 | natlens convert - --to ndjson", "read stdin, one JSON record per line")
          .epilogue(EPILOGUE),
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
          .example("natlens analyze samples/lab-proxy", "explain every flow of a captured host")
          .example("natlens analyze --what-if userland-proxy=false samples/lab-proxy", "can docker-proxy be turned off on this host?")
          .example("natlens analyze --to csv -o flows.csv samples/lab28-noproxy", "one row per flow")
          .example("natlens analyze --to html -o report.html samples/lab-proxy", "a page with a path diagram per container")
          .example("natlens analyze sosreport-web01-2026-11-27-abcdefg.tar.xz", "a sosreport (or a collect.sh --tar bundle) read in place")
          .epilogue(EPILOGUE),
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
          .option("to", { choices: TRACE_FORMATS, default: "text" as const, describe: "output format" })
          .option("output", { alias: "o", describe: "write to FILE instead of stdout", type: "string" })
          .example("natlens trace samples/lab-proxy/commands/iptables-save_-c --addrs samples/lab-proxy/commands/ip_-o_addr --src 172.17.0.4 --dst 198.51.100.1:5000 --in docker0", "why a container's connection to a published port is not DNATed")
          .example("natlens trace samples/lab28-noproxy/commands/nft_list_ruleset --src 127.0.0.1 --dst 127.0.0.1:8080 --local", "host to loopback with userland-proxy off")
          .epilogue(EPILOGUE),
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
          .positional("inputs", { describe: "host bundles (directories or archives), directories or globs holding many", type: "string", array: true, demandOption: true })
          .option("out", { describe: "output directory (created; per-host reports in DIR/hosts/<host-id>/)", type: "string", demandOption: true })
          .option("jobs", { alias: "j", describe: "worker threads (default: the CPU count)", type: "number" })
          // Not an array option: it would swallow the inputs that follow. Repeat it or give a comma list.
          .option("format-per-host", { describe: "per-host reports besides analysis.json and report.html: text,csv", type: "string" })
          .option("resume", { describe: "keep hosts whose outputs are complete and whose input is unchanged; redo the rest", type: "boolean", default: false })
          .option("shard", { describe: "I/N: analyse only share I of N (by a hash of the host id); combine shards with `natlens merge`", type: "string" })
          .option("fail-fast", { describe: "stop at the first failed host", type: "boolean", default: false })
          .option("what-if", { describe: "userland-proxy=false|true: each host's verdict (which hosts can drop docker-proxy) in hosts.csv, the summary and index.html", type: "string" })
          .example("natlens batch fleet/ --out out", "every host bundle below fleet/")
          .example("parallel natlens batch fleet/ --shard {}/8 --out out/{} ::: $(seq 1 8) && natlens merge out/* --out fleet-out", "eight shards with GNU parallel, then one set of tables")
          .epilogue(
            `Outputs (docs/fleet.md, docs/schema.md): DIR/hosts/<host-id>/analysis.json (what analyze --format json gives) and report.html (analyze --to html), DIR/index.html (the fleet page: one row per host, linking to each report.html), DIR/flows.csv and flows.ndjson (every flow, host_id and hostname first, then the analyze CSV columns), DIR/hosts.csv and hosts.ndjson (one row per host: host_id, input, hostname, status, error, userland_proxy, firewall_backend, docker_version, containers, published_ports, flows, flows per path, flows_sees_gateway, warnings, errors, findings, seconds), DIR/summary.txt (also printed).
Progress: a live line on stderr when it is a TTY (not with -q); a one-line result at the end either way.
Exit status: 0 every host ok; 1 some hosts partial or failed (or --fail-fast stopped); 2 usage error.
Docs: README.md "Many hosts", docs/fleet.md.`,
          ),
      async (a) => {
        const { batch } = await import("./commands/batch.js");
        code = await batch(
          {
            inputs: a.inputs as string[],
            out: a.out,
            jobs: a.jobs,
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
Exit status: 0 every host ok; 1 some hosts partial or failed, or a shard of the split not given; 2 usage error (a shard not finished, shards of different splits, a host in two shards).`,
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
          .option("to", { choices: TRACE_FORMATS, default: "text" as const, describe: "output format" })
          .option("json", { type: "boolean", default: false, describe: "as JSON (the same as --to json)" })
          .option("output", { alias: "o", describe: "write to FILE instead of stdout", type: "string" }),
      async (a) => {
        const { formats } = await import("./commands/formats.js");
        formats(io, a.json || a.to === "json", a.output);
      },
    )
    .option("color", { describe: "colour output", choices: ["auto", "always", "never"] as const, default: "auto" as const, global: true })
    .option("verbose", { alias: "v", describe: "print every diagnostic and a per-input summary", type: "boolean", default: false, global: true })
    .option("quiet", { alias: "q", describe: "print errors only", type: "boolean", default: false, global: true })
    .option("debug", { describe: "show stack traces of internal errors", type: "boolean", default: false, global: true, hidden: true })
    .demandCommand(1, "name a command: analyze, convert, trace, batch, merge, formats")
    .strict()
    .recommendCommands()
    .epilogue(EPILOGUE)
    .version(VERSION)
    .help()
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
    io.stderr.write(`natlens: error: ${visible(err.message)}\n${err.hint ? `    hint: ${visible(err.hint)}\n` : ""}try 'natlens --help'\n`);
    return ExitCode.Usage;
  }
  if (helpText) io.stdout.write(helpText + "\n");
  return code;
}
