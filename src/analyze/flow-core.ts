/**
 * The attribution's state: the flows made so far, and which sockets and
 * conntrack entries (legs) they already cite, so that each leg is part of one
 * flow. The passes (flow-proxy.ts, flow-server.ts, flows.ts) build on it.
 */
import { ev, type HostModel, type Sock } from "./model.js";
import type { BundleConntrack } from "./bundle.js";
import { endpoint } from "../net/index.js";
import { flatten } from "../strings.js";
import { FlowIndex } from "./flow-index.js";
import type { AttributedFlow, ClientKind, Endpoint } from "./flow-types.js";

export const OPEN_STATES = new Set(["ESTABLISHED", "CLOSE_WAIT", "FIN_WAIT1", "FIN_WAIT2", "LAST_ACK", "CLOSING", "SYN_RECV"]);

export function ep(ip: string, port: number | null): Endpoint {
  return { ip, port };
}

/**
 * A flow's client, its four fields in one literal: a spread (`{ ip, port, ...kind }`)
 * puts the copied fields out of the object (~30 bytes more each, 108,000 flows).
 */
export function clientOf(ip: string, port: number | null, k: { kind: ClientKind; container: string | null }): AttributedFlow["client"] {
  return { ip, port, kind: k.kind, container: k.container };
}

/**
 * The legs (sockets, conntrack entries) one attribution run has made part of a
 * flow: a mark on the leg itself, the run's own token, so a second run over the
 * same model starts with none used. A Set of the bench host's 400,000 legs cost
 * ~0.1 s of hashing and ~12 MB at the peak of the run.
 */
export class UsedLegs {
  private readonly token = {};
  has(leg: Sock | BundleConntrack): boolean {
    return leg.usedBy === this.token;
  }
  add(leg: Sock | BundleConntrack): void {
    leg.usedBy = this.token;
  }
}

export class AttributionCore {
  protected readonly ix: FlowIndex;

  constructor(protected readonly m: HostModel) {
    this.ix = new FlowIndex(m);
  }

  readonly flows: AttributedFlow[] = [];

  protected readonly used = new UsedLegs();

  protected newFlow(partial: Partial<AttributedFlow> & Pick<AttributedFlow, "proto" | "state" | "client">): AttributedFlow {
    // every field in one literal (a spread of `partial` put the fields it adds out of the object)
    const f: AttributedFlow = {
      // SYN_RECV: the handshake never completed (a half-open server socket, or a conntrack entry whose final ACK never came)
      outcome: partial.outcome ?? ((OPEN_STATES.has(partial.state) && partial.state !== "SYN_RECV") || partial.state === "ASSURED" || partial.state === "UNCONN" ? "open" : partial.state === "TIME_WAIT" ? "closed" : "failed"),
      path: partial.path ?? "unknown",
      pathDetail: partial.pathDetail ?? "unknown",
      snat: partial.snat !== undefined ? partial.snat : null,
      published: partial.published !== undefined ? partial.published : null,
      proxy: partial.proxy !== undefined ? partial.proxy : null,
      container: partial.container !== undefined ? partial.container : null,
      containerSees: partial.containerSees !== undefined ? partial.containerSees : null,
      confidence: partial.confidence ?? "possible",
      reasons: partial.reasons ?? [],
      evidence: partial.evidence ?? [],
      proto: partial.proto,
      state: partial.state,
      client: partial.client,
    };
    this.flows.push(f);
    return f;
  }

  protected use(f: AttributedFlow, leg: Sock | BundleConntrack, note: string): void {
    // A leg the flow cites already has its line among the flow's evidence: each socket and
    // conntrack entry comes from a line of its own (a list of legs per flow cost 8 MB on the bench host).
    const src = leg.source;
    const cited = f.evidence;
    for (let i = 0; i < cited.length; i++) if (cited[i]!.line === src.line && cited[i]!.file === src.file) return;
    this.used.add(leg);
    // concat makes an array of the exact size (a spread `[...a, x]` grows one by pushes, to 17 slots)
    f.evidence = cited.concat([ev(src, this.note(note))]);
  }

  /**
   * One flat copy of each evidence note: most name a container or a netns
   * (`server socket in web`) and repeat on thousands of flows, each built anew.
   */
  private note(text: string): string {
    let n = this.notes.get(text);
    if (n === undefined) this.notes.set(text, (n = flatten(text)));
    return n;
  }
  private readonly notes = new Map<string, string>();

  /** Attach the client's own socket (in any netns) for a connection from `client` to `dialled`. */
  protected attachClient(f: AttributedFlow, dialled: Endpoint): void {
    if (f.client.port === null) return;
    for (const s of this.ix.find(f.proto, ep(f.client.ip, f.client.port), dialled)) {
      if (this.used.has(s)) continue;
      this.use(f, s, `client socket (${s.netns})`);
      if (s.netns.startsWith("container:") && f.client.kind !== "container") {
        f.client.kind = "container";
        f.client.container = s.netns.slice("container:".length);
      } else if (s.netns === "host" && f.client.kind === "unknown") f.client.kind = "host";
      if (s.netns.startsWith("container:") && !f.client.container) f.client.container = s.netns.slice("container:".length);
    }
  }
}
