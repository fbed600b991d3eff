/**
 * Connection tracking tables: `conntrack -L` (plain, `-o extended`, `-o id`,
 * `-o timestamp`/`ktimestamp`, `-o xml`), `/proc/net/nf_conntrack` and the old
 * `/proc/net/ip_conntrack`. Format: input-formats.md §6.
 *
 * Text rows are `[l3name l3num] l4name l4num [timeout] [STATE] key=value...`
 * with two tuples (`src=` opens a tuple) and bracketed flags. Rows are scanned
 * token by token with indexOf/charCodeAt (no regex per token) so that a
 * million-entry table parses in a few seconds. Addresses are normalised with a
 * small cache (tables repeat the same addresses many times).
 *
 * Modules: tuples.ts (addresses, numbers, tuples, the record), rows.ts (text
 * rows), xml.ts (`-o xml` flows); this file, the LineParser and the
 * FormatParser (registry id `conntrack`).
 */
import type { FormatParser, LineParser, ParseContext } from "../../format.js";
import { record } from "./tuples.js";
import { parseRow } from "./rows.js";
import { parseXmlFlow } from "./xml.js";

const HINT_ROW = "rows look like `tcp      6 431999 ESTABLISHED src=10.0.0.1 dst=10.0.0.2 sport=1234 dport=80 src=... [ASSURED] mark=0 use=1`";

// --------------------------------------------------------------- parser --

class ConntrackParser implements LineParser {
  constructor(private readonly ctx: ParseContext) {}

  line(text: string, no: number): void {
    let s = 0;
    while (text.charCodeAt(s) === 32 || text.charCodeAt(s) === 9) s++;
    const c = text.charCodeAt(s);
    if (c === 60 /* < */) {
      if (text.startsWith("<flow>", s)) {
        const e = parseXmlFlow(text, this.ctx.caches, this.ctx.options.shareStrings);
        if (typeof e === "string") this.ctx.skip(no, "E_CONNTRACK_XML", `cannot read this <flow>: ${e}`, text, "conntrack -o xml prints one complete <flow>...</flow> per line");
        else this.ctx.emit(record(this.ctx, no, e));
        return;
      }
      if (text.startsWith("<?xml", s) || text.startsWith("<conntrack>", s) || text.startsWith("</conntrack>", s)) {
        this.ctx.ignore(no, "xml");
        return;
      }
    }
    if (text.startsWith("$ ")) {
      // a `$ command` banner between concatenated captures (the driver drops only the first)
      this.ctx.ignore(no, "banner");
      return;
    }
    if (text.startsWith("*** ", s)) {
      // EKS log collector: `*** Output of conntrack -S *** `
      this.ctx.ignore(no, "separator");
      return;
    }
    if (text.startsWith("cpu=", s)) {
      this.ctx.ignore(no, "conntrack-stats");
      return;
    }
    if (s === text.length) {
      this.ctx.ignore(no, "blank");
      return;
    }
    const e = parseRow(s ? text.slice(s) : text, this.ctx.caches, this.ctx.options.shareStrings);
    if (typeof e === "string") {
      this.ctx.skip(no, "E_CONNTRACK_ROW", `not a conntrack entry: ${e}`, text, HINT_ROW);
      return;
    }
    this.ctx.emit(record(this.ctx, no, e));
  }

  end(): void {}
}

// ------------------------------------------------------------ detection --

/** Cheap shape test of a text row: `[ipvN N] name N [N] ... src=... dst=...`. */
function rowShape(l: string): number {
  const src = l.indexOf(" src=");
  if (src < 0 || l.indexOf(" dst=", src) < 0) return 0;
  if (/^ipv[46] +(2|10) +[a-z][a-z0-9]* +\d+ /.test(l)) return 2;
  if (/^[a-z][a-z0-9]* +\d+ +(\d+ +)?([A-Z_0-9]+ +)?src=/.test(l)) {
    // a second tuple is what makes it conntrack, not some key=value log line
    return l.indexOf(" src=", src + 5) > 0 ? 1 : 0.5;
  }
  return 0;
}

export const conntrack: FormatParser = {
  id: "conntrack",
  title: "Connection tracking: conntrack -L (plain, -o extended/id/timestamp/xml), /proc/net/nf_conntrack, /proc/net/ip_conntrack",
  kinds: ["conntrack"],
  commands: [
    "conntrack -L",
    "conntrack -L -o extended",
    "conntrack -L -o extended,id",
    "conntrack -L -o xml",
    "cat /proc/net/nf_conntrack",
    "cat /proc/net/ip_conntrack",
  ],
  sniff(head) {
    let rows = 0;
    let strong = 0;
    let known = 0;
    let xml = 0;
    for (const l of head) {
      if (l.startsWith("<flow><meta direction=")) {
        xml++;
        continue;
      }
      if (l.startsWith("<?xml") || l === "<conntrack>" || l === "</conntrack>") {
        known++;
        continue;
      }
      if (l.startsWith("*** Output of conntrack") || /^cpu=\d+\s+found=/.test(l)) {
        known++;
        continue;
      }
      const r = rowShape(l);
      if (r >= 1) {
        rows++;
        if (r === 2 || l.indexOf(" sport=") > 0 || l.indexOf(" type=") > 0) strong++;
      } else if (r > 0) rows += 0.5;
    }
    if (xml > 0) return head.some((l) => l === "<conntrack>") || xml >= 1 ? 0.95 : 0.8;
    const data = head.length - known;
    if (rows === 0) return known > 0 && head.every((l) => l.startsWith("*** ") || l.startsWith("cpu=")) ? 0.55 : 0;
    const ratio = rows / Math.max(data, 1);
    if (ratio >= 0.8 && strong > 0) return 0.95;
    if (ratio >= 0.5) return 0.75;
    return 0.4 * ratio;
  },
  // a row holds ` src=`; XML, `***` and `cpu=` lines start with `<`, `*` or `c`
  rejects(head) {
    for (const l of head) {
      const c = l.charCodeAt(0);
      if (c === 60 || c === 42 || c === 99 || l.includes("src=")) return false;
    }
    return true;
  },
  create: (ctx) => new ConntrackParser(ctx),
};
