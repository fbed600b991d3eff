/** Small text tests shared by the parsers (no regular expression per call: they run on every line). */

/** One or more ASCII digits and nothing else. */
/** The words of `line` split on runs of blanks and tabs. */
export function blankWords(line: string): string[] {
  const out: string[] = [];
  let i = 0;
  const n = line.length;
  while (i < n) {
    while (i < n && (line.charCodeAt(i) === 32 || line.charCodeAt(i) === 9)) i++;
    if (i >= n) break;
    const s = i;
    while (i < n && line.charCodeAt(i) !== 32 && line.charCodeAt(i) !== 9) i++;
    out.push(line.slice(s, i));
  }
  return out;
}

export function isDigits(s: string): boolean {
  if (s.length === 0) return false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 48 || c > 57) return false;
  }
  return true;
}

/** A port number 0..65535 written in decimal, or null. */
export function portNumber(s: string): number | null {
  if (s.length > 5 || !isDigits(s)) return null;
  const n = Number(s);
  return n <= 65535 ? n : null;
}
