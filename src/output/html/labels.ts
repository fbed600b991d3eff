/** Words the HTML report shows for a flow's fields (the text report has its own, upper-case tags). */
import type { Endpoint, Flow } from "../../analyze/flows.js";
import { endpoint } from "../../net/endpoint.js";

export const PATH_LABEL: Record<Flow["pathDetail"], string> = {
  dnat: "DNAT",
  "host-nat": "host NAT",
  hairpin: "hairpin",
  "hairpin-self": "hairpin to self",
  "docker-proxy": "docker-proxy",
  rootlessport: "rootlessport",
  rootlesskit: "rootlesskit",
  slirp4netns: "slirp4netns",
  direct: "direct",
  unknown: "unknown",
};

/** `ip:port`, IPv6 in brackets, `*` for a missing port. */
export function ep(e: Endpoint): string {
  return endpoint(e.ip, e.port);
}

/** What the container's socket shows as the peer, in words. */
export function seesText(f: Flow): string {
  const s = f.containerSees;
  if (!s) return "? (its socket is not in the bundle)";
  if (s.ip === f.client.ip && s.port === f.client.port) return "the real client";
  if (s.ip === f.client.ip) return `the client's address ${s.ip}`;
  if (f.path === "docker-proxy") return `the gateway ${s.ip}`;
  if (f.snat) return `${s.ip} (source NATed)`;
  return s.ip;
}
