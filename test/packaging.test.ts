/**
 * The npm package: `npm pack` of the sources alone (no dist/, as on a fresh
 * clone, dependencies installed with `npm ci --offline`) builds through `prepack`, and the tarball installs globally from the
 * npm cache alone (`--offline`, under a temporary --prefix) into working
 * `natlens` and `natlens-collect` commands, a man page and shell completion.
 * Also: the man page is what scripts/man.ts makes from --help, the collector's
 * --help, and the README's `collect.sh --tar` example.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync, type SpawnSyncOptions } from "node:child_process";
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { manPage } from "../scripts/man.js";
import { runCli } from "./_io.js";

const VERSION = (JSON.parse(readFileSync("package.json", "utf8")) as { version: string }).version;

/** npm as `npm test` runs it (npm_execpath), else the one on PATH; null when there is none. */
function npmCommand(): string[] | null {
  const cli = process.env["npm_execpath"];
  if (cli && existsSync(cli) && /npm-cli\.js$/.test(cli)) return [process.execPath, cli];
  return spawnSync("npm", ["--version"], { encoding: "utf8" }).status === 0 ? ["npm"] : null;
}

function sh(cmd: string[], opts: SpawnSyncOptions = {}) {
  const r = spawnSync(cmd[0]!, cmd.slice(1), { encoding: "utf8", maxBuffer: 64 << 20, ...opts });
  return { code: r.status, stdout: String(r.stdout), stderr: String(r.stderr) };
}

const npm = npmCommand();

test("npm pack on a fresh clone builds dist/ (prepack), and the tarball installs offline with -g --prefix into working commands, man page and completion", { skip: npm ? false : "npm is not installed here" }, () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), "natlens-pack-"));
  try {
    // The sources a clone has (no dist/), with the dependencies `npm ci` installed.
    const src = path.join(dir, "clone");
    for (const f of ["package.json", "package-lock.json", "tsconfig.json", "README.md", "LICENSE", "src", "scripts", "docs", "man"]) cpSync(f, path.join(src, f), { recursive: true });
    // the build compiles test/*.ts too (scripts import test helpers); fixtures and goldens are not needed for it
    cpSync("test", path.join(src, "test"), { recursive: true, filter: (p) => p === "test" || (path.dirname(p) === "test" && p.endsWith(".ts")) });
    const env = { ...process.env, npm_config_audit: "false", npm_config_fund: "false", npm_config_update_notifier: "false" };
    // Installed as on a fresh clone (`npm ci`, from the cache): a worktree's own node_modules may predate the lockfile's bundle marks.
    const ci = sh([...npm!, "ci", "--offline", "--ignore-scripts"], { cwd: src, env });
    assert.equal(ci.code, 0, `npm ci --offline: ${ci.stderr}`);
    const pack = sh([...npm!, "pack", "--json", "--pack-destination", dir], { cwd: src, env });
    assert.equal(pack.code, 0, pack.stderr);
    const info = JSON.parse(pack.stdout.slice(pack.stdout.indexOf("["))) as { filename: string; files: { path: string }[] }[];
    const files = info[0]!.files.map((f) => f.path);
    // The runtime dependencies travel in the tarball (bundleDependencies): installing it needs no registry.
    for (const f of ["dist/src/cli.js", "dist/src/index.js", "dist/src/index.d.ts", "scripts/collect.sh", "docs/schema.md", "docs/html.md", "docs/fleet.md", "man/natlens.1", "LICENSE", "README.md", "package.json", "node_modules/yargs/package.json", "node_modules/chalk/package.json"]) {
      assert.ok(files.includes(f), `the package ships ${f}`);
    }
    assert.deepEqual(files.filter((f) => f.startsWith("dist/test/") || f.startsWith("test/") || f.startsWith("samples/") || /^node_modules\/(typescript|fast-check|puppeteer-core|@types)\//.test(f)), [], "no tests, samples or development dependencies in the package");

    const prefix = path.join(dir, "prefix");
    const install = sh([...npm!, "install", "--global", "--offline", "--prefix", prefix, path.join(dir, info[0]!.filename)], { env });
    assert.equal(install.code, 0, `npm i -g --offline: ${install.stderr}`);
    const bin = path.join(prefix, "bin");
    const natlens = (args: string[], extra: Record<string, string> = {}) => sh([path.join(bin, "natlens"), ...args], { env: { ...process.env, ...extra }, cwd: dir });

    assert.deepEqual([natlens(["--version"]).stdout, natlens(["analyze", "-V"]).stdout], [`${VERSION}\n`, `${VERSION}\n`]);
    const analyzed = natlens(["analyze", "--to", "json", path.resolve("samples/lab-proxy")]);
    assert.equal(analyzed.code, 0, analyzed.stderr);
    assert.equal((JSON.parse(analyzed.stdout) as { schema: string }).schema, "natlens/analysis@1.2");
    assert.match(natlens(["formats"]).stdout, /^proc-net-tcp\s+Kernel socket tables/);

    const collect = sh([path.join(bin, "natlens-collect"), "--help"]);
    assert.equal(collect.code, 0, collect.stderr);
    assert.match(collect.stdout, /^natlens collector: /);

    assert.ok(existsSync(path.join(prefix, "share/man/man1/natlens.1")), "man page linked into PREFIX/share/man/man1");
    const bash = natlens(["completion"], { SHELL: "/bin/bash" });
    assert.match(bash.stdout, /complete -o bashdefault -o default -F _natlens_yargs_completions natlens/);
    assert.match(natlens(["completion"], { SHELL: "/bin/zsh" }).stdout, /^#compdef natlens/);
    assert.ok(natlens(["--get-yargs-completions", "natlens", "tr"]).stdout.split("\n").includes("trace"));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("man/natlens.1 is what scripts/man.ts makes from the --help texts (npm run man rewrites it)", async () => {
  const want = await manPage();
  if (process.env["UPDATE_GOLDENS"] === "1") writeFileSync("man/natlens.1", want);
  assert.equal(readFileSync("man/natlens.1", "utf8"), want, "man/natlens.1 is stale: run npm run man (or UPDATE_GOLDENS=1 npm test) and review the diff");
  // every command and every option of every command's --help is in it
  const page = readFileSync("man/natlens.1", "utf8").replace(/\\-/g, "-");
  for (const cmd of ["convert", "analyze", "trace", "batch", "merge", "formats"]) {
    assert.match(page, new RegExp(`^\\.SH NATLENS ${cmd.toUpperCase()}\\b`, "m"));
    const help = (await runCli([cmd, "--help"])).stdout;
    for (const opt of help.match(/^\s+(?:-\w, )?--[\w-]+/gm) ?? []) assert.ok(page.includes(opt.trim()), `${cmd} ${opt.trim()}`);
  }
});

test("scripts/collect.sh --help prints its whole help on stdout and exits 0; a wrong argument gives the synopsis on stderr, exit 2", () => {
  const help = sh(["sh", "scripts/collect.sh", "--help"]);
  assert.equal(help.code, 0);
  assert.equal(help.stderr, "");
  assert.match(help.stdout, /^natlens collector: capture what natlens needs from a Linux Docker host\.\n/);
  assert.match(help.stdout, /-h, --help {2}print this help and exit\n/);
  assert.match(help.stdout, /describes\nthe collector run itself\.\n$/, "the help ends at the end of its last sentence");
  assert.equal(sh(["sh", "scripts/collect.sh", "-h"]).stdout, help.stdout);
  const bad = sh(["sh", "scripts/collect.sh", "--bogus"]);
  assert.equal(bad.code, 2);
  assert.equal(bad.stdout, "");
  assert.match(bad.stderr, /unknown argument: --bogus\n/);
  assert.match(bad.stderr, /--tar +also write DIR\/NAME\.tar\.gz/);
  assert.match(bad.stderr, /--xz +the same as --tar, but DIR\/NAME\.tar\.xz/);
});

test("collect.sh --xz writes NAME.tar.xz (as sosreport packs), which analyze reads as it reads the directory", async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), "natlens-collect-xz-"));
  try {
    const r = sh(["sh", "scripts/collect.sh", "-o", dir, "--xz", "-E", "false", "-t", "5", "-n", "natlens-test-xz"]);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(r.stdout.split("\n"), [path.join(dir, "natlens-test-xz.tar.xz"), path.join(dir, "natlens-test-xz"), ""]);
    // xz magic: FD 37 7A 58 5A 00; and no .part file left behind
    assert.deepEqual([...readFileSync(path.join(dir, "natlens-test-xz.tar.xz")).subarray(0, 6)], [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]);
    assert.deepEqual(readdirSync(dir).sort(), ["natlens-test-xz", "natlens-test-xz.tar.xz"]);
    const fromXz = await runCli(["analyze", "--to", "json", path.join(dir, "natlens-test-xz.tar.xz")]);
    const fromDir = await runCli(["analyze", "--to", "json", path.join(dir, "natlens-test-xz")]);
    assert.notEqual(fromDir.code, 2, fromDir.stderr);
    const hostOf = (s: string) => (JSON.parse(s) as { host: unknown }).host;
    assert.deepEqual(hostOf(fromXz.stdout), hostOf(fromDir.stdout));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("README's collect.sh --tar example: the archive's path is printed first, then the bundle's, and analyze reads both the same", async () => {
  const readme = readFileSync("README.md", "utf8");
  const example = /```sh\nsh scripts\/collect\.sh -o \/tmp --tar\n# prints (\S+), then the bundle directory (\S+)\nnatlens analyze \1 .*\nnatlens analyze \2 .*\n```/.exec(readme);
  assert.ok(example, "README.md shows collect.sh -o /tmp --tar and analyzes what it prints");
  const dir = mkdtempSync(path.join(os.tmpdir(), "natlens-collect-"));
  try {
    // On this machine, whatever it runs: no container engine (-E false), short time limits.
    const r = sh(["sh", "scripts/collect.sh", "-o", dir, "--tar", "-E", "false", "-t", "5", "-n", "natlens-test-bundle"]);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(r.stdout.split("\n"), [path.join(dir, "natlens-test-bundle.tar.gz"), path.join(dir, "natlens-test-bundle"), ""]);
    assert.ok(readdirSync(path.join(dir, "natlens-test-bundle")).includes("MANIFEST"));
    const [tar, bundle] = r.stdout.split("\n") as [string, string];
    const fromTar = await runCli(["analyze", "--to", "json", tar]);
    const fromDir = await runCli(["analyze", "--to", "json", bundle]);
    assert.notEqual(fromDir.code, 2, fromDir.stderr);
    const hostOf = (s: string) => (JSON.parse(s) as { host: unknown }).host;
    assert.deepEqual(hostOf(fromTar.stdout), hostOf(fromDir.stdout));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

const canEnterNetns = process.getuid?.() === 0 && ["unshare", "nsenter", "iptables"].every((t) => sh(["sh", "-c", `command -v ${t}`]).code === 0);

test("collect.sh --rootless-pid PID: the network namespace PID runs in goes to namespaces/rootless-netns/, which analyze keeps apart from the host's; no such process or one in the host's namespace is a usage error", { skip: canEnterNetns ? false : "needs root, unshare, nsenter and iptables" }, async () => {
  for (const [pid, why] of [["abc", /--rootless-pid needs a process id, not 'abc'/], ["4294967295", /--rootless-pid 4294967295: no such process/], [String(process.pid), /runs in this host's own network namespace/]] as const) {
    const r = sh(["sh", "scripts/collect.sh", "-o", os.tmpdir(), "-E", "false", "--rootless-pid", pid]);
    assert.equal(r.code, 2, pid);
    assert.match(r.stderr, why);
  }
  // a process in a namespace of its own (as rootlesskit's child, where rootless dockerd runs), with a DNAT rule of its own
  const holder = sh(["sh", "-c", "unshare -n sh -c 'ip link set lo up; exec sleep 60' >/dev/null 2>&1 & echo $!"]);
  const pid = holder.stdout.trim();
  const dir = mkdtempSync(path.join(os.tmpdir(), "natlens-collect-rootless-"));
  try {
    const own = sh(["readlink", "/proc/self/ns/net"]).stdout;
    for (let i = 0; i < 50 && sh(["readlink", `/proc/${pid}/ns/net`]).stdout === own; i++) sh(["sleep", "0.1"]);
    const rule = sh(["nsenter", "-t", pid, "-n", "iptables", "-t", "nat", "-A", "PREROUTING", "-p", "tcp", "--dport", "8080", "-j", "DNAT", "--to-destination", "10.0.2.100:80"]);
    assert.equal(rule.code, 0, rule.stderr);
    const r = sh(["sh", "scripts/collect.sh", "-o", dir, "-E", "false", "-t", "5", "-n", "b", "--rootless-pid", pid]);
    assert.equal(r.code, 0, r.stderr);
    const ns = path.join(dir, "b", "namespaces", "rootless-netns");
    const files = ["conntrack_-L_-o_extended", "ip6tables-save_-c", "ip_-o_addr", "ip_-o_link", "ip_route", "iptables-save_-c", "nft_list_ruleset", "ss_-tanpeiO", "ss_-uanpe"];
    assert.deepEqual(readdirSync(ns).sort(), files);
    const manifest = readFileSync(path.join(dir, "b", "MANIFEST"), "utf8");
    assert.match(manifest, new RegExp(`file: namespaces/rootless-netns/iptables-save_-c\ncommand: nsenter -t ${pid} -n iptables-save -c\nexit: 0\n`));
    assert.match(manifest, new RegExp(`rootless_netns: pid ${pid} \\(net:\\[\\d+\\]\\)\n`));
    assert.match(readFileSync(path.join(ns, "iptables-save_-c"), "utf8"), /-A PREROUTING -p tcp -m tcp --dport 8080 -j DNAT --to-destination 10\.0\.2\.100:80/);
    assert.equal(readFileSync(path.join(ns, "ip_-o_addr"), "utf8").split("\n").filter(Boolean).length, 2, "only lo's two addresses: the namespace's, not the host's");
    // analyze reads the namespace's rules, and they are not the host's: no port published by them,
    // which the same dump read as the host's gives
    type Analysis = { inputs: { file: string; format: string | null; records: number }[]; published: { hostPort: number | null; containerIp: string | null }[] };
    const a = JSON.parse((await runCli(["analyze", "--to", "json", path.join(dir, "b")])).stdout) as Analysis;
    assert.ok(a.inputs.some((i) => i.file.endsWith("namespaces/rootless-netns/iptables-save_-c") && i.format === "iptables-save" && i.records > 0));
    const ours = (x: Analysis) => x.published.filter((p) => p.hostPort === 8080 && p.containerIp === "10.0.2.100");
    assert.deepEqual(ours(a), []);
    cpSync(path.join(ns, "iptables-save_-c"), path.join(dir, "iptables-save_-c"));
    const asHost = JSON.parse((await runCli(["analyze", "--to", "json", path.join(dir, "iptables-save_-c")])).stdout) as Analysis;
    assert.equal(ours(asHost).length, 1);
  } finally {
    sh(["kill", pid]);
    rmSync(dir, { recursive: true, force: true });
  }
});
