/** The explanation of a rootless engine's forwarder flows (src/analyze/rootless.ts). */
import { endpoint } from "../net/index.js";
import type { Endpoint, Reason } from "./flow-types.js";

const fmt = (e: Endpoint | null): string => (e ? endpoint(e.ip, e.port) : "?");
const named = (forwarder: string, pid: number | null) => `${forwarder}${pid !== null ? ` (pid ${pid})` : ""}`;

export function forwarderText(r: Extract<Reason, { kind: "forwarder" | "forwarder-udp" }>): string {
  if (r.kind === "forwarder-udp" && r.undelivered) {
    return `${named(r.forwarder, r.pid)} holds ${fmt(r.published)} in the host's namespace, but rootlesskit's namespace has no conntrack entry for this client while it has one for each client whose datagrams arrived: they never reached ${r.container}`;
  }
  if (r.kind === "forwarder-udp") {
    const sees = r.sees
      ? `${r.viaDockerProxy ? "through docker-proxy in rootlesskit's namespace " : ""}from ${r.sees.port === null ? r.sees.ip : fmt(r.sees)}: ${r.container} sees ${r.sees.ip}, not the client`
      : `(its datagram leg to ${r.container} is not in the bundle; what ${r.container} sees is unknown)`;
    const client = r.paired
      ? "the client's socket is paired with the forwarder's only datagram leg (UDP has no accepted socket)"
      : r.clientKnown
        ? "the client's socket is the host's; which of the forwarder's datagram legs is its own is not shown (UDP has no accepted socket), so the port the container sees is unknown"
        : `the host's tables hold nothing that names this leg's client (a UDP forwarder's listener is not connected${r.conntrackInBundle ? "" : ", and the bundle has no conntrack entry for it"})`;
    return `${named(r.forwarder, r.pid)} holds ${fmt(r.published)} in the host's namespace and relays the datagrams into ${r.container} ${sees}; ${client}`;
  }
  const who = r.clientContainer
    ? `container ${r.clientContainer.name} (${fmt(r.clientContainer.local)})`
    : r.viaSlirp
      ? "a container"
      : `${fmt(r.client)}`;
  let text = `${who} dialled ${fmt(r.published)}, held in the host's namespace by ${named(r.forwarder, r.pid)} of rootless ${r.engine === "podman" ? "Podman" : "Docker"}: no NAT on the host; ${r.forwarder} accepted it`;
  if (r.viaSlirp) {
    text += ` from ${fmt(r.client)}, a connection slirp4netns opened on the container's behalf`;
    if (r.clientContainer?.masqueraded) text += ` (the rootless network namespace first masqueraded ${fmt(r.clientContainer.local)} to ${fmt(r.clientContainer.masqueraded)})`;
    if (r.clientContainer?.paired) text += "; several containers dialled this address: paired with slirp4netns' sockets by creation order";
    if (!r.clientContainer) text += "; the container's own socket is not in the bundle (or could not be paired)";
  }
  if (r.maybeSlirp) text += " (socket owners are not in the bundle: this client socket may also be slirp4netns dialling out for a container, whose own socket to this address is not paired)";
  for (const h of r.hops) {
    text +=
      h.via === "dnat"
        ? `; slirp4netns sent it on into rootlesskit's namespace from ${fmt(h.from)}, where Docker's rules DNATed it to ${fmt(h.to)} (conntrack there)`
        : h.via === "slirp4netns"
          ? `; slirp4netns sent it on into rootlesskit's namespace from ${fmt(h.from)} to ${fmt(h.to)}, where no DNAT rule took it`
          : h.via === "docker-proxy"
        ? `; docker-proxy${h.pid !== null ? ` (pid ${h.pid})` : ""} in rootlesskit's namespace took it and connected ${fmt(h.from)} -> ${fmt(h.to)}`
        : `; its ${h.via === "rootlessport" ? "child" : "child in rootlesskit's namespace"} connected ${fmt(h.from)} -> ${fmt(h.to)}${h.via === "rootlessport" ? ` from inside ${r.container ?? "the container"}'s namespace` : ""}`;
  }
  if (!r.hops.length) text += `; its connection to ${r.container ?? "the container"} is not in the bundle`;
  const real = r.viaSlirp ? r.clientContainer?.local : r.client;
  if (r.sees && r.container) text += real && r.sees.ip === real.ip && r.sees.port === real.port ? `. ${r.container} sees the real client ${fmt(r.sees)}` : `. ${r.container} sees ${fmt(r.sees)}, not the client${r.viaSlirp && r.sees.ip === r.client.ip ? " (slirp4netns' own connection from the host)" : ""}`;
  return text;
}
