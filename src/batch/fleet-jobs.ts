/**
 * Hosts of fleet archives in a batch run: their jobs are put in the
 * archive's order, and each archive is read in one streaming pass by the
 * main thread (src/input/archive/fleet.ts) that hands every host's members to
 * the pool when a worker is free for it. Hosts whose members are scattered
 * over their archive keep plain `ARCHIVE!/member` jobs, read by the worker.
 */
import { DEFAULT_LIMITS } from "../input/archive/limits.js";
import { memberName } from "../input/archive/names.js";
import { streamFleetHosts, type StreamedHost } from "../input/archive/fleet.js";
import { sourceData } from "./analyze-host.js";
import type { FleetArchive, HostInput } from "./discover.js";
import type { HostJob } from "./host-job.js";

interface Stream {
  fleet: FleetArchive;
  open: ReturnType<typeof streamFleetHosts> | null;
  /** Hosts given before the one asked for (only when a host is never reached). */
  early: Map<string, StreamedHost>;
  /** Requests run one after another. */
  lock: Promise<unknown>;
}

export class FleetReader {
  private readonly byInput = new Map<string, { stream: Stream; path: string }>();
  /** Damaged fleet archives: the archive's own (failed) host, with the reason. */
  private readonly damaged = new Map<string, string>();
  private readonly streams: Stream[] = [];

  /** `hosts`: the run's hosts (after --shard), in discovery order. */
  constructor(
    fleets: readonly FleetArchive[],
    private readonly hosts: readonly HostInput[],
  ) {
    const selected = new Set(hosts.map((h) => h.input));
    for (const fleet of fleets) {
      if (fleet.damage) this.damaged.set(fleet.archive, fleet.damage);
      const paths = fleet.streamed.filter((p) => selected.has(memberName(fleet.archive, p)));
      if (paths.length === 0) continue;
      const stream: Stream = { fleet: { ...fleet, streamed: paths }, open: null, early: new Map(), lock: Promise.resolve() };
      this.streams.push(stream);
      for (const p of paths) this.byInput.set(memberName(fleet.archive, p), { stream, path: p });
    }
  }

  /** The hosts in the order the pool takes them: a fleet archive's streamed hosts together, in the archive's order, where its first host stood. */
  ordered(): HostInput[] {
    const byInput = new Map(this.hosts.map((h) => [h.input, h]));
    const out: HostInput[] = [];
    const placed = new Set<Stream>();
    for (const h of this.hosts) {
      const s = this.byInput.get(h.input)?.stream;
      if (!s) out.push(h);
      else if (!placed.has(s)) {
        placed.add(s);
        for (const p of s.fleet.streamed) out.push(byInput.get(memberName(s.fleet.archive, p))!);
      }
    }
    return out;
  }

  /** The job with its host's members read, for a streamed host; any other job as it is. */
  prepare(job: HostJob): Promise<HostJob> {
    const damage = job.host.kind === "archive" ? this.damaged.get(job.host.input) : undefined;
    if (damage) return Promise.resolve({ ...job, read: { sources: [], missing: [{ input: job.host.input, message: damage }] } });
    const at = this.byInput.get(job.host.input);
    if (!at) return Promise.resolve(job);
    const { stream, path } = at;
    const run = stream.lock.then(() => this.take(stream, path));
    stream.lock = run.catch(() => undefined);
    return run.then(async (host) => {
      if (!host) {
        const why = stream.open?.damage() ?? "not found in the archive";
        return { ...job, read: { sources: [], missing: [{ input: job.host.input, message: why }] } };
      }
      return { ...job, read: { sources: await Promise.all(host.sources.map(sourceData)), missing: host.missing } };
    });
  }

  private async take(stream: Stream, path: string): Promise<StreamedHost | null> {
    const early = stream.early.get(path);
    if (early) {
      stream.early.delete(path);
      return early;
    }
    const f = stream.fleet;
    stream.open ??= streamFleetHosts(f.archive, f.archive, f.kind, f.streamed, DEFAULT_LIMITS);
    for (;;) {
      const next = await stream.open.hosts.next();
      if (next.done) return null;
      if (next.value.path === path) return next.value;
      // a host was never reached (the walk went past it): keep the later one for its own request
      stream.early.set(next.value.path, next.value);
      if (f.streamed.indexOf(next.value.path) > f.streamed.indexOf(path)) return null;
    }
  }

  /** End every pass still open (a run stopped early). */
  async close(): Promise<void> {
    await Promise.all(this.streams.map((s) => s.open?.hosts.return(undefined)));
  }
}
