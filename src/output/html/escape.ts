/**
 * Escaping for the HTML report. Every string that comes from a bundle goes
 * through one of these for the context it lands in; none is ever used as a
 * URL, a style or markup.
 */

const TEXT: Record<string, string> = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };

const TEXT_OR_CONTROL = /[&<>"'\u0000-\u0008\u000b-\u001f\u007f\u202a-\u202e\u2066-\u2069]/g;

/**
 * Text content and double-quoted attribute values (HTML and inline SVG alike):
 * `& < > " '` become entities; the C0 controls but tab and LF, DEL and the bidi
 * controls become numeric references (`&#x1b;`, `&#x202e;`: the DOM gets the same
 * character, and the file itself never carries an ESC, BEL or override that a
 * terminal would act on when the page is written to stdout; CR as `&#xd;` also keeps the parser from turning it into
 * LF); NUL, which the parser drops or replaces, becomes U+FFFD. Every other
 * character reaches the DOM as it was (a C1 reference would not: the parser maps
 * &#x80;-&#x9f; to Windows-1252 characters).
 */
export function esc(s: string): string {
  return s.replace(TEXT_OR_CONTROL, (c) => (c === "\u0000" ? "\ufffd" : (TEXT[c] ?? `&#x${c.charCodeAt(0).toString(16)};`)));
}

/** At most `n` characters for a label drawn in a fixed-width box; the full text goes into a `<title>`. */
export function clip(s: string, n: number): string {
  return s.length > n ? `${s.slice(0, n - 1)}…` : s;
}
