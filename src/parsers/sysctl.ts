/**
 * `sysctl -a` (and `sysctl KEY...`), and collect.sh's `sysctl` file, which adds
 * the bridge port flags read from /sys in the same `key = value` shape
 * (`sys.class.net.docker0.brif.veth1.hairpin_mode = 1`). sosreport keeps
 * `sysctl -a` as `sos_commands/kernel/sysctl_-a`, stderr included
 * (`sysctl: permission denied on key ...`, `sysctl: reading key ...`).
 */
import type { FormatParser, LineParser, ParseContext } from "../format.js";

/** `key = value` (procps) or `key=value` (`sysctl -e`, BusyBox `sysctl -a`); keys are dotted paths under a /proc/sys (or /sys) top directory. */
const ROW = /^((?:net|kernel|vm|fs|dev|user|abi|debug|crypto|sunrpc|sys)(?:\.[A-Za-z0-9_@:+-][A-Za-z0-9_@:+.-]*)+?)\s*=\s?(.*)$/;
/** Lines sysctl writes to stderr, which sosreport keeps in the same file. */
const STDERR = /^sysctl: /;

class SysctlParser implements LineParser {
  constructor(private readonly ctx: ParseContext) {}
  line(text: string, no: number): void {
    const m = ROW.exec(text);
    if (m) {
      this.ctx.emit({ kind: "setting", source: { file: this.ctx.file, line: no }, format: "sysctl", key: m[1]!, value: m[2]!.trim() });
      return;
    }
    if (STDERR.test(text)) {
      this.ctx.ignore(no, "stderr");
      return;
    }
    this.ctx.skip(no, "E_SYSCTL_ROW", "not a `key = value` sysctl line", text, "sysctl -a prints `net.ipv4.conf.docker0.route_localnet = 1`");
  }
  end(): void {}
}

export const sysctl: FormatParser = {
  id: "sysctl",
  title: "Kernel settings: sysctl -a (key = value), and collect.sh's sysctl file with bridge port flags",
  kinds: ["setting"],
  commands: ["sysctl -a", "sysctl net.ipv4.conf.all.route_localnet", "collect.sh sysctl (route_localnet, bridge-nf-call-*, brif/*/hairpin_mode)"],
  sniff(head) {
    let rows = 0;
    let other = 0;
    for (const l of head) {
      if (ROW.test(l)) rows++;
      else if (!STDERR.test(l)) other++;
    }
    if (rows === 0) return 0;
    const share = rows / (rows + other);
    return share >= 0.9 ? 0.9 : share >= 0.6 ? 0.6 : 0.2;
  },
  // every key (ROW) starts with a lower-case letter
  rejects(head) {
    for (const l of head) {
      const c = l.charCodeAt(0);
      if (c >= 97 && c <= 122) return false;
    }
    return true;
  },
  create: (ctx) => new SysctlParser(ctx),
};
