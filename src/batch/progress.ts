/**
 * The live progress line of `batch` on stderr: hosts done/total, rate, ETA,
 * failures so far. Drawn only on a TTY and without -q, at most five times a
 * second, and erased before anything else is printed.
 */
import type { TextStream } from "../io.js";

const INTERVAL_MS = 200;

export function clock(s: number): string {
  if (!Number.isFinite(s)) return "--:--";
  const t = Math.max(0, Math.round(s));
  const h = Math.floor(t / 3600);
  const m = Math.floor((t % 3600) / 60);
  const sec = t % 60;
  return `${h ? `${h}:${String(m).padStart(2, "0")}` : m}:${String(sec).padStart(2, "0")}`;
}

export class ProgressLine {
  private last = 0;
  private shown = false;
  private readonly started = Date.now();

  constructor(
    private readonly stream: TextStream,
    private readonly live: boolean,
    private readonly total: number,
  ) {}

  update(done: number, failed: number, force = false): void {
    if (!this.live) return;
    const now = Date.now();
    if (!force && now - this.last < INTERVAL_MS) return;
    this.last = now;
    const elapsed = (now - this.started) / 1000;
    const rate = elapsed > 0 ? done / elapsed : 0;
    const eta = rate > 0 ? (this.total - done) / rate : Infinity;
    const text = `batch: ${done}/${this.total} hosts  ${rate.toFixed(1)} hosts/s  ETA ${clock(eta)}  ${failed} failed`;
    this.stream.write(`\r\u001b[2K${text}`);
    this.shown = true;
  }

  /** Erases the line (before other output, and at the end). */
  clear(): void {
    if (this.shown) this.stream.write("\r\u001b[2K");
    this.shown = false;
  }

  elapsedSeconds(): number {
    return (Date.now() - this.started) / 1000;
  }
}
