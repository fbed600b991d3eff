/**
 * A fleet archive's host bundles, streamed out of one pass over the archive:
 * each host (a folder holding a layout, or a member that is an archive) gets
 * its own Level, as `analyze ARCHIVE!/path` would read it, and is handed on
 * as soon as the walk moves past it. The walk waits while the consumer has a
 * host it has not taken, so memory holds one host being read and one waiting
 * whatever the size of the fleet (hosts must come one after another in the
 * archive; listing.ts finds the ones that do not, which are read on their own).
 */
import type { ByteSource } from "../read.js";
import { Budget } from "./decode.js";
import type { ReadLimits } from "./limits.js";
import type { ArchiveKind } from "./magic.js";
import { Level } from "./level.js";
import { hostOfPath } from "./listing.js";
import { normaliseMemberName } from "./names.js";
import { errorMessage } from "./stream.js";
import { walk, type MemberSink } from "./walk.js";

export interface StreamedHost {
  /** Member path of the host bundle in the archive. */
  path: string;
  sources: ByteSource[];
  /** Problems that leave nothing to read (what `analyze` reports as unreadable inputs). */
  missing: { input: string; message: string; hint?: string }[];
}

class Cancelled extends Error {}

/** Routes each member to the Level of the host it belongs to. */
class FleetRouter implements MemberSink {
  readonly budget = new Budget(Number.POSITIVE_INFINITY);
  members = 0;
  private current: { path: string; level: Level } | null = null;
  private readonly done = new Set<string>();
  /** Damage of the archive outside any host, or with no host open. */
  damage: string | null = null;

  constructor(
    private readonly name: string,
    private readonly file: string,
    private readonly hosts: ReadonlySet<string>,
    readonly limits: ReadLimits,
    private readonly emit: (host: StreamedHost) => Promise<void>,
  ) {}

  private async finishCurrent(): Promise<void> {
    const c = this.current;
    if (!c) return;
    this.current = null;
    this.done.add(c.path);
    const r = c.level.finish();
    await this.emit({ path: c.path, sources: r.sources, missing: r.missing });
  }

  /** Finish the host before this one, when the walk reaches another. */
  private async enter(path: string): Promise<Level | null> {
    const h = hostOfPath(path, this.hosts);
    if (h === null || this.done.has(h)) return null;
    if (this.current?.path !== h) {
      await this.finishCurrent();
      this.current = { path: h, level: new Level(this.name, { limits: this.limits, select: [h], depth: 0, file: this.file }, new Budget(this.limits.maxBytes)) };
    }
    return this.current.level;
  }

  link(path: string, target: string, hard: boolean): void {
    if (this.current && hostOfPath(path, this.hosts) === this.current.path) this.current.level.link(path, target, hard);
  }
  async admit(rawName: string): Promise<string | null> {
    const n = normaliseMemberName(rawName);
    if (n.escapes || !n.path) return null;
    const level = await this.enter(n.path);
    return level ? level.admit(rawName) : null;
  }
  wants(path: string): { read: boolean; explicit: boolean; select: string[] | null } {
    return this.current ? this.current.level.wants(path) : { read: false, explicit: false, select: null };
  }
  async member(path: string, size: number | null, open: () => AsyncIterable<Buffer>, explicit: boolean, select: string[] | null): Promise<void> {
    this.members++;
    await this.current!.level.member(path, size, open, explicit, select);
  }
  single(): void {
    this.damage = "not a tar or zip archive";
  }
  error(code: string, message: string, hint?: string): void {
    this.current?.level.error(code, message, hint);
  }
  failed(err: unknown): void {
    if (err instanceof Cancelled) return;
    this.damage = `the archive is truncated or corrupt after ${this.members} members read: ${errorMessage(err)}`;
    this.current?.level.failed(err);
  }
  async end(): Promise<void> {
    await this.finishCurrent();
  }
}

/**
 * The hosts at `hostPaths` of the archive file `file` (called `name` in
 * member names), in the archive's order. A host the walk never reaches (the
 * archive is damaged before it) is not given; `damage()` then says why.
 */
export function streamFleetHosts(
  file: string,
  name: string,
  kind: ArchiveKind,
  hostPaths: readonly string[],
  limits: ReadLimits,
): { hosts: AsyncGenerator<StreamedHost>; damage: () => string | null } {
  const waiting: StreamedHost[] = [];
  let wake: (() => void) | null = null;
  let taken: (() => void) | null = null;
  let finished = false;
  let cancelled = false;
  const router = new FleetRouter(name, file, new Set(hostPaths), limits, async (host) => {
    if (cancelled) throw new Cancelled();
    waiting.push(host);
    wake?.();
    // hold the walk until the consumer takes this host
    while (waiting.length > 0 && !cancelled) await new Promise<void>((r) => (taken = r));
    if (cancelled) throw new Cancelled();
  });
  let walking: Promise<void> | null = null;
  const start = () =>
    (async () => {
      try {
        const { fileChunks } = await import("../read.js");
        await walk(router, kind, (async function* () {
          yield* fileChunks(file);
        })(), file);
        await router.end();
      } catch (err) {
        if (!(err instanceof Cancelled)) router.damage ??= errorMessage(err);
      } finally {
        finished = true;
        wake?.();
      }
    })();
  async function* hosts(): AsyncGenerator<StreamedHost> {
    walking = start();
    try {
      for (;;) {
        const next = waiting.shift();
        if (next) {
          taken?.();
          yield next;
          continue;
        }
        if (finished) return;
        await new Promise<void>((r) => (wake = r));
        wake = null;
      }
    } finally {
      cancelled = true;
      taken?.();
      await walking;
    }
  }
  return { hosts: hosts(), damage: () => router.damage };
}
