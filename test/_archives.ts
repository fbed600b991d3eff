/**
 * Archives for tests, built from real sample directories: tar through
 * tar-stream's packer, gzip through zlib, zip through yazl, and xz / zstd /
 * bzip2 through the system's compressors (.ci/run installs them).
 */
import { spawnSync } from "node:child_process";
import { lstatSync, readdirSync, readFileSync, readlinkSync } from "node:fs";
import path from "node:path";
import { gzipSync } from "node:zlib";

export interface Member {
  name: string;
  type?: "file" | "symlink" | "link" | "directory";
  data?: Buffer;
  linkname?: string;
}

/** Every file, directory and symlink below `dir`, named `prefix` + relative path, in name order. */
export function membersOf(dir: string, prefix = ""): Member[] {
  const out: Member[] = [];
  const visit = (d: string, rel: string) => {
    for (const name of readdirSync(d).sort()) {
      const p = path.join(d, name);
      const r = `${rel}${name}`;
      const st = lstatSync(p);
      if (st.isSymbolicLink()) out.push({ name: prefix + r, type: "symlink", linkname: readlinkSync(p) });
      else if (st.isDirectory()) {
        out.push({ name: `${prefix}${r}/`, type: "directory" });
        visit(p, `${r}/`);
      } else out.push({ name: prefix + r, data: readFileSync(p) });
    }
  };
  if (prefix) out.push({ name: prefix, type: "directory" });
  visit(dir, "");
  return out;
}

export async function tarOf(members: readonly Member[]): Promise<Buffer> {
  const { pack: createPack } = await import("tar-stream");
  const pack = createPack();
  const chunks: Buffer[] = [];
  const done = new Promise<void>((resolve, reject) => {
    pack.on("data", (c: unknown) => {
      chunks.push(c as Buffer);
    });
    pack.on("end", () => resolve());
    pack.on("error", reject);
  });
  for (const m of members) {
    const type = m.type ?? "file";
    if (type === "file") pack.entry({ name: m.name, size: m.data!.length, mode: 0o644, mtime: new Date(0) }, m.data!);
    else if (type === "directory") pack.entry({ name: m.name, type, mode: 0o755, mtime: new Date(0) });
    else pack.entry({ name: m.name, type, linkname: m.linkname!, mtime: new Date(0) });
  }
  pack.finalize();
  await done;
  return Buffer.concat(chunks);
}

export async function zipOf(members: readonly Member[]): Promise<Buffer> {
  const { ZipFile } = await import("yazl");
  const zip = new ZipFile();
  for (const m of members) {
    const type = m.type ?? "file";
    if (type === "file") zip.addBuffer(m.data!, m.name, { mtime: new Date(0), mode: 0o100644 });
    else if (type === "symlink") zip.addBuffer(Buffer.from(m.linkname!), m.name, { mtime: new Date(0), mode: 0o120777, compress: false });
    else if (type === "directory") zip.addEmptyDirectory(m.name.replace(/\/$/, ""), { mtime: new Date(0) });
  }
  zip.end();
  const chunks: Buffer[] = [];
  for await (const c of zip.outputStream as AsyncIterable<Buffer>) chunks.push(c);
  return Buffer.concat(chunks);
}

export function gzip(data: Buffer): Buffer {
  return gzipSync(data);
}

/** Compress with a system tool (xz, zstd, bzip2) writing to stdout. */
export function compressWith(tool: "xz" | "zstd" | "bzip2", data: Buffer): Buffer {
  const r = spawnSync(tool, tool === "zstd" ? ["-q", "-c"] : ["-c"], { input: data, maxBuffer: 1 << 30 });
  if (r.status !== 0) throw new Error(`${tool} failed: ${r.stderr?.toString() ?? r.error?.message}`);
  return r.stdout;
}

export const FORMATS = ["tar", "tar.gz", "tar.xz", "tar.bz2", "tar.zst", "zip"] as const;
export type ArchiveFormat = (typeof FORMATS)[number];

export async function archiveOf(format: ArchiveFormat, members: readonly Member[]): Promise<Buffer> {
  if (format === "zip") return zipOf(members);
  const tar = await tarOf(members);
  switch (format) {
    case "tar":
      return tar;
    case "tar.gz":
      return gzip(tar);
    case "tar.xz":
      return compressWith("xz", tar);
    case "tar.bz2":
      return compressWith("bzip2", tar);
    case "tar.zst":
      return compressWith("zstd", tar);
  }
}
