/** The JSON values docker inspect holds, and typed reads of its fields. */

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type Obj = { [key: string]: Json };

export const JSON_HINT = "docker inspect prints valid JSON; the file may be cut or edited. Re-run `docker inspect <ids> > file`";

export function isObj(v: Json | undefined): v is Obj {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** A non-empty string, else null. */
export function str(v: Json | undefined): string | null {
  return typeof v === "string" && v !== "" ? v : null;
}

export function int(v: Json | undefined): number | null {
  return typeof v === "number" && Number.isInteger(v) ? v : null;
}

export function bool(v: Json | undefined): boolean | null {
  return typeof v === "boolean" ? v : null;
}
