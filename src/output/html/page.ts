/**
 * The frame of every natlens HTML page: a strict Content-Security-Policy that
 * allows exactly the page's own inline style and script (by SHA-256 hash) and
 * nothing else — no network of any kind, no images, no forms, no base URL.
 */
import { createHash } from "node:crypto";
import { deflateSync } from "node:zlib";
import { esc } from "./escape.js";

const hash = (text: string) => `'sha256-${createHash("sha256").update(text, "utf8").digest("base64")}'`;

/** The Content-Security-Policy of a page whose only inline style is `css` and only inline script is `js`. */
export function csp(css: string, js: string): string {
  return [
    "default-src 'none'",
    `script-src ${hash(js)}`,
    `style-src ${hash(css)}`,
    "img-src 'none'",
    "connect-src 'none'",
    "font-src 'none'",
    "base-uri 'none'",
    "form-action 'none'",
  ].join("; ");
}

/**
 * The page's data for its script: JSON, deflated (zlib), base64. Evidence lines
 * are most of a report's bytes and repeat a lot (conntrack and socket lines), so
 * this keeps a 1,000-flow page well under 1.5 MB; base64 cannot close the
 * element or carry markup, and the script inflates it with DecompressionStream.
 */
export function encodeData(value: unknown): string {
  return deflateSync(Buffer.from(JSON.stringify(value), "utf8"), { level: 9 }).toString("base64");
}

/** Write a whole page: head with the CSP, `body` (already escaped markup), then the data block and the script. */
export function writePage(write: (text: string) => void, opts: { title: string; css: string; js: string; body: (write: (text: string) => void) => void; data: unknown }): void {
  write(
    `<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">\n` +
      `<meta http-equiv="Content-Security-Policy" content="${csp(opts.css, opts.js)}">\n` +
      `<meta name="referrer" content="no-referrer"><meta name="viewport" content="width=device-width, initial-scale=1">\n` +
      `<meta name="generator" content="natlens">\n` +
      `<title>${esc(opts.title)}</title>\n<style>${opts.css}</style></head>\n<body>\n`,
  );
  opts.body(write);
  write(`<script type="application/octet-stream" id="nl-data" data-encoding="zlib+base64">${encodeData(opts.data)}</script>\n<script>${opts.js}</script>\n</body></html>\n`);
}
