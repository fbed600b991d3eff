/** Small text tests shared by the parsers (no regular expression per call: they run on every line). */

/** One or more ASCII digits and nothing else. */
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
