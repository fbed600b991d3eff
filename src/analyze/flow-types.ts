/** The flow: one real connection to a container or a published port, as the report carries it. */
import type { Evidence } from "./model.js";
import type { FlowWhatIf } from "../whatif/predict.js";

/** `forwarder`: a rootless engine's userland forwarder (rootlessport, rootlesskit, slirp4netns) relayed it (src/analyze/rootless.ts). */
export type Path = "dnat" | "docker-proxy" | "forwarder" | "direct" | "unknown";
export type PathDetail = "dnat" | "host-nat" | "hairpin" | "hairpin-self" | "docker-proxy" | "rootlessport" | "rootlesskit" | "slirp4netns" | "direct" | "unknown";
export type Confidence = "certain" | "likely" | "possible";
export type ClientKind = "external" | "host" | "container" | "unknown";

export interface Endpoint {
  ip: string;
  port: number | null;
}

export interface Flow {
  proto: string;
  state: string;
  /** open: the connection is up; failed: it never completed (SYN_SENT, UNREPLIED); closed: TIME_WAIT leftovers. */
  outcome: "open" | "failed" | "closed";
  path: Path;
  pathDetail: PathDetail;
  snat: boolean | null;
  client: { ip: string; port: number | null; kind: ClientKind; container: string | null };
  published: Endpoint | null;
  proxy: { pid: number | null; frontend: { local: Endpoint; remote: Endpoint } | null; backend: { local: Endpoint; remote: Endpoint } | null; pairing: string } | null;
  container: { name: string; ip: string; port: number | null } | null;
  /** The peer address the container's socket shows. */
  containerSees: Endpoint | null;
  confidence: Confidence;
  explanation: string;
  evidence: Evidence[];
  /** `analyze --what-if`: what would happen to this flow with the daemon changed (src/whatif/); absent without --what-if. */
  whatIf?: FlowWhatIf;
}


/** Who dialled, as a reason tells it: the client at the time the reason was decided. */
export interface Who {
  kind: ClientKind;
  container: string | null;
  ip: string;
}

/**
 * Why the attribution decided a flow's path: data only, no English (the
 * explanation stage, explain-text.ts, writes the sentence). Each kind is one
 * pattern of evidence; values are as they stood when the decision was made.
 */
export type Reason =
  /** A host process whose owner is known connected to the container's own address. */
  | { kind: "host-direct"; program: string | null; pid: number | null; container: string; dst: Endpoint }
  /** A host socket to the container's address, owner unknown (no -p). */
  | { kind: "host-socket-owner-unknown"; local: Endpoint; container: string }
  /** A host socket to the container's address, owner unknown, and no docker-proxy frontend waiting for it. */
  | { kind: "host-socket-no-frontend"; peer: Endpoint; container: string }
  /** Conntrack's reply tuple proves DNAT (and SNAT when the reply goes to another address). */
  | { kind: "dnat-conntrack"; who: Who; published: Endpoint | null; replySrc: Endpoint; replyDst: Endpoint; container: string | undefined; snat: boolean | null; pathDetail: PathDetail; failed: boolean; ctState: string | null; unreplied: boolean }
  /** The host's client socket dialled a published port and the container sees another peer: NAT without conntrack proof. */
  | { kind: "dnat-host-no-conntrack"; snat: boolean; client: Endpoint; published: Endpoint | null; peer: Endpoint }
  /** The container dialled its own published port. */
  | { kind: "hairpin-self"; container: string; published: Endpoint | null; peer: Endpoint }
  /** The peer is a host address, nothing explains the connection. */
  | { kind: "host-peer-unexplained"; peer: Endpoint }
  /** The bridge gateway dialled the container and the host's socket table is missing. */
  | { kind: "gateway-no-host-table"; container: string; peer: Endpoint; conntrackProof: boolean; proxied: boolean }
  /** Another container dialled this container's own address. */
  | { kind: "container-direct"; client: string; container: string; dst: Endpoint }
  /** A client dialled a published port and the container sees its real address. */
  | { kind: "dnat-no-snat"; client: string; published: Endpoint | null; container: string; hairpin: boolean }
  /** Conntrack shows the peer dialled the container's address itself. */
  | { kind: "direct-conntrack"; peer: Endpoint; container: string; dst: Endpoint }
  /** An outside peer reached a container that publishes this port: most likely DNAT. */
  | { kind: "dnat-guess-external"; peerIp: string; container: string; port: number | null }
  /** The peer reached the container's own address; no NAT seen. */
  | { kind: "direct-no-nat-seen"; peer: Endpoint; container: string }
  /** The peer reached the container's own address and the rule dump proves nothing DNATed it (why: empty tables, zero counters). */
  | { kind: "direct-no-dnat-rule"; peer: Endpoint; container: string; dst: Endpoint; why: string; conntrackInBundle: boolean }
  /** A --network host container answered in the host's own namespace. */
  | { kind: "host-network"; who: string; dst: Endpoint; container: string; peer: Endpoint; conntrack: "none" | "no-nat" | "nat" }
  /** docker-proxy's frontend and backend legs paired. */
  | { kind: "proxy-paired"; who: Who; published: Endpoint | null; pid: number | null; backendLocal: Endpoint; backendRemote: Endpoint; container: string; pairing: string }
  /** docker-proxy relays UDP for the only un-NATed sender to the port. */
  | { kind: "proxy-udp"; who: Who; published: Endpoint | null; pid: number | null; backendLocal: Endpoint; container: string }
  /** docker-proxy relays UDP for several senders: this is one of them (which backend socket is its is not in the capture). */
  | { kind: "proxy-udp-group"; who: Who; published: Endpoint | null; pid: number | null; gateway: string; container: string; senders: number; backends: number }
  /** docker-proxy's UDP replies leave from another address than the one dialled (conntrack: UNREPLIED entries from the host). */
  | { kind: "udp-reply-elsewhere"; from: Endpoint; dialled: Endpoint }
  /** docker-proxy's backend leg without its client side. */
  | { kind: "proxy-client-unknown"; pid: number | null; backendLocal: Endpoint; container: string }
  /** Added to a proxy reason decided without socket owners. */
  | { kind: "owners-unknown" }
  /** docker-proxy's frontend without its backend leg. */
  | { kind: "proxy-frontend-only"; pid: number | null; remote: Endpoint; published: Endpoint | null; ownerInferred: boolean; container: string | null; closed: boolean }
  /** Conntrack entries alone pair a client leg and a gateway-to-container leg: docker-proxy. */
  | { kind: "conntrack-proxy-paired"; clientKind: ClientKind; clientIp: string; published: Endpoint | null; gateway: Endpoint; container: string }
  /** Conntrack shows the gateway-to-container leg of docker-proxy, client unknown. */
  | { kind: "conntrack-proxy-unpaired"; gateway: Endpoint; container: string; candidates: number }
  /** Conntrack shows a connection to the container's own address. */
  | { kind: "conntrack-direct"; src: Endpoint; container: string; dst: Endpoint }
  /** Only the client's socket to a published port: the path follows from the daemon's mode. */
  | { kind: "client-only"; clientContainer: string | null; local: Endpoint; published: Endpoint | null; mode: "on" | "off" | "unknown"; ipv6?: Ipv6Why }
  /** Connected to dockerd's placeholder listener (userland-proxy off, no DNAT): never accepted, never answered. */
  | { kind: "placeholder"; clientContainer: string | null; client: Endpoint; published: Endpoint; pid: number | null }
  /** A connected UDP sender to a published port with no conntrack entry where others have one: its datagrams never got through. */
  | { kind: "udp-unconfirmed"; clientContainer: string | null; local: Endpoint; published: Endpoint | null }
  /** A rootless engine's forwarder accepted the connection in the host's namespace; its legs to the container (src/analyze/rootless.ts). */
  | {
      kind: "forwarder";
      forwarder: "rootlessport" | "rootlesskit" | "slirp4netns";
      pid: number | null;
      published: Endpoint;
      client: Endpoint;
      /** The forwarder's client is slirp4netns dialling out for a container. */
      viaSlirp: boolean;
      /** Without socket owners: the client socket may be slirp4netns' for a container as well as a host process's. */
      maybeSlirp: boolean;
      hops: { from: Endpoint; to: Endpoint; via: string; pid: number | null }[];
      container: string | null;
      sees: Endpoint | null;
      engine: "podman" | "docker";
      /** Set when the container behind slirp4netns was found. */
      clientContainer?: { name: string; local: Endpoint; masqueraded: Endpoint | null; paired: boolean };
    }
  /** A rootless engine's forwarder relays datagrams into the container. */
  | { kind: "forwarder-udp"; forwarder: "rootlessport" | "rootlesskit" | "slirp4netns"; pid: number | null; published: Endpoint; paired: boolean; clientKnown: boolean; container: string; sees: Endpoint | null; viaDockerProxy: boolean; conntrackInBundle: boolean; undelivered: boolean }
  /** A client socket stuck in SYN_SENT. */
  | { kind: "stalled"; clientContainer: string | null; local: Endpoint; remote: Endpoint; conntrack: boolean; noDnat?: string; placeholder?: number | null };

/**
 * Why an IPv6 client of a published port was not taken as DNATed (flows.ts ipv6Client):
 * `not-captured`: the IPv6 nat table is not in the bundle; `no-rule`: it holds no DNAT
 * rule for the port; `proxy-to-ipv4`: docker-proxy relays the port to an IPv4 address.
 */
export type Ipv6Why = "not-captured" | "no-rule" | "proxy-to-ipv4";

/** A flow as the attribution stage hands it on: the report's fields but the explanation, and the reasons for it. */
export type AttributedFlow = Omit<Flow, "explanation"> & { reasons: Reason[] };
