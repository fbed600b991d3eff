/** `natlens formats`: every input format natlens reads, with the command that produces it. */
import type { Io } from "../io.js";
// The generated list (titles, kinds, commands), not the registry: listing the formats loads no parser.
import { FORMAT_LIST as FORMATS } from "../formats-list.js";

/** The list as text or JSON, to stdout or to `output` (-o FILE; only then is the library loaded). */
export async function formats(io: Io, json: boolean, output?: string): Promise<void> {
  const out = output ? (await import("../api.js")).openOutput(io, output, false) : { sink: io.stdout, close: () => {} };
  const write = (t: string) => out.sink.write(t);
  if (json) {
    write(JSON.stringify(FORMATS.map((f) => ({ id: f.id, title: f.title, kinds: f.kinds, commands: f.commands })), null, 2) + "\n");
  } else {
    const w = Math.max(...FORMATS.map((f) => f.id.length));
    for (const f of FORMATS) {
      write(`${f.id.padEnd(w)}  ${f.title}\n`);
      write(`${"".padEnd(w)}  records: ${f.kinds.join(", ") || "-"}; from: ${f.commands.join(" | ") || "-"}\n`);
    }
    write(PASTED);
  }
  out.close();
}

/** How pasted terminal text is read (src/input/transcript.ts, the driver in src/parse.ts). */
const PASTED = `
pasted terminal text: any of the above copied from a shell, with its prompts and command lines:
  prompts of bash, zsh, fish, sh and BusyBox as root or user (user@host:~$, [user@host dir]$,
  ~#, / #, %, >, bash-5.1$, PS C:\\>), \`$ command\` banners, and bare command lines naming a
  capture command (cat /proc/net/tcp, sudo netstat -tlnp, ps aux | grep docker-proxy), with sudo,
  nsenter, docker exec, pipes and redirections. Each command starts a section read on its own; the
  command names the section's format when the content alone does not. Prompt and command lines are
  ignored (I_PROMPT, I_COMMAND_LINE), the output of other commands (docker run, curl) too
  (I_OTHER_COMMAND); the poster's elisions (..., 5  ..., [snip]) and notes ((some columns are not
  shown)) are skipped as info (I_ELISION, I_POSTER_NOTE). Line numbers stay those of the paste.
  ps rows without their header (ps aux | grep docker-proxy, ps -ef, ps ax, BusyBox ps) are read by
  their shape; iptables -L rows without a Chain line go to the chain -L names, else "(unknown)",
  and rows missing columns are read by their shape when only one reading fits; an nft chain
  pasted without its table line goes to table ip "(unknown)" (W_NFT_NO_TABLE). Partial rule dumps
  (iptables -t nat -S DOCKER alone, an nft DNAT chain without its base chains): the chain is
  entered as Docker enters it, and trace and analyze say the answer rests on that assumption.
`;
