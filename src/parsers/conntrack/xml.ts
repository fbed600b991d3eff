/** `conntrack -L -o xml`: one `<flow>` per line, read with indexOf (no XML parser). */
import type { ParseCaches } from "../../context.js";
import { addr, dec, emptyTuple, type Entry, L4_NAMES, type RawTuple } from "./tuples.js";

// ------------------------------------------------------------------ XML --

function tagText(s: string, name: string, from: number, to: number): string | null {
  const open = `<${name}>`;
  const a = s.indexOf(open, from);
  if (a < 0 || a >= to) return null;
  const b = s.indexOf(`</${name}>`, a);
  if (b < 0 || b > to) return null;
  return s.slice(a + open.length, b);
}

function attr(s: string, tag: string, name: string, from: number, to: number): string | null {
  const a = s.indexOf(`<${tag} `, from);
  if (a < 0 || a >= to) return null;
  const end = s.indexOf(">", a);
  const key = ` ${name}="`;
  const k = s.indexOf(key, a);
  if (k < 0 || k > end) return null;
  const q = s.indexOf('"', k + key.length);
  return q < 0 ? null : s.slice(k + key.length, q);
}

function numOrNull(s: string | null): number | null | undefined {
  if (s === null) return null;
  const v = dec(s);
  return v < 0 ? undefined : v;
}

function xmlTuple(s: string, from: number, to: number, caches: ParseCaches, share: boolean): RawTuple | string {
  const t = emptyTuple();
  const src = tagText(s, "src", from, to);
  const dst = tagText(s, "dst", from, to);
  if (src === null || dst === null) return "a tuple without <src>/<dst>";
  t.src = addr(src, caches, share);
  t.dst = addr(dst, caches, share);
  if (t.src === null || t.dst === null) return `bad address ${src} / ${dst}`;
  const l4 = s.indexOf("<layer4", from);
  const l4end = l4 >= 0 && l4 < to ? s.indexOf("</layer4>", l4) : -1;
  if (l4end >= 0) {
    const fields: [keyof RawTuple, string][] = [["sport", "sport"], ["dport", "dport"], ["type", "type"], ["code", "code"], ["icmpId", "id"]];
    for (const [k, tag] of fields) {
      const v = numOrNull(tagText(s, tag, l4, l4end));
      if (v === undefined) return `bad number in <${tag}>`;
      (t as unknown as Record<string, number | null>)[k] = v;
    }
  }
  const c = s.indexOf("<counters>", from);
  if (c >= 0 && c < to) {
    const p = numOrNull(tagText(s, "packets", c, to));
    const b = numOrNull(tagText(s, "bytes", c, to));
    if (p === undefined || b === undefined) return "bad number in <counters>";
    t.packets = p;
    t.bytes = b;
  }
  return t;
}

export function parseXmlFlow(line: string, caches: ParseCaches, share: boolean): Entry | string {
  const o = line.indexOf('<meta direction="original">');
  const r = line.indexOf('<meta direction="reply">');
  const ind = line.indexOf('<meta direction="independent">');
  if (o < 0 || r < 0) return "a <flow> without original and reply <meta>";
  const oEnd = line.indexOf("</meta>", o);
  const rEnd = line.indexOf("</meta>", r);
  const orig = xmlTuple(line, o, oEnd, caches, share);
  if (typeof orig === "string") return orig;
  const reply = xmlTuple(line, r, rEnd, caches, share);
  if (typeof reply === "string") return reply;
  const l3 = attr(line, "layer3", "protoname", o, oEnd);
  const l4name = attr(line, "layer4", "protoname", o, oEnd);
  const l4num = dec(attr(line, "layer4", "protonum", o, oEnd) ?? "");
  if (l4name === null && l4num < 0) return "no <layer4> protocol";
  const e: Entry = {
    family: l3 === "ipv4" ? 4 : l3 === "ipv6" ? 6 : null,
    proto: l4name ?? L4_NAMES[l4num] ?? String(l4num),
    protoNum: l4num >= 0 ? l4num : -1,
    timeout: null,
    state: null,
    orig,
    reply,
    flags: [],
    mark: null,
    zone: null,
    use: null,
    id: null,
  };
  if (ind >= 0) {
    const end = line.indexOf("</meta>", ind);
    const to = end < 0 ? line.length : end;
    e.state = tagText(line, "state", ind, to);
    const nums: ["timeout" | "mark" | "zone" | "use" | "id", string][] = [["timeout", "timeout"], ["mark", "mark"], ["zone", "zone"], ["use", "use"], ["id", "id"]];
    for (const [k, tag] of nums) {
      const v = numOrNull(tagText(line, tag, ind, to));
      if (v === undefined) return `bad number in <${tag}>`;
      e[k] = v;
    }
    // empty elements are status flags: <assured/>, <unreplied/>, ...
    let k = line.indexOf("/>", ind);
    while (k >= 0 && k < to) {
      const lt = line.lastIndexOf("<", k);
      const name = line.slice(lt + 1, k);
      if (name && !name.includes(" ")) e.flags.push(name.toUpperCase());
      k = line.indexOf("/>", k + 2);
    }
    // keep the text order: UNREPLIED sits between the tuples, before ASSURED
    e.flags.sort((a, b) => (a === "UNREPLIED" ? -1 : b === "UNREPLIED" ? 1 : 0));
  }
  return e;
}

