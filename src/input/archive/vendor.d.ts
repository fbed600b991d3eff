// unbzip2-stream ships no types: a function returning a through stream (bzip2 in, plain bytes out).
declare module "unbzip2-stream" {
  import type { Duplex } from "node:stream";
  function unbzip2Stream(): Duplex;
  export default unbzip2Stream;
}
