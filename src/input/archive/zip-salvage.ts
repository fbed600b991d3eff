/**
 * A zip cut short has lost its central directory (it is at the end), so
 * yauzl cannot open it. Its members are still there in order, each behind a
 * local file header: this reads them from the start, as far as they are
 * whole, the way a truncated tar keeps the members before the cut.
 *
 * yauzl reads a zip from its central directory only; no well-kept package
 * walks local headers of a damaged zip, and the walk is a few header fields
 * (APPNOTE.TXT 4.3.7): signature, flags, method, sizes, name and extra lengths.
 * A member written with a data descriptor (flag bit 3: sizes after the data)
 * or zip64 sizes cannot be delimited this way: the walk stops there and says so.
 */
import { inflateRawSync } from "node:zlib";

const LOCAL_HEADER = 0x04034b50;
const CENTRAL_HEADER = 0x02014b50;

export interface SalvagedMember {
  /** Raw name bytes and whether the UTF-8 flag is set. */
  name: Buffer;
  utf8: boolean;
  /** 0 stored, 8 deflated; anything else cannot be read here. */
  method: number;
  encrypted: boolean;
  /** The member's bytes as stored (compressed). */
  stored: Buffer;
  size: number;
}

export interface Salvage {
  members: SalvagedMember[];
  /** Why the walk stopped before the end of the data, or null when every member was whole. */
  stop: string | null;
}

/** The whole members at the start of a zip whose central directory is gone. */
export function salvageZip(data: Buffer): Salvage {
  const members: SalvagedMember[] = [];
  let off = 0;
  while (off + 4 <= data.length) {
    const sig = data.readUInt32LE(off);
    if (sig === CENTRAL_HEADER) return { members, stop: null };
    if (sig !== LOCAL_HEADER) return { members, stop: `no member header at byte ${off}` };
    if (off + 30 > data.length) return { members, stop: `cut short inside a member header at byte ${off}` };
    const flags = data.readUInt16LE(off + 6);
    const method = data.readUInt16LE(off + 8);
    const csize = data.readUInt32LE(off + 18);
    const usize = data.readUInt32LE(off + 22);
    const nlen = data.readUInt16LE(off + 26);
    const xlen = data.readUInt16LE(off + 28);
    const start = off + 30 + nlen + xlen;
    if (start > data.length) return { members, stop: `cut short inside a member header at byte ${off}` };
    const name = data.subarray(off + 30, off + 30 + nlen);
    if (flags & 0x8) return { members, stop: `member ${name.toString("latin1")} gives its size after its data (data descriptor): the rest cannot be delimited` };
    if (csize === 0xffffffff || usize === 0xffffffff) return { members, stop: `member ${name.toString("latin1")} has zip64 sizes` };
    if (start + csize > data.length) return { members, stop: `cut short inside member ${name.toString(flags & 0x800 ? "utf8" : "latin1")}` };
    members.push({ name, utf8: (flags & 0x800) !== 0, method, encrypted: (flags & 0x1) !== 0, stored: data.subarray(start, start + csize), size: usize });
    off = start + csize;
  }
  return { members, stop: off < data.length ? `cut short at byte ${off}` : "the central directory is missing" };
}

/** A salvaged member's content (stored or deflated); throws for other methods or damaged data. */
export function salvagedContent(m: SalvagedMember): Buffer {
  if (m.method === 0) return m.stored;
  if (m.method === 8) return inflateRawSync(m.stored);
  throw new Error(`compression method ${m.method} is not read`);
}
