/** Whether dockerd runs docker-proxy for published ports, and how natlens knows. */
import type { FindingModule } from "./types.js";

export const meta = {
  id: "userland-proxy",
  severity: "info",
  description: "whether dockerd runs docker-proxy (userland-proxy on or off), with the evidence for it",
  docs: "README.md#analyze-a-host",
} as const;

export const check: FindingModule["check"] = (m) => [
  { order: 0, id: meta.id, severity: meta.severity, message: `userland-proxy is ${m.userlandProxy.value}: ${m.userlandProxy.how}`, evidence: m.userlandProxy.evidence },
];
