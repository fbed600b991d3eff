/** The one refusal of `convert` and `analyze` when no input is a capture natlens reads (binary, unrecognised): exit 2, nothing written. */
import { ExitCode, type Io } from "../io.js";

export function nothingRead(io: Io): ExitCode {
  io.stderr.write("natlens: error: none of the inputs is a capture natlens reads\n    hint: run `natlens formats` for the list, or capture a host with scripts/collect.sh\n");
  return ExitCode.Usage;
}
