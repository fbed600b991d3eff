/**
 * Archive and compression recognition by magic bytes, never by name: a `.tgz`
 * that is really a zip, or a renamed sosreport, is read for what it is.
 */

export type CompressionKind = "gzip" | "xz" | "bzip2" | "zstd";
export type ArchiveKind = CompressionKind | "tar" | "zip";

/** Bytes needed to recognise every kind (the tar magic sits at offset 257 of the first header). */
export const MAGIC_BYTES = 512;

export function isCompression(kind: ArchiveKind): kind is CompressionKind {
  return kind !== "tar" && kind !== "zip";
}

/** A tar header block: "ustar" at 257, or (old v7 archives) a valid header checksum. */
function isTarHeader(b: Buffer): boolean {
  if (b.length < 512) return false;
  if (b.toString("latin1", 257, 262) === "ustar") return true;
  // v7 tar: no magic; the checksum field (octal at 148..155) must match the header's byte sum.
  const field = b.toString("latin1", 148, 156).replace(/[\0 ]+$/, "").trim();
  if (!/^[0-7]{1,7}$/.test(field) || b[0] === 0) return false;
  let sum = 0;
  for (let i = 0; i < 512; i++) sum += i >= 148 && i < 156 ? 32 : b[i]!;
  return sum === parseInt(field, 8);
}

/** What the first bytes of a stream are, or null for anything else (a text capture, say). */
export function sniffArchive(head: Buffer): ArchiveKind | null {
  if (head.length >= 3 && head[0] === 0x1f && head[1] === 0x8b && head[2] === 8) return "gzip";
  if (head.length >= 6 && head[0] === 0xfd && head.toString("latin1", 1, 6) === "7zXZ\0") return "xz";
  if (head.length >= 10 && head.toString("latin1", 0, 3) === "BZh" && head[3]! >= 0x31 && head[3]! <= 0x39 && head.readUIntBE(4, 6) === 0x314159265359) return "bzip2";
  if (head.length >= 4 && head.readUInt32LE(0) === 0xfd2fb528) return "zstd";
  if (head.length >= 4 && head[0] === 0x50 && head[1] === 0x4b && ((head[2] === 3 && head[3] === 4) || (head[2] === 5 && head[3] === 6))) return "zip";
  if (isTarHeader(head)) return "tar";
  return null;
}
