/**
 * iproute2 `ss` socket listings (input-formats.md §3): `ss -tanp`, `-tulpn`,
 * `-tanpe`, `-tano`, `-tani`, `-Htanp`, `-anp`, `-peaonmi`, `-tanpeiO`,
 * `-uanpe`, `-tap` (service names), `-tn state established` (no State column),
 * and the old fixed-width layouts (`*:80`, `:::*`, `::1:10031`).
 *
 * Rows are read by content, not by the header: an optional Netid, an optional
 * State, Recv-Q, Send-Q, the local and the peer address, then free-form extras
 * (`users:((...))`, `timer:(...)`, `uid:`, `ino:`, `sk:`, `cgroup:`, `v6only:`,
 * `fwmark:`, shutdown marks, `skmem:(...)`, TCP info with `-O`). `-i`/`-m`
 * continuation lines start with a TAB and belong to the previous socket.
 *
 * Two facts are sometimes not on the row itself and are decided per file:
 * - the protocol when there is no Netid column (`ss -tan` vs `ss -uan`): a
 *   TCP-only state (LISTEN, SYN-SENT, ...) or a `timer:` means tcp, UNCONN
 *   means udp; ESTAB rows wait (bounded) for that evidence;
 * - what a bare `*` address means: the IPv6 dual-stack wildcard since iproute2
 *   4.14 (`0.0.0.0` and `[::]` are printed otherwise), the IPv4 wildcard in
 *   older layouts that print IPv6 unbracketed (`:::80`).
 * Rows that need an undecided fact are held back (at most PENDING_MAX) and
 * emitted, in input order, as soon as the evidence arrives or at the end.
 *
 * Modules: fields.ts (tokens, endpoints, `users:((...))`, the row shape),
 * rows.ts (rows and the per-file decisions: the LineParser); this file, the
 * FormatParser (registry id `ss`).
 */
import type { FormatParser } from "../../format.js";
import { cannotBeRow, HEADER_RE, rowShape } from "./fields.js";
import { SsParser } from "./rows.js";

export const ss: FormatParser = {
  id: "ss",
  title: "iproute2 ss socket listings (ss -tanpe, -uanpe, -tulpn, -peaonmi, -H, -O, old layouts)",
  kinds: ["socket"],
  commands: ["ss -tanpe", "ss -uanpe", "ss -tanpeiO", "ss -tulpn", "ss -peaonmi", "ss -anp", "ss -Htanp", "ss -tn state established"],
  sniff(head) {
    const first = head[0] ?? "";
    if (/^Total: \d+/.test(first)) return 0.05; // `ss -s` summary: not a socket listing
    for (let k = 0; k < Math.min(head.length, 3); k++) {
      if (HEADER_RE.test(head[k]!.trimStart())) return 0.95;
    }
    let rows = 0;
    let others = 0;
    let data = 0;
    let users = false;
    for (const l of head) {
      const s = rowShape(l);
      data++;
      if (s === "row") {
        rows++;
        if (!users && l.includes("users:((")) users = true;
      } else if (s === "other-row") others++;
    }
    if (rows === 0) return 0;
    if (rows + others === data) return users ? 0.8 : 0.7;
    return Math.min(0.45, (0.45 * (rows + others)) / data);
  },
  rejects(head) {
    if (/^Total: \d+/.test(head[0] ?? "")) return false;
    for (let k = 0; k < Math.min(head.length, 3); k++) {
      if (HEADER_RE.test(head[k]!.trimStart())) return false;
    }
    for (const l of head) if (!cannotBeRow(l)) return false;
    return true;
  },
  create: (ctx) => new SsParser(ctx),
};
