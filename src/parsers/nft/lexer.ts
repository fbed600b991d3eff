/**
 * nft text, lexically: rule tokens (quoted strings and `{ ... }` sets stay one
 * token), set elements, top-level splits, and the ` # handle N` suffix.
 */

const HANDLE_MARK = " # handle ";

export function unquote(s: string): string {
  if (s.length >= 2 && s.charCodeAt(0) === 34 && s.charCodeAt(s.length - 1) === 34) {
    const inner = s.slice(1, -1);
    return inner.includes("\\") ? inner.replace(/\\(["\\])/g, "$1") : inner;
  }
  return s;
}


/** Split a rule into tokens; quoted strings and `{ ... }` groups are single tokens. */
export function tokenize(text: string): string[] {
  if (!text.includes('"') && !text.includes("{") && !text.includes("\t")) {
    const out = text.split(" ");
    return out.includes("") ? out.filter((x) => x !== "") : out;
  }
  const out: string[] = [];
  const n = text.length;
  let i = 0;
  while (i < n) {
    let c = text.charCodeAt(i);
    if (c === 32 || c === 9) {
      i++;
      continue;
    }
    const start = i;
    if (c === 34) {
      i++;
      while (i < n && text.charCodeAt(i) !== 34) i += text.charCodeAt(i) === 92 ? 2 : 1;
      i = Math.min(i + 1, n);
      // a quoted string glued to more text (`"br-"*`) stays one token
      while (i < n && (c = text.charCodeAt(i)) !== 32 && c !== 9) i++;
    } else if (c === 123) {
      let depth = 0;
      let quoted = false;
      for (; i < n; i++) {
        c = text.charCodeAt(i);
        if (c === 34) quoted = !quoted;
        else if (!quoted && c === 123) depth++;
        else if (!quoted && c === 125 && --depth === 0) {
          i++;
          break;
        }
      }
    } else {
      while (i < n && (c = text.charCodeAt(i)) !== 32 && c !== 9) i++;
    }
    out.push(text.slice(start, i));
  }
  return out;
}

/** Elements of a `{ a, b }` set token, split on top-level commas (empty elements dropped). */
export function setElements(tok: string): string[] {
  return splitTop(tok.slice(1, tok.endsWith("}") ? -1 : undefined), 44).filter((e) => e.length > 0);
}


/** Split on a separator character outside quotes and braces; parts are trimmed. */
export function splitTop(text: string, sep: number): string[] {
  const out: string[] = [];
  let depth = 0;
  let quoted = false;
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 34) quoted = !quoted;
    else if (quoted) continue;
    else if (c === 123) depth++;
    else if (c === 125) depth--;
    else if (c === sep && depth === 0) {
      out.push(text.slice(start, i).trim());
      start = i + 1;
    }
  }
  out.push(text.slice(start).trim());
  return out;
}

/** Split ` # handle N` off a line. */
export function stripHandle(text: string): { body: string; handle: number | null } {
  const at = text.lastIndexOf(HANDLE_MARK);
  if (at >= 0) {
    const h = text.slice(at + HANDLE_MARK.length);
    if (h.length > 0 && h.length < 12 && /^\d+$/.test(h)) return { body: text.slice(0, at), handle: Number(h) };
  }
  return { body: text, handle: null };
}
