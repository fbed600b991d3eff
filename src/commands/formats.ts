/** `natlens formats`: every input format natlens reads, with the command that produces it. */
import type { Io } from "../io.js";
import { FORMATS } from "../registry.js";

export function formats(io: Io, json: boolean): void {
  if (json) {
    io.stdout.write(JSON.stringify(FORMATS.map((f) => ({ id: f.id, title: f.title, kinds: f.kinds, commands: f.commands })), null, 2) + "\n");
    return;
  }
  const w = Math.max(...FORMATS.map((f) => f.id.length));
  for (const f of FORMATS) {
    io.stdout.write(`${f.id.padEnd(w)}  ${f.title}\n`);
    io.stdout.write(`${"".padEnd(w)}  records: ${f.kinds.join(", ") || "-"}; from: ${f.commands.join(" | ") || "-"}\n`);
  }
}
