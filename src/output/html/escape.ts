/**
 * Escaping for the HTML report. Every string that comes from a bundle goes
 * through one of these for the context it lands in; none is ever used as a
 * URL, a style or markup.
 */

const TEXT: Record<string, string> = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };

const TEXT_OR_CONTROL = /[&<>"'\r\u0000]/g;

/**
 * Text content and double-quoted attribute values (HTML and inline SVG alike):
 * `& < > " '` become entities; CR becomes `&#13;` (the parser would turn a raw
 * one into LF); NUL, which the parser drops or replaces, becomes U+FFFD.
 * Every other character reaches the DOM as it was.
 */
export function esc(s: string): string {
  return s.replace(TEXT_OR_CONTROL, (c) => (c === "\r" ? "&#13;" : c === "\u0000" ? "\ufffd" : TEXT[c]!));
}

/** At most `n` characters for a label drawn in a fixed-width box; the full text goes into a `<title>`. */
export function clip(s: string, n: number): string {
  return s.length > n ? `${s.slice(0, n - 1)}…` : s;
}
