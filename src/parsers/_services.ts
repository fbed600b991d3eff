/** Service names (as netstat/ss print them without -n) back to port numbers. */
import { SERVICES } from "../data/services.js";

/**
 * The port for a printed service: a number is returned as is; a name is looked
 * up for the protocol (then the other one); null when unknown.
 */
export function servicePort(text: string, proto: "tcp" | "udp" = "tcp"): number | null {
  if (/^\d+$/.test(text)) {
    const n = Number(text);
    return n <= 65535 ? n : null;
  }
  return SERVICES[`${text}/${proto}`] ?? SERVICES[`${text}/${proto === "tcp" ? "udp" : "tcp"}`] ?? null;
}
