/**
 * Hold mode (src/input/archive/level.ts), what `analyze` reads an archive
 * file with so that a fleet archive is refused from one pass: the archives
 * inside are held unread until the listing is known. For an archive that is
 * no fleet it must hand on exactly what a straight read does (names, bytes,
 * notes, commands), damaged or over a limit included; for a fleet it hands on
 * nothing and the same listing. Every case runs with the default limit and
 * with a limit of one byte, which makes every host archive either read as it
 * streams by or dropped (the listing so far holds several hosts), and drives
 * the one case that needs a second pass: several hosts so far, then a layout
 * above them all. The archives are built here from real samples.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { readArchiveFile } from "../src/input/archive/read-archive.js";
import { HOLD_BYTES } from "../src/input/archive/level.js";
import type { Listing } from "../src/input/archive/listing.js";
import { fleetHosts } from "../src/input/hosts.js";
import { sniffArchive } from "../src/input/archive/magic.js";
import { DEFAULT_LIMITS, type ReadLimits } from "../src/input/archive/limits.js";
import type { ByteSource } from "../src/input/read.js";
import { compressWith, gzip, membersOf, tarOf, type Member } from "./_archives.js";

const work = mkdtempSync(path.join(tmpdir(), "natlens-hold-"));
const web01 = membersOf("samples/lab-proxy", "web01/");
const web02 = membersOf("samples/lab28-proxy", "web02/");
const host01 = gzip(await tarOf(web01));
const host02 = compressWith("xz", await tarOf(web02));
const hostArchives: Member[] = [
  { name: "fleet/web01.tar.gz", data: host01 },
  { name: "fleet/web02.tar.xz", data: host02 },
];
const capture = (name: string, text: string): Member => ({ name, data: gzip(Buffer.from(text)) });

const archives: Record<string, Buffer> = {
  "fleet of host archives.tar.gz": gzip(await tarOf(hostArchives)),
  "fleet of host archives.tar": await tarOf(hostArchives),
  "fleet of host folders.tar.xz": compressWith("xz", await tarOf([...web01, ...web02])),
  // a supportconfig folder that kept only its network file is a host by its name (src/input/hosts.ts)
  "a host folder and a trimmed scc_ folder.tar.gz": gzip(await tarOf([...web01, { name: "scc_web03_261207_1200/network.txt", data: readFileSync("samples/lab-proxy-scc/scc_natlens-lab/network.txt") }])),
  "one host.tar.gz": host01,
  "one host archive and a note.tar.gz": gzip(await tarOf([{ name: "NOTE.txt", data: Buffer.from("from the customer\n") }, hostArchives[1]!])),
  // two compressed captures at the root look like two host archives until the layout (hostname beside proc/) comes
  "two captures, then the layout.tar.gz": gzip(
    await tarOf([capture("ss.txt.gz", "State Recv-Q Send-Q Local Address:Port Peer Address:Port\n"), capture("conntrack.gz", "tcp 6 431999 ESTABLISHED src=10.0.0.1 dst=10.0.0.2 sport=1 dport=2\n"), { name: "hostname", data: Buffer.from("web03\n") }, { name: "proc/net/tcp", data: Buffer.from("  sl  local_address rem_address   st\n") }]),
  ),
};
// damage inside a host archive held in an outer one, and the outer budget running out there
const wrapped = archives["one host archive and a note.tar.gz"]!;
archives["cut inside the host archive.tar.gz"] = wrapped.subarray(0, Math.floor(wrapped.length * 0.7));
const files = Object.fromEntries(
  Object.entries(archives).map(([name, data]) => {
    const file = path.join(work, name.replace(/[ ,]+/g, "-"));
    writeFileSync(file, data);
    return [name, file];
  }),
);

async function described(sources: readonly ByteSource[]) {
  const out = [];
  for (const s of sources) {
    const chunks: Buffer[] = [];
    for await (const c of s.open()) chunks.push(c);
    out.push({ name: s.name, explicit: s.explicit, command: s.command, exit: s.exit, notes: s.notes, bytes: Buffer.concat(chunks).toString("base64") });
  }
  return out;
}

const listed = (l: Listing | undefined) => l && { paths: [...l.paths].sort(), archives: [...l.archives].sort(), manifests: [...l.manifests].sort() };

async function read(file: string, limits: ReadLimits, hold?: number) {
  const kind = sniffArchive(readFileSync(file).subarray(0, 512))!;
  return readArchiveFile(file, file, kind, { limits, select: null, ...(hold !== undefined ? { hold } : {}) });
}

const limitCases: [string, ReadLimits][] = [
  ["default limits", DEFAULT_LIMITS],
  ["--max-bytes reached inside the host archive", { ...DEFAULT_LIMITS, maxBytes: 200_000 }],
];

for (const [name, file] of Object.entries(files)) {
  for (const [limitsName, limits] of limitCases) {
    test(`hold mode: ${name}, ${limitsName}: what a straight read gives, or (a fleet) the same listing and nothing read`, async () => {
      const straight = await read(file, limits);
      const hosts = straight.listing && fleetHosts(straight.listing);
      for (const hold of [HOLD_BYTES, 1]) {
        const held = await read(file, limits, hold);
        if (hosts) {
          assert.equal(held.fleet, true, `hold ${hold}`);
          assert.deepEqual(held.sources, []);
          assert.deepEqual(fleetHosts(held.listing!), hosts, `hold ${hold}`);
          assert.deepEqual(listed(held.listing), listed(straight.listing), `hold ${hold}`);
        } else {
          assert.equal(held.fleet, undefined, `hold ${hold}`);
          assert.deepEqual(await described(held.sources), await described(straight.sources), `hold ${hold}`);
          assert.deepEqual(held.missing, straight.missing);
          assert.deepEqual(listed(held.listing), listed(straight.listing));
        }
      }
    });
  }
}

test("hold mode: the cases above cover fleets of archives and of folders (one named scc_*), damage, and a listing that stops being a fleet", async () => {
  const fleets = [];
  for (const [name, file] of Object.entries(files)) if (fleetHosts((await read(file, DEFAULT_LIMITS)).listing!)) fleets.push(name);
  assert.deepEqual(fleets.sort(), ["a host folder and a trimmed scc_ folder.tar.gz", "fleet of host archives.tar", "fleet of host archives.tar.gz", "fleet of host folders.tar.xz"]);
  const cut = await read(files["cut inside the host archive.tar.gz"]!, DEFAULT_LIMITS);
  assert.ok(JSON.stringify(cut.sources.map((s) => s.notes ?? [])).includes("E_ARCHIVE_DAMAGED"));
  const over = await read(files["one host archive and a note.tar.gz"]!, limitCases[1]![1]);
  assert.ok(JSON.stringify(over.sources.map((s) => s.notes ?? [])).includes("E_ARCHIVE_LIMIT"));
  // the two captures are hosts of the listing until the layout comes, and the archive is one host at the end
  const flip = (await read(files["two captures, then the layout.tar.gz"]!, DEFAULT_LIMITS)).listing!;
  assert.equal(fleetHosts({ ...flip, paths: flip.paths.filter((p) => p.endsWith(".gz")) })?.length, 2);
  assert.equal(fleetHosts(flip), null);
});
