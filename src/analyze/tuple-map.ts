/**
 * A map keyed by a connection tuple: a kind (the protocol), one end (address,
 * port) and the other end. Analysis looks sockets and conntrack entries up by
 * tuple hundreds of thousands of times; a text key (`tcp|10.0.0.2|80|...`)
 * has to be built, flattened and hashed on every lookup, while here every
 * level is a Map keyed by a number: addresses get small ids (their strings
 * are shared and keep their hash), and an end is `id * 65537 + port`.
 * Measured on the bench host: 3x faster lookups than the text keys.
 *
 * Keys are nested kind -> first end -> second end, so put the end with fewer
 * distinct values first (a server's address and port, not its clients').
 */
const NO_PORT = 65536;

/**
 * A first end's only second end and its value. Most first ends have one (a
 * client's address and port); a Map for each of those cost ~200 bytes, this
 * ~40. The slot becomes a Map when a second one arrives.
 */
class One<V> {
  constructor(
    readonly b: number,
    readonly v: V,
  ) {}
}

export class TupleMap<V> {
  private readonly ids = new Map<string, number>();
  private readonly byKind = new Map<number, Map<number, One<V> | Map<number, V>>>();
  /** Tuples with a port outside 0..65535 (a malformed dump), by text key: they cannot be numbered. */
  private readonly odd = new Map<string, V>();
  /** Values in the order they were first set. */
  private readonly list: V[] = [];

  get size(): number {
    return this.list.length;
  }

  /** Values in insertion order. */
  values(): readonly V[] {
    return this.list;
  }

  get(kind: string, a: string, aPort: number | null, b: string, bPort: number | null): V | undefined {
    if (!isPort(aPort) || !isPort(bPort)) return this.odd.get(oddKey(kind, a, aPort, b, bPort));
    const k = this.ids.get(kind);
    const ia = this.ids.get(a);
    const ib = this.ids.get(b);
    // a string never set cannot be part of a key
    if (k === undefined || ia === undefined || ib === undefined) return undefined;
    const slot = this.byKind.get(k)?.get(end(ia, aPort));
    if (slot === undefined) return undefined;
    const kb = end(ib, bPort);
    if (slot instanceof One) return slot.b === kb ? slot.v : undefined;
    return slot.get(kb);
  }

  /** Sets the value unless the tuple already has one (the first one wins); returns the value held. */
  add(kind: string, a: string, aPort: number | null, b: string, bPort: number | null, value: V): V {
    if (!isPort(aPort) || !isPort(bPort)) {
      const key = oddKey(kind, a, aPort, b, bPort);
      const held = this.odd.get(key);
      if (held !== undefined) return held;
      this.odd.set(key, value);
      this.list.push(value);
      return value;
    }
    let ends = this.byKind.get(this.id(kind));
    if (!ends) this.byKind.set(this.id(kind), (ends = new Map()));
    const ka = end(this.id(a), aPort);
    const kb = end(this.id(b), bPort);
    const slot = ends.get(ka);
    if (slot === undefined) ends.set(ka, new One(kb, value));
    else if (slot instanceof One) {
      if (slot.b === kb) return slot.v;
      ends.set(
        ka,
        new Map([
          [slot.b, slot.v],
          [kb, value],
        ]),
      );
    } else {
      const held = slot.get(kb);
      if (held !== undefined) return held;
      slot.set(kb, value);
    }
    this.list.push(value);
    return value;
  }

  private id(s: string): number {
    let v = this.ids.get(s);
    if (v === undefined) this.ids.set(s, (v = this.ids.size));
    return v;
  }
}

/** No port (null), or a port a number can hold: an integer 0..65535. */
function isPort(port: number | null): boolean {
  return port === null || (port >= 0 && port <= 65535 && Number.isInteger(port));
}

/** One end as a number (the port is checked by isPort). */
function end(id: number, port: number | null): number {
  return id * 65537 + (port === null ? NO_PORT : port);
}

function oddKey(kind: string, a: string, aPort: number | null, b: string, bPort: number | null): string {
  return `${kind}|${a}|${aPort}|${b}|${bPort}`;
}
