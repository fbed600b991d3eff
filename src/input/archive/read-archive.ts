/**
 * Archives as sources: a tar (plain or compressed), a zip, or a compressed
 * single capture becomes the list of its members as named byte streams
 * (`web01.tar.xz!/sosreport-web01/sos_commands/networking/ss_-peaonmi`).
 *
 * Reading streams: members a layout does not want are decompressed and
 * dropped; wanted members (small text captures) are kept in memory so their
 * sources can be opened again; a member that is itself an archive is read
 * as it streams by (or, for `analyze`, held unread until the listing says
 * the archive is no fleet: level.ts, hold mode). Nothing is ever written to disk, and link members are
 * never followed outside their archive. Problems (damage, limits, hostile
 * names) become notes on one source that stands for the archive itself, so
 * every command reports them and exits 1, and everything read before the
 * damage is still used.
 *
 * The pieces: stream.ts (sniffing, peeking, bounded reads), walk.ts (the
 * format walkers: compression layers, tar entries, zip central directory or
 * salvage), level.ts (one archive level: what is read, links, notes),
 * listing.ts (which host bundles an archive holds) and fleet.ts (a fleet
 * archive's hosts streamed out one by one). This file is the entry point.
 */
import { Budget } from "./decode.js";
import type { ArchiveKind } from "./magic.js";
import { memberName } from "./names.js";
import { Level, type ArchiveResult, type LevelOptions } from "./level.js";
import { walk } from "./walk.js";

export { fileHead, peek } from "./stream.js";
export type { ArchiveResult, LevelOptions };

/** Read an archive arriving as a stream (stdin, or a member of another archive). */
export async function readArchiveStream(name: string, src: AsyncIterable<Buffer>, kind: ArchiveKind, opts: LevelOptions): Promise<ArchiveResult> {
  const level = new Level(name, opts, new Budget(opts.limits.maxBytes));
  await walk(level, kind, src, undefined, opts.size ?? null);
  const result = level.finish();
  if (level.retarget !== null) {
    result.missing.push({ input: memberName(name, opts.select!.join("!/")), message: `is a link to ${level.retarget}, which a stream cannot be read again for`, hint: `name the target instead: ${memberName(name, level.retarget)}` });
  }
  return result;
}

/**
 * Read an archive file (a zip through its central directory, anything else as
 * a stream). With `hold` (analyze), a fleet archive's listing comes back with
 * `fleet` set and nothing read from it (level.ts, hold mode).
 */
export async function readArchiveFile(file: string, name: string, kind: ArchiveKind, opts: Omit<LevelOptions, "file" | "depth">): Promise<ArchiveResult> {
  const { fileChunks } = await import("../read.js");
  const { hold, ...rest } = opts;
  const run = async (select: string[] | null, holding: boolean) => {
    const level = new Level(name, { ...rest, ...(holding && hold !== undefined ? { hold } : {}), select, depth: 0, file }, new Budget(opts.limits.maxBytes));
    await walk(level, kind, (async function* () {
      yield* fileChunks(file);
    })(), file);
    await level.readHeld();
    return level;
  };
  const level = await run(opts.select, true);
  // hold mode dropped what it held for a listing of several hosts that a later member made one host: read it again whole
  if (level.incomplete) return (await run(opts.select, false)).finish();
  const result = level.finish();
  // `ARCHIVE!/sosreport/ps` names a link: read the archive again for its target.
  if (level.retarget !== null && opts.select) return (await run([level.retarget, ...opts.select.slice(1)], false)).finish();
  return result;
}
