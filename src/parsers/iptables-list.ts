/** STUB: being written. Claims nothing and reports every line as not yet supported. */
import type { FormatParser } from "../format.js";

export const iptablesList: FormatParser = {
  id: "iptables-list",
  title: "iptables-list (not yet implemented)",
  kinds: [],
  commands: [],
  sniff: () => 0,
  create: (ctx) => ({
    line: (text, no) => ctx.skip(no, "E_NOT_IMPLEMENTED", "format iptables-list is not implemented yet", text),
    end: () => {},
  }),
};
