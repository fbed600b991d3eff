/**
 * Member names: normalisation (nothing a name says can reach outside its
 * archive: nothing is written to disk anyway, but names are also what
 * citations and link resolution use), the `ARCHIVE!/member` notation, and the
 * order in which members are handed on (the order a directory walk uses).
 */

/** Separator between an archive's name and a member path: `web01.tar.xz!/sosreport-web01/ps`. */
export const MEMBER_SEP = "!/";

export interface NormalisedName {
  /** Clean relative path ("a/b/c"), or "" when nothing is left. */
  path: string;
  /** The name started with `/` (or a drive letter): read relative to the archive root. */
  absolute: boolean;
  /** A `..` would climb above the archive root: the member is not read. */
  escapes: boolean;
}

/** Normalise a member name: `./`, `//`, `.` and inner `..` removed; backslashes count as separators (zip from Windows). */
export function normaliseMemberName(raw: string): NormalisedName {
  let name = raw.replace(/\\/g, "/");
  let absolute = false;
  if (/^[A-Za-z]:\//.test(name)) {
    absolute = true;
    name = name.slice(3);
  }
  if (name.startsWith("/")) absolute = true;
  const out: string[] = [];
  let escapes = false;
  for (const part of name.split("/")) {
    if (part === "" || part === ".") continue;
    if (part === "..") {
      if (out.length === 0) escapes = true;
      else out.pop();
      continue;
    }
    out.push(part);
  }
  return { path: out.join("/"), absolute, escapes };
}

/** Resolve a link target written inside member `from` (relative to its directory, or to the archive root when absolute). null: it leaves the archive. */
export function resolveLinkTarget(from: string, target: string, hardLink = false): string | null {
  if (target.startsWith("/")) return null;
  const base = hardLink ? [] : from.split("/").slice(0, -1);
  for (const part of target.split("/")) {
    if (part === "" || part === ".") continue;
    if (part === "..") {
      if (base.length === 0) return null;
      base.pop();
    } else base.push(part);
  }
  return base.join("/");
}

/** Compare two relative paths component by component, as a sorted directory walk visits them. */
export function comparePaths(a: string, b: string): number {
  const pa = a.split("/");
  const pb = b.split("/");
  const n = Math.min(pa.length, pb.length);
  for (let i = 0; i < n; i++) {
    const x = pa[i]!;
    const y = pb[i]!;
    if (x !== y) return x < y ? -1 : 1;
  }
  return pa.length - pb.length;
}

/** `a.tar!/h1.tar.xz!/x/y` -> ["a.tar", "h1.tar.xz", "x/y"]. */
export function splitMemberPath(input: string): string[] {
  return input.split(MEMBER_SEP);
}

export function memberName(archive: string, path: string): string {
  return `${archive}${MEMBER_SEP}${path}`;
}
