/** Endpoint text: `ip:port`, `[v6]:port`, `*` for an unknown address or port. */

/** The address as it stands before `:port`: IPv6 in brackets. */
export function hostPart(ip: string): string {
  return ip.includes(":") ? `[${ip}]` : ip;
}

/** `ip:port` / `[v6]:port`; `*` for a null address or port (a listener on any port, an unknown peer). */
export function endpoint(ip: string | null, port: number | null): string {
  return `${ip === null ? "*" : hostPart(ip)}:${port ?? "*"}`;
}

/** An address with an optional port (NAT targets): the bare address when there is no port. */
export function addrWithPort(addr: string, port: number | string | null): string {
  return port === null || port === "" ? addr : `${hostPart(addr)}:${port}`;
}
