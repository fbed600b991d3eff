/** The explanation stage's sentences: one per kind of attribution reason (flow-types.ts Reason). */
import { endpoint } from "../net/index.js";
import type { Endpoint, Ipv6Why, Reason, Who } from "./flow-types.js";
import { forwarderText } from "./rootless-text.js";

const fmt = (e: Endpoint | null): string => (e ? endpoint(e.ip, e.port) : "?");
const program = (pid: number | null) => (pid !== null ? `docker-proxy (pid ${pid})` : "docker-proxy");
/** The client as proxy reasons name it. */
const client = (w: Who) => (w.kind === "container" ? `container ${w.container ?? w.ip}` : w.kind === "host" ? "a host process" : `client ${w.ip}`);
/** The client of a start of a sentence about one of its own sockets. */
const clientOf = (container: string | null, local: Endpoint) => (container ? `container ${container}` : fmt(local));

/** Why an IPv6 client-only flow is not DNAT (Ipv6Why): an IPv4 DNAT rule never rewrites an IPv6 packet. */
function ipv6Text(why: Ipv6Why, mode: "on" | "off" | "unknown", published: Endpoint | null): string {
  const port = published?.port ?? "?";
  if (why === "proxy-to-ipv4") return `; docker-proxy relays this IPv6 port to the container's IPv4 address, which no IPv6 DNAT rule can do, so docker-proxy relayed it`;
  if (why === "no-rule")
    return mode === "on"
      ? `; an IPv6 packet is DNATed only by an IPv6 (ip6tables) rule, and there is none for port ${port}, so docker-proxy relayed it`
      : `; an IPv6 packet is DNATed only by an IPv6 (ip6tables) rule, and there is none for port ${port}; with userland-proxy off no docker-proxy relays it either, so what answered it is unknown`;
  return `; it is IPv6, and the IPv6 nat rules are not in the bundle (no ip6tables-save or nft list ruleset): an ip6tables DNAT rule would have sent it to the container's IPv6 address, without one ${mode === "on" ? "docker-proxy relays it" : "nothing relays it (userland-proxy off)"}, so the path is unknown (the IPv4 DNAT rule for the port never applies to an IPv6 packet)`;
}

/** The text of one reason; a flow's explanation is the text of its reasons in order. */
export function reasonText(r: Reason): string {
  switch (r.kind) {
    case "host-direct":
      return `a host process (${r.program ?? `pid ${r.pid}`}) connected straight to ${r.container} at ${fmt(r.dst)}; no NAT, no docker-proxy`;
    case "host-socket-owner-unknown":
      return `a host socket ${fmt(r.local)} is connected straight to ${r.container}; its owner is unknown (no -p), so it may also be a docker-proxy backend`;
    case "host-socket-no-frontend":
      return `a host socket ${fmt(r.peer)} connected straight to ${r.container}; its owner is unknown (no -p in the bundle) and no docker-proxy frontend is waiting for it`;
    case "dnat-conntrack": {
      const who = r.who.kind === "container" ? `container ${r.who.container ?? r.who.ip}` : r.who.kind === "host" ? "a host process" : `external client ${r.who.ip}`;
      let text = `${who} dialled ${fmt(r.published)}; conntrack shows the reply coming from ${fmt(r.replySrc)}, so the kernel DNATed it to ${r.container}`;
      if (r.snat) text += ` and rewrote the source to ${fmt(r.replyDst)} (${r.pathDetail === "host-nat" ? "MASQUERADE of host traffic, userland-proxy off" : "MASQUERADE"})`;
      if (r.failed) text += `, but the connection never completed (${r.ctState ?? "no state"}${r.unreplied ? ", UNREPLIED" : ""})`;
      else if (!r.snat) text += "; the container sees the real client";
      if (r.pathDetail === "hairpin") text += " (hairpin NAT on the bridge)";
      return text + ".";
    }
    case "dnat-host-no-conntrack":
      return `${r.snat ? "DNAT + MASQUERADE" : "DNAT in nat OUTPUT"}: the host process ${fmt(r.client)} dialled ${fmt(r.published)}; no host socket ${fmt(r.peer)} exists, so the kernel rewrote the connection (no conntrack entry to prove it)`;
    case "hairpin-self":
      return `hairpin NAT: ${r.container} dialled its own published port ${fmt(r.published)}; DNAT plus the per-port MASQUERADE made it arrive from ${fmt(r.peer)}`;
    case "host-peer-unexplained":
      return `peer ${fmt(r.peer)} is a host address but no host socket or conntrack entry explains the connection`;
    case "gateway-no-host-table":
      return `${r.container} was dialled from its bridge gateway ${fmt(r.peer)}${r.conntrackProof ? " without NAT (conntrack)" : ""}: ${r.proxied ? "the pattern of a docker-proxy backend, " : ""}or a host process dialling it directly; the host's socket table is not in the bundle to tell which, or who the client was`;
    case "container-direct":
      return `${r.client} dialled ${r.container}'s own address ${fmt(r.dst)}: no NAT, no proxy`;
    case "dnat-no-snat":
      return `${r.client} dialled ${fmt(r.published)} and ${r.container} sees its real address: DNAT without SNAT${r.hairpin ? " (hairpin NAT on the bridge)" : ""}`;
    case "direct-conntrack":
      return `conntrack shows ${fmt(r.peer)} dialled ${r.container} at ${fmt(r.dst)} itself: no NAT`;
    case "dnat-guess-external":
      return `${r.peerIp} is outside the host and ${r.container} publishes port ${r.port}: most likely DNATed from a published port (no conntrack entry to prove it)`;
    case "direct-no-dnat-rule":
      return `${fmt(r.peer)} reached ${r.container} at its own address ${fmt(r.dst)}, routed to the bridge with no NAT: ${r.why}, so nothing DNATed it (no conntrack entry ${r.conntrackInBundle ? "for it" : "in the bundle"})`;
    case "host-network":
      return `${r.who} dialled ${fmt(r.dst)}, where ${r.container} (--network host) listens in the host's own network namespace: no NAT, no docker-proxy${r.conntrack === "none" ? "" : r.conntrack === "nat" ? "; but conntrack shows a NAT on it" : "; conntrack shows no NAT"}; ${r.container} sees ${fmt(r.peer)}`;
    case "direct-no-nat-seen":
      return `${fmt(r.peer)} reached ${r.container} at its own address; nothing shows a NAT (no conntrack entry)`;
    case "proxy-paired":
      return `${client(r.who)} dialled ${fmt(r.published)}, which no DNAT rule rewrote, so ${program(r.pid)} accepted it and opened a second connection ${fmt(r.backendLocal)} -> ${fmt(r.backendRemote)}; ${r.container} sees the gateway, not the client (pairing: ${r.pairing})`;
    case "proxy-udp":
      return `${client(r.who)} sends to ${fmt(r.published)}, which no DNAT rule rewrote, so ${program(r.pid)} relays its datagrams from ${fmt(r.backendLocal)}; ${r.container} sees the gateway (UDP has no accepted socket: paired as the only un-NATed sender to this port)`;
    case "proxy-udp-group":
      return `${client(r.who)} sends to ${fmt(r.published)}, which no DNAT rule rewrote, so ${program(r.pid)} relays its datagrams from ${r.gateway}; ${r.container} sees the gateway (${r.senders > 1 ? `one of ${r.senders} senders` : "the one sender"} in the capture for ${r.backends} backend socket${r.backends > 1 ? "s" : ""} of this docker-proxy: UDP keeps no accepted socket, so which backend port is this sender's is not in the capture)`;
    case "udp-reply-elsewhere":
      return `; docker-proxy's replies leave from ${fmt(r.from)}, not from the dialled ${fmt(r.dialled)} (conntrack shows them UNREPLIED), so a client with a connected socket drops them and never gets an answer (docker-proxy before 28.0, moby#48571)`;
    case "proxy-client-unknown":
      return `${program(r.pid)} connected ${fmt(r.backendLocal)} -> ${r.container}; its client-side socket is not in the bundle (or could not be paired), so the real client is unknown`;
    case "owners-unknown":
      return " (socket owners are not in the bundle: a host process dialling the container directly would look the same)";
    case "proxy-frontend-only":
      return `docker-proxy${r.pid !== null ? ` (pid ${r.pid})` : ""} accepted ${fmt(r.remote)} on ${fmt(r.published)}${r.ownerInferred ? " (owner inferred from the published port)" : ""}; its connection to ${r.container ?? "the container"} was not found in the bundle${r.closed ? "; the connection is closed" : ""}`;
    case "conntrack-proxy-paired":
      return `${r.clientKind === "host" ? "a host process" : `client ${r.clientIp}`} sent to ${fmt(r.published)} without NAT (conntrack), and the bridge gateway ${fmt(r.gateway)} talks to ${r.container} without NAT: docker-proxy relayed it (paired as the only such entries; ${r.container} sees the gateway)`;
    case "conntrack-proxy-unpaired":
      return `conntrack shows ${fmt(r.gateway)} (the bridge gateway) dialling ${r.container} without NAT: the pattern of a docker-proxy backend; ${r.candidates ? `${r.candidates} client entries could match` : "no entry in the bundle shows which client it serves"}`;
    case "conntrack-direct":
      return `conntrack shows ${fmt(r.src)} dialling ${r.container} at its own address ${fmt(r.dst)}: no NAT`;
    case "client-only":
      return `${clientOf(r.clientContainer, r.local)} is connected to the published port ${fmt(r.published)}; nothing else in the bundle shows this connection (no container socket table, conntrack entry or docker-proxy socket for it), so the path follows only from the daemon's mode (userland-proxy ${r.mode})${r.ipv6 ? ipv6Text(r.ipv6, r.mode, r.published) : ""}`;
    case "udp-unconfirmed":
      return `${clientOf(r.clientContainer, r.local)} sends to the published port ${fmt(r.published)}, but conntrack, which tracks this host's other UDP flows, holds no entry for it: its datagrams are dropped before their entry is confirmed (in FORWARD, as a dropped TCP SYN), or it has not sent anything for longer than the UDP timeout`;
    case "placeholder":
      return `${r.clientContainer ? `container ${r.clientContainer}` : fmt(r.client)} connected to ${fmt(r.published)}, which no rule DNATed and no docker-proxy serves (userland-proxy off): the kernel completed the handshake on dockerd's placeholder listener${r.pid !== null ? ` (pid ${r.pid})` : ""}, which holds the port only to reserve it and never accepts; the host's socket for it has no owner (inode 0, still in the accept queue), so nothing ever answers the client`;
    case "stalled":
      if (r.noDnat !== undefined)
        return `${clientOf(r.clientContainer, r.local)} is still waiting for an answer from ${fmt(r.remote)} (SYN_SENT): the connection never completed; ${r.noDnat}, so it was not DNATed and stayed on the host, where ${r.placeholder !== undefined && r.placeholder !== null ? `only dockerd's placeholder listener (pid ${r.placeholder}) holds the port: it never accepts, and once its accept queue is full (28.x listens with backlog 0) the kernel drops new SYNs` : "no docker-proxy serves the port"}`;
      return `${clientOf(r.clientContainer, r.local)} is still waiting for an answer from ${fmt(r.remote)} (SYN_SENT): the connection never completed${r.conntrack ? "" : "; no conntrack entry exists, which is what a packet dropped in FORWARD leaves behind (the entry is never confirmed)"}`;
    case "forwarder":
    case "forwarder-udp":
      return forwarderText(r);
    default: {
      const never: never = r;
      throw new Error(`unknown reason ${JSON.stringify(never)}`);
    }
  }
}
