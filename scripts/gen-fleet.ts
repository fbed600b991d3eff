/**
 * A deterministic fleet of N host bundles made from the real lab samples in
 * samples/ (for the batch tests and scripts/bench-batch.ts). Every host is a
 * copy of one sample with a consistent rewrite over all its files:
 *
 * - host name: `natlens-lab` becomes e.g. `web0042` (hostname, docker info, paths);
 * - addresses: the simulated external network 198.51.100.0/24 gets other host
 *   numbers of the same digit count, in text and in the little-endian hex of
 *   /proc/net/tcp* (plain and IPv4-mapped), so conntrack, sockets and rules agree;
 * - container names: `web` becomes e.g. `shop-web` wherever a name stands alone
 *   (docker inspect, docker ps, network inspect, ps arguments);
 * - dates: ISO timestamps and the `date` file move by a number of days.
 *
 * Ports are kept: a published port and the container port are often the same
 * number (5000->5000), and conntrack's reply side carries the container's, so
 * a text rewrite cannot tell them apart.
 *
 * Hosts go to fleet/dc{1,2,3}/ as a directory <name>/, or (with `archives`) one
 * in four each as <name>.tar.gz (flat, like `collect.sh --tar`), as
 * sosreport-<name>-<date>.tar.xz (everything under one top directory, like sos)
 * and as <name>.zip (every 12th name repeats in another dc, to
 * exercise `-2` ids). Some are broken on purpose: every 10th (from the 8th)
 * gets a garbage row in its /proc/net/tcp (status partial), every 25th (from
 * the 14th) has only binary garbage for captures (status failed); with
 * archives, every 25th from the 10th is a .tar.gz cut in the middle.
 *
 * Archives are written with tar-stream and zlib (gzip), yazl (zip) and the
 * `xz` program (.ci/run installs xz-utils when missing); every byte of them is
 * deterministic (fixed mtimes, modes and owners).
 *
 *   node dist/scripts/gen-fleet.js OUT_DIR N [--archives]
 */
import { spawnSync } from "node:child_process";
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";
import { rng } from "./_bench.js";

export const SAMPLES = ["lab-proxy", "lab-noproxy", "lab28-proxy", "lab28-noproxy", "lab-ipv6", "lab-proxy-sos"] as const;
/** samples/ of this checkout (the script runs from dist/scripts/). */
export const SAMPLES_DIR = fileURLToPath(new URL("../../samples/", import.meta.url));
const ROLES = ["web", "db", "cache", "edge", "build", "mq", "auth", "api"];
const APPS = ["shop", "crm", "wiki", "ci", "mail", "pay", "search", "maps"];
/** Files of a sample that are notes about the lab, not captures. */
const NOT_CAPTURED = new Set(["README.md", "EXPECTED.json"]);

/** partial: a bad row, the rest analysed; failed: nothing readable; truncated: an archive cut in the middle. */
export type Broken = "partial" | "failed" | "truncated" | null;
export type Form = "directory" | "tar.gz" | "tar.xz" | "zip";

export interface GeneratedHost {
  /** Path of the host bundle. */
  path: string;
  /** The name inside the bundle (its hostname file). */
  hostname: string;
  sample: (typeof SAMPLES)[number];
  form: Form;
  broken: Broken;
}

function files(dir: string, rel = ""): string[] {
  const out: string[] = [];
  const list = readdirSync(path.join(dir, rel), { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1));
  for (const e of list) {
    const r = rel ? `${rel}/${e.name}` : e.name;
    if (e.isDirectory()) out.push(...files(dir, r));
    else if (e.isFile() && !NOT_CAPTURED.has(e.name)) out.push(r);
  }
  return out;
}

/** The sample's files, read once per generator run. */
const cache = new Map<string, { rel: string; text: string }[]>();
function sampleFiles(samplesDir: string, sample: string): { rel: string; text: string }[] {
  let list = cache.get(sample);
  if (!list) {
    const dir = path.join(samplesDir, sample);
    // latin1 keeps every byte as it is
    list = files(dir).map((rel) => ({ rel, text: readFileSync(path.join(dir, rel), "latin1") }));
    cache.set(sample, list);
  }
  return list;
}

const hex2 = (n: number) => n.toString(16).toUpperCase().padStart(2, "0");
const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

interface Rewrite {
  hostname: string;
  /** Last octet of 198.51.100.x, old -> new. */
  octets: Map<number, number>;
  containers: Map<string, string>;
  days: number;
}

/** Another host number of the same digit count, never the network or broadcast address. */
function octetMap(next: () => number): Map<number, number> {
  const m = new Map<number, number>();
  m.set(1, 1 + (next() % 9));
  m.set(10, 10 + (next() % 90));
  return m;
}

function shiftIso(date: string, days: number): string {
  const d = new Date(`${date}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() + days);
  return d.toISOString().slice(0, 10);
}

function rewrite(text: string, rel: string, rw: Rewrite): string {
  let t = text.replace(/natlens-lab/g, rw.hostname);
  t = t.replace(/(?<![0-9.])198\.51\.100\.(\d{1,3})(?![0-9])/g, (all, o: string) => {
    const to = rw.octets.get(Number(o));
    return to === undefined ? all : `198.51.100.${to}`;
  });
  if (/(^|\/)net\/(tcp|udp)6?$/.test(rel)) {
    t = t.replace(/([0-9A-F]{2})6433C6/g, (all, o: string) => {
      const to = rw.octets.get(parseInt(o, 16));
      return to === undefined ? all : `${hex2(to)}6433C6`;
    });
  }
  for (const [from, to] of rw.containers) {
    t = t.replace(new RegExp(`(?<=["/\\s])${escape(from)}(?=["\\s,]|$)`, "gm"), to);
  }
  t = t.replace(/\b(20\d\d-\d\d-\d\d)T/g, (_a, d: string) => `${shiftIso(d, rw.days)}T`);
  if (rel === "date") {
    t = t.replace(/^\w{3} (\w{3}) +(\d+) (\d\d:\d\d:\d\d) UTC (\d{4})/m, (_a, mon: string, day: string, time: string, year: string) => {
      const d = new Date(`${mon} ${day} ${year} ${time} UTC`);
      d.setUTCDate(d.getUTCDate() + rw.days);
      const s = d.toUTCString(); // "Fri, 27 Nov 2026 18:11:53 GMT"
      const [, dow, dd, mm, yy, hms] = /^(\w{3}), (\d\d) (\w{3}) (\d{4}) (\S+)/.exec(s)!;
      return `${dow} ${mm} ${String(Number(dd)).padStart(2, " ")} ${hms} UTC ${yy}`;
    });
  }
  return t;
}

function containerNames(list: { text: string }[]): string[] {
  const names = new Set<string>();
  for (const f of list) for (const m of f.text.matchAll(/"Name": "\/([A-Za-z0-9_.-]+)"/g)) names.add(m[1]!);
  // longest first, so `cli2` is renamed before `cli`
  return [...names].sort((a, b) => b.length - a.length || (a < b ? -1 : 1));
}

/** The plan of host i: which sample, names, form, breakage. */
export function planHost(i: number, archives: boolean): { sample: (typeof SAMPLES)[number]; dc: string; name: string; hostname: string; form: Form; broken: Broken; days: number } {
  const sample = SAMPLES[i % SAMPLES.length]!;
  const dc = `dc${(i % 3) + 1}`;
  // every 12th host takes the name (and form) of the host four before it, in another dc: two hosts, one base id
  const n = i % 12 === 11 ? i - 4 : i;
  const name = `${ROLES[n % ROLES.length]}${String(n + 1).padStart(4, "0")}`;
  const form: Form = archives ? (["directory", "tar.gz", "tar.xz", "zip"] as const)[i % 4]! : "directory";
  const broken: Broken = i % 25 === 13 ? "failed" : i % 10 === 7 ? "partial" : archives && i % 25 === 9 ? "truncated" : null;
  return { sample, dc, name, hostname: `${name}.${dc}.example.net`, form: broken === "truncated" ? "tar.gz" : form, broken, days: -((n * 7) % 60) };
}

/** The archive writers, loaded only for --archives (tar-stream and yazl come with the archive readers' dependencies). */
interface TarPack extends AsyncIterable<unknown> {
  entry(header: Record<string, unknown>, body?: Buffer): unknown;
  finalize(): void;
}
interface Archivers {
  tar: { pack(): TarPack };
  yazl: { ZipFile: new () => { addBuffer(b: Buffer, name: string, o: Record<string, unknown>): void; end(): void; outputStream: AsyncIterable<unknown> } };
}
let archivers: Archivers | null = null;
async function loadArchivers(): Promise<Archivers> {
  if (!archivers) {
    const names = ["tar-stream", "yazl"];
    const [tar, yazl] = (await Promise.all(names.map((n) => import(n)))) as [{ default: Archivers["tar"] }, { default: Archivers["yazl"] }];
    archivers = { tar: tar.default, yazl: yazl.default };
  }
  return archivers;
}

/** A fixed time for every archive entry, so the archives' bytes never change. */
const MTIME = new Date(Date.UTC(2026, 10, 20, 12, 0, 0));

async function tarOf(files: { rel: string; body: Buffer }[]): Promise<Buffer> {
  const pack = (await loadArchivers()).tar.pack();
  const dirs = new Set<string>();
  for (const f of files) {
    for (let d = path.posix.dirname(f.rel); d !== "." && !dirs.has(d); d = path.posix.dirname(d)) dirs.add(d);
  }
  for (const d of [...dirs].sort()) pack.entry({ name: `${d}/`, type: "directory", mode: 0o755, mtime: MTIME, uid: 0, gid: 0, uname: "root", gname: "root" });
  for (const f of files) pack.entry({ name: f.rel, size: f.body.length, mode: 0o644, mtime: MTIME, uid: 0, gid: 0, uname: "root", gname: "root" }, f.body);
  pack.finalize();
  const chunks: Buffer[] = [];
  for await (const c of pack) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

async function zipOf(files: { rel: string; body: Buffer }[]): Promise<Buffer> {
  const zip = new (await loadArchivers()).yazl.ZipFile();
  for (const f of files) zip.addBuffer(f.body, f.rel, { mtime: MTIME, mode: 0o100644 });
  zip.end();
  const chunks: Buffer[] = [];
  for await (const c of zip.outputStream) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

function xzOf(data: Buffer): Buffer {
  const r = spawnSync("xz", ["--compress", "--stdout", "-6", "--threads=1"], { input: data, maxBuffer: 1 << 30 });
  if (r.error || r.status !== 0) throw new Error(`xz failed (${r.error?.message ?? r.stderr.toString()}): install xz-utils`);
  return r.stdout;
}

/** Writes host i below `fleetDir`; returns what was made. */
export async function writeHost(samplesDir: string, fleetDir: string, i: number, archives = false): Promise<GeneratedHost> {
  const plan = planHost(i, archives);
  const next = rng(0x9e3779b9 ^ (i + 1));
  const list = sampleFiles(samplesDir, plan.sample);
  const app = APPS[(i * 7) % APPS.length]!;
  const rw: Rewrite = {
    hostname: plan.hostname,
    octets: octetMap(next),
    containers: new Map(containerNames(list).map((c) => [c, `${app}-${c}`])),
    days: plan.days,
  };
  const files: { rel: string; body: Buffer }[] = [];
  for (const f of list) {
    let body: Buffer;
    if (plan.broken === "failed" && f.rel !== "hostname" && f.rel !== "MANIFEST") {
      // a capture overwritten with binary garbage (a bad copy): nothing natlens can read
      body = Buffer.alloc(Math.min(f.text.length, 4096) + 16);
      for (let k = 0; k < body.length; k++) body[k] = next() & 0xff;
      body[0] = 0;
    } else {
      let text = rewrite(f.text, f.rel, rw);
      if (plan.broken === "partial" && f.rel === "proc/net/tcp") text += "  99: this row was cut by a bad copy\n";
      body = Buffer.from(text, "latin1");
    }
    files.push({ rel: f.rel, body });
  }
  const base = path.join(fleetDir, plan.dc);
  let where: string;
  if (plan.form === "directory") {
    where = path.join(base, plan.name);
    for (const f of files) {
      mkdirSync(path.dirname(path.join(where, f.rel)), { recursive: true });
      writeFileSync(path.join(where, f.rel), f.body);
    }
  } else {
    mkdirSync(base, { recursive: true });
    let bytes: Buffer;
    if (plan.form === "zip") {
      where = path.join(base, `${plan.name}.zip`);
      bytes = await zipOf(files);
    } else if (plan.form === "tar.xz") {
      const day = shiftIso("2026-11-20", rw.days);
      const top = `sosreport-${plan.name}-${day}`;
      where = path.join(base, `${top}.tar.xz`);
      bytes = xzOf(await tarOf(files.map((f) => ({ rel: `${top}/${f.rel}`, body: f.body }))));
    } else {
      where = path.join(base, `${plan.name}.tar.gz`);
      bytes = gzipSync(await tarOf(files), { level: 6 });
      if (plan.broken === "truncated") bytes = bytes.subarray(0, Math.floor(bytes.length / 2));
    }
    writeFileSync(where, bytes);
  }
  return { path: where, hostname: plan.hostname, sample: plan.sample, form: plan.form, broken: plan.broken };
}

/** Writes hosts 0..n-1 of the fleet below `fleetDir` (directories only, or mixed with archives). */
export async function generateFleet(fleetDir: string, n: number, opts: { archives?: boolean; samplesDir?: string } = {}): Promise<GeneratedHost[]> {
  const out: GeneratedHost[] = [];
  for (let i = 0; i < n; i++) out.push(await writeHost(opts.samplesDir ?? SAMPLES_DIR, fleetDir, i, opts.archives ?? false));
  return out;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
  const args = process.argv.slice(2);
  const archives = args.includes("--archives");
  const [outDir, count] = args.filter((a) => a !== "--archives");
  if (!outDir || !count || !/^\d+$/.test(count)) {
    process.stderr.write("usage: node dist/scripts/gen-fleet.js OUT_DIR N [--archives]\n");
    process.exit(2);
  }
  const hosts = await generateFleet(outDir, Number(count), { archives });
  const broken = hosts.filter((h) => h.broken);
  process.stdout.write(`${hosts.length} hosts in ${outDir} (${broken.filter((h) => h.broken === "partial").length} partial, ${broken.filter((h) => h.broken !== "partial").length} failed on purpose)\n`);
}
