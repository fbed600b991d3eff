/**
 * `ps` listings from procps and BusyBox (input-formats.md §4, docker-paths.md §2):
 * `-ef`, `-efww`, `-efH`, `aux[www]`, `auxwwwm` (thread rows), `auxfwww` and
 * `axjf` (forest), `alxwww`, `-elfL` / `-eLf` (a row per thread), `-eo` / `axo`
 * custom columns, BusyBox `ps`, `ps w`, `ps -o ...`.
 *
 * The header names the columns. Every column before the command column is one
 * blank-separated word (STARTED, from `lstart`, is five words); the command
 * column keeps the rest of the line verbatim, except that columns named after
 * it (`comm,cgroup`) are peeled off the end. Nothing is sliced by character
 * position: column widths move with procps versions and pid_max.
 *
 * Rows of one process's threads (`-L`: the PID repeats; `m`: rows with `-` as
 * PID) fold into one record with a thread count. docker-proxy and dockerd argv
 * are parsed by _ps-docker.ts.
 *
 * Modules: columns.ts (labels, header layouts, leading columns, header-less
 * row shapes), rows.ts (rows, threads, widths: the LineParser); this file,
 * the FormatParser (registry id `ps`).
 */
import type { FormatParser } from "../../format.js";
import { headerLayout, headerlessShape, isUint, scanLead } from "./columns.js";
import { PsParser } from "./rows.js";

export const ps: FormatParser = {
  id: "ps",
  title: "Process listings: procps ps (-ef, aux, -eLf, -eo ..., forest, threads) and BusyBox ps",
  kinds: ["process"],
  commands: [
    "ps -efww",
    "ps -ef",
    "ps -efH",
    "ps auxwww",
    "ps auxwwwm",
    "ps auxfwww",
    "ps axjf",
    "ps alxwww",
    "ps -elfL",
    "ps -eLf",
    "ps -eo pid,ppid,user,args",
    "ps axo pid,ppid,user,group,lwp,nlwp,start_time,comm,cgroup",
    "busybox ps",
    "busybox ps -o pid,ppid,user,args",
  ],
  sniff(head) {
    const limit = Math.min(head.length, 5);
    for (let h = 0; h < limit; h++) {
      const line = head[h]!;
      if (line.indexOf("PID") < 0) continue;
      const l = headerLayout(line);
      if (!l) continue;
      let score = h === 0 ? 0.85 : 0.75;
      const next = head[h + 1];
      if (next !== undefined) {
        const { fields, short } = scanLead(next, l);
        const pid = fields.at[l.pid];
        if (!short && pid && (isUint(pid) || pid === "-") && fields.end < next.length) score += 0.1;
        else score -= 0.2;
      }
      return score;
    }
    // rows without a header (`ps aux | grep docker-proxy`): every one of the first rows has one known shape
    const rows = head.slice(0, 5);
    const first = rows.length > 0 ? headerlessShape(rows[0]!) : null;
    if (!first || !rows.every((r) => headerlessShape(r) === first)) return 0;
    // a weak shape is claimed only with the command line above it naming ps (HINT_SCORE)
    if (first.weak) return 0.3;
    return rows.length >= 2 ? 0.6 : 0.5;
  },
  create: (ctx) => new PsParser(ctx),
};
