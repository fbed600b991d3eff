/**
 * The routing decision and the address facts it rests on: which addresses
 * are local, broadcast, and which interface a packet leaves by.
 */
import ipaddr from "ipaddr.js";
import { inCidr, isLocalAddr, normalizeAddr, parseAddr, parseCidr } from "../net/index.js";
import type { HostFacts } from "./types.js";

export function isLocal(addr: string, facts: HostFacts): boolean {
  return isLocalAddr(addr, facts.localAddrs);
}

export function isBroadcast(addr: string, facts: HostFacts): boolean {
  const a = parseAddr(addr);
  if (!a || a.kind() !== "ipv4") return false;
  if (a.toString() === "255.255.255.255") return true;
  for (const i of facts.interfaces) {
    for (const s of i.subnets) {
      const c = parseCidr(s);
      if (!c || c[0].kind() !== "ipv4" || c[1] >= 31) continue;
      const bc = ipaddr.IPv4.broadcastAddressFromCIDR(`${c[0].toString()}/${c[1]}`);
      if (bc.toString() === a.toString()) return true;
    }
  }
  return false;
}

/** The routing decision: local delivery, an interface whose subnet holds the address (longest prefix), or the default interface. */
export function route(dst: string, family: 4 | 6, facts: HostFacts, locallyGenerated: boolean): { local: boolean; iface: string | null } {
  if (isLocal(dst, facts)) {
    if (locallyGenerated) return { local: true, iface: "lo" };
    return { local: true, iface: null };
  }
  let best: { iface: string; len: number } | null = null;
  for (const i of facts.interfaces) {
    for (const s of i.subnets) {
      const c = parseCidr(s);
      if (!c || (c[0].kind() === "ipv6" ? 6 : 4) !== family) continue;
      if (inCidr(dst, `${c[0].toString()}/${c[1]}`) && (!best || c[1] > best.len)) best = { iface: i.name, len: c[1] };
    }
  }
  if (best) return { local: false, iface: best.iface };
  return { local: false, iface: facts.defaultIface };
}

/** The first address of `family` on `iface` (InterfaceFacts.addresses), normalised; null when none is known. */
export function primaryAddr(facts: HostFacts, iface: string, family: 4 | 6): string | null {
  const i = facts.interfaces.find((x) => x.name === iface) as { addresses?: string[] } | undefined;
  for (const a of i?.addresses ?? []) {
    const pa = parseAddr(a);
    if (pa && (pa.kind() === "ipv6" ? 6 : 4) === family) return normalizeAddr(a);
  }
  return null;
}

/** An interface name for prose: the engine's "" (no route in the inputs tells which) as words. */
export function ifaceText(iface: string): string {
  return iface === "" ? "an unknown interface" : iface;
}

/** The sysctl key of a per-interface setting, with a placeholder when the interface is unknown. */
export function confKey(iface: string, setting: string): string {
  return `net.ipv4.conf.${iface === "" ? "<interface>" : iface}.${setting}`;
}
