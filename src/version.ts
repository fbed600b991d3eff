/** natlens's version: package.json's, read once (it is not written anywhere else). */
import { readFileSync } from "node:fs";

/** src/version.ts runs from dist/src/, two levels below package.json, in the repository and in an installed package alike. */
export const VERSION: string = (JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as { version: string }).version;
