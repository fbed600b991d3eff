/** With userland-proxy off, dockerd itself holds the published ports (placeholders, never connected). */
import { ev, isDockerdName } from "../analyze/model.js";
import { PLACEHOLDER_QUEUED } from "../analyze/flows.js";
import { ep } from "./_shared.js";
import type { FindingModule } from "./types.js";

export const meta = {
  id: "dockerd-placeholders",
  severity: "info",
  description: "dockerd itself holds published-port listeners that only reserve the port (userland-proxy off), so netstat shows no connections on them",
  docs: "README.md#analyze-a-host",
} as const;

export const check: FindingModule["check"] = (m, flows) => {
  const placeholders = m.sockets.filter((s) => s.netns === "host" && s.state === "LISTEN" && isDockerdName(s.program));
  if (!placeholders.length) return [];
  const n = placeholders.length;
  // connections no rule DNATed land in a placeholder's accept queue and are never answered (attribution's `placeholder` reason)
  const stuck = flows.filter((f) => f.evidence.some((e) => e.note === PLACEHOLDER_QUEUED));
  const why = stuck.length
    ? `; ${stuck.length} connection${stuck.length > 1 ? "s" : ""} to them ${stuck.length > 1 ? "were" : "was"} not NATed and wait${stuck.length > 1 ? "" : "s"} in their accept queue, never answered (${stuck.map((f) => `${ep(f.client.ip, f.client.port)} -> ${f.published ? ep(f.published.ip, f.published.port) : "?"}`).join(", ")})`
    : "; every connection is NATed to the container, so netstat shows no connections on them";
  return [
    {
      order: 0,
      id: meta.id,
      severity: meta.severity,
      message: `dockerd itself holds ${n} published-port listener${n > 1 ? "s" : ""} (${placeholders.map((s) => ep(s.localIp, s.localPort)).join(", ")}): with userland-proxy off they only reserve the port${why}`,
      evidence: placeholders.slice(0, 4).map((s) => ev(s.source, "placeholder listener")),
    },
  ];
};
