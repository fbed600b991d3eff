/** The flow: one real connection to a container or a published port, as the report carries it. */
import type { Evidence } from "./model.js";

export type Path = "dnat" | "docker-proxy" | "direct" | "unknown";
export type PathDetail = "dnat" | "host-nat" | "hairpin" | "hairpin-self" | "docker-proxy" | "direct" | "unknown";
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
}

