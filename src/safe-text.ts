/**
 * Untrusted text is shown, never interpreted. Bundles come from machines we do
 * not control: a program name, container name, file name, rule comment or
 * echoed input line may carry terminal escapes (title and colour changes),
 * BEL, backspace and CR overwrites, or bidi overrides that reorder what a
 * reader sees. Text outputs, CSV and diagnostics pass such strings through
 * `visible`, which writes each of those characters as an escape (`\x1b`,
 * `\u202e`); JSON output escapes them through `jsonSafe`.
 *
 * Kept: tab (a harmless blank in every output). Everything else below 0x20,
 * DEL, the C1 controls U+0080–U+009F and the bidi controls U+202A–U+202E,
 * U+2066–U+2069 is made visible.
 */
const UNSAFE = /[\x00-\x08\x0a-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]/;
const UNSAFE_ALL = new RegExp(UNSAFE.source, "g");

/** True when `s` holds a character `visible` would rewrite. */
export function hasUnsafe(s: string): boolean {
  return UNSAFE.test(s);
}

function escapeChar(c: string): string {
  const n = c.charCodeAt(0);
  return n < 0x100 ? `\\x${n.toString(16).padStart(2, "0")}` : `\\u${n.toString(16).padStart(4, "0")}`;
}

/** `s` with every control, DEL, C1 and bidi character written as an escape. */
export function visible(s: string): string {
  return UNSAFE.test(s) ? s.replace(UNSAFE_ALL, escapeChar) : s;
}

/** JSON.stringify already escapes C0; these it leaves raw, and a terminal may act on them. */
const JSON_UNSAFE = /[\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]/;
const JSON_UNSAFE_ALL = new RegExp(JSON_UNSAFE.source, "g");

/** JSON text (from JSON.stringify) with DEL, C1, line/paragraph separators and bidi controls as \uXXXX escapes. */
export function jsonSafe(json: string): string {
  // Text of ASCII below DEL (nearly every flow) holds none of them: its UTF-8 length is its length.
  // Two native scans instead of the regex: 172 -> 44 ms CPU over 254 MB of report JSON in 2.2 KB pieces.
  if (Buffer.byteLength(json, "utf8") === json.length && json.indexOf("\x7f") < 0) return json;
  return JSON_UNSAFE.test(json) ? json.replace(JSON_UNSAFE_ALL, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`) : json;
}
