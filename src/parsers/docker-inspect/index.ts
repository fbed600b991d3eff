/**
 * `docker inspect` (containers) and `docker network inspect` JSON: a
 * whole-document format. input-formats.md §7.1.
 *
 * Lines are buffered and parsed at end(). A file may hold one object, one array
 * or several top-level values one after another, as collectors write them
 * (`docker inspect a; docker inspect b` gives `[...]\n[...]`). A small
 * string-aware scanner cuts the text into top-level values and the elements of
 * top-level arrays; each element is parsed on its own, so one broken object
 * does not lose the others. A record's `source.line` is the line where its
 * object starts.
 *
 * Line accounting: lines of an object that parses count as parsed (records or
 * W_DOCKER_OBJECT_IGNORED for images, volumes, ...). For a value that does not
 * parse, the line of the syntax error is skipped with E_DOCKER_JSON and the
 * other lines of that value are ignored as `invalid-json`.
 *
 * Modules: json.ts (JSON value types and field reads), scan.ts (the document
 * scanner and line accounting: the LineParser), records.ts (containers and
 * networks to records); this file, the FormatParser (registry id
 * `docker-inspect`).
 */
import type { FormatParser } from "../../format.js";
import { InspectParser } from "./scan.js";

/** `"Id": "<64 hex>"` as docker prints it (indented or compact). */
const ID_LINE = /"Id": ?"(?:sha256:)?[0-9a-f]{64}"/;

export const dockerInspect: FormatParser = {
  id: "docker-inspect",
  title: "docker inspect / docker network inspect (JSON)",
  kinds: ["container", "network"],
  commands: ["docker inspect $(docker ps -aq)", "docker network inspect $(docker network ls -q)"],
  sniff(head) {
    const first = head[0]!.trimStart();
    const c = first.charCodeAt(0);
    if (c !== 91 && c !== 123) return 0;
    let id = false;
    let keys = 0;
    for (const l of head) {
      if (ID_LINE.test(l)) id = true;
      if (l.includes('"NetworkSettings"') || l.includes('"HostConfig"') || l.includes('"IPAM"') || l.includes('"State": {') || l.includes('"Driver":')) keys++;
      if (l.includes('"Mountpoint":') || l.includes('"RepoTags":')) keys++;
    }
    if (id && (keys > 0 || head.length < 6)) return 0.95;
    if (id) return 0.85;
    // `docker ps --format json` lines have "ID" (upper case), never "Id"
    if (first.startsWith('{"Id":') || /^\[?\s*\{?\s*"Id": "/.test(head.slice(0, 4).join(" "))) return 0.7;
    if (keys > 0 && head.some((l) => l.includes('"Name": "') || l.includes('"Id": "'))) return 0.6;
    return 0.1;
  },
  create: (ctx) => new InspectParser(ctx),
};
