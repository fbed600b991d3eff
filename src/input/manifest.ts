/**
 * A natlens collector bundle (scripts/collect.sh) has a MANIFEST naming each
 * file's command: `file: commands/iptables_-t_nat_-nvL` then `command: ...`.
 */
export interface Manifest {
  /** Directory of the MANIFEST, relative to the input, with a trailing `/` ("" at the top). */
  dir: string;
  /** Path (relative to `dir`) -> command. */
  commands: Map<string, string>;
  /** Path (relative to `dir`) -> the command's exit status, when the MANIFEST records it. */
  exits: Map<string, number>;
}

/** Null when `text` is not a natlens collector manifest. */
export function parseManifest(text: string, dir: string): Manifest | null {
  if (!text.startsWith("# natlens collect manifest")) return null;
  const commands = new Map<string, string>();
  const exits = new Map<string, number>();
  let file: string | null = null;
  for (const line of text.split("\n")) {
    if (line.startsWith("file: ")) file = line.slice(6).trim();
    else if (line.startsWith("command: ") && file) commands.set(file, line.slice(9).trim());
    else if (line.startsWith("exit: ") && file && /^\d+$/.test(line.slice(6).trim())) exits.set(file, Number(line.slice(6).trim()));
  }
  return { dir, commands, exits };
}
