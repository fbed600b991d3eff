/** The host runs a container engine other than Docker and Podman (CRI-O, containerd alone): no Docker port publishing exists to explain. */
import type { FindingModule } from "./types.js";

export const meta = {
  id: "other-engine",
  severity: "info",
  description: "the host runs CRI-O or containerd without Docker (a Kubernetes node, typically): there is no docker-proxy and no Docker port publishing, so flows are attributed from sockets, conntrack and whatever rules the bundle holds",
  docs: "README.md#paths",
} as const;

export const check: FindingModule["check"] = (m) => {
  const e = m.engine;
  if (e.value !== "cri-o" && e.value !== "containerd") return [];
  const name = e.value === "cri-o" ? "CRI-O" : "containerd";
  return [
    {
      order: 0,
      id: meta.id,
      severity: meta.severity,
      message: `this host runs ${name}, not Docker (${e.how}): there is no docker-proxy and no Docker port publishing to explain; ports a Kubernetes node exposes (hostPort through the CNI portmap plugin, NodePort through kube-proxy) are DNAT rules like any other, and flows through them are attributed from conntrack and the rules the bundle holds`,
      evidence: e.evidence,
    },
  ];
};
