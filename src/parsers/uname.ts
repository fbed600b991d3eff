/**
 * `uname -a` / `uname -srm` / `uname -snrvm`: one line naming the kernel. The
 * release is the token that looks like a kernel version (`6.1.0-18-amd64`,
 * `3.10.0-1160.el7.x86_64`); with -a the node name comes before it and the
 * machine (`x86_64`) after the build string.
 */
import type { FormatParser, LineParser, ParseContext } from "../format.js";

const RELEASE = /^\d+\.\d+(?:\.\d+)?[-+.~\w]*$/;
const MACHINE = /^(?:x86_64|amd64|i[3-6]86|aarch64|arm64|armv\d+\w*|ppc64(?:le)?|s390x|riscv64|mips\w*|loongarch64)$/;
const LINE = /^(Linux|GNU\/Linux)\s+\S/;

class UnameParser implements LineParser {
  private seen = false;
  constructor(private readonly ctx: ParseContext) {}
  line(text: string, no: number): void {
    const words = text.trim().split(/\s+/);
    const at = LINE.test(text) ? words.findIndex((w, i) => i > 0 && i <= 2 && RELEASE.test(w)) : -1;
    if (at < 0 || this.seen) {
      this.ctx.skip(no, "E_UNAME_LINE", this.seen ? "a second uname line" : "not a uname line (no kernel release after `Linux`)", text, "uname -a prints `Linux HOST 6.1.0-18-amd64 #1 SMP ... x86_64 GNU/Linux`");
      return;
    }
    this.seen = true;
    const src = { file: this.ctx.file, line: no };
    const emit = (key: string, value: string) => this.ctx.emit({ kind: "setting", source: src, format: "uname", key, value });
    emit("kernel.name", words[0]!);
    if (at === 2) emit("kernel.hostname", words[1]!);
    emit("kernel.release", words[at]!);
    const machine = words.slice(at + 1).find((w) => MACHINE.test(w));
    if (machine) emit("kernel.machine", machine);
  }
  end(): void {}
}

export const uname: FormatParser = {
  id: "uname",
  title: "Kernel name and release: uname -a, uname -srm",
  kinds: ["setting"],
  commands: ["uname -a", "uname -srm", "uname -snrvm"],
  sniff(head) {
    if (head.length !== 1) return 0;
    const words = head[0]!.trim().split(/\s+/);
    return LINE.test(head[0]!) && words.slice(1, 3).some((w) => RELEASE.test(w)) ? 0.9 : 0;
  },
  create: (ctx) => new UnameParser(ctx),
};
