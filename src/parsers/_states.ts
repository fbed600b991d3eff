/** TCP state names: kernel codes (include/net/tcp_states.h) and the texts netstat and ss print. */
import type { SocketState, TcpState } from "../types.js";

/** Index = kernel state code. */
export const KERNEL_TCP_STATES: readonly (TcpState | undefined)[] = [
  undefined,
  "ESTABLISHED", // 01
  "SYN_SENT", // 02
  "SYN_RECV", // 03
  "FIN_WAIT1", // 04
  "FIN_WAIT2", // 05
  "TIME_WAIT", // 06
  "CLOSE", // 07
  "CLOSE_WAIT", // 08
  "LAST_ACK", // 09
  "LISTEN", // 0A
  "CLOSING", // 0B
  "NEW_SYN_RECV", // 0C
  "BOUND_INACTIVE", // 0D
];

const TEXT_STATES: Record<string, SocketState> = {
  // netstat (net-tools, BusyBox)
  ESTABLISHED: "ESTABLISHED",
  SYN_SENT: "SYN_SENT",
  SYN_RECV: "SYN_RECV",
  FIN_WAIT1: "FIN_WAIT1",
  FIN_WAIT2: "FIN_WAIT2",
  TIME_WAIT: "TIME_WAIT",
  CLOSE: "CLOSE",
  CLOSE_WAIT: "CLOSE_WAIT",
  LAST_ACK: "LAST_ACK",
  LISTEN: "LISTEN",
  CLOSING: "CLOSING",
  // ss
  ESTAB: "ESTABLISHED",
  "SYN-SENT": "SYN_SENT",
  "SYN-RECV": "SYN_RECV",
  "FIN-WAIT-1": "FIN_WAIT1",
  "FIN-WAIT-2": "FIN_WAIT2",
  "TIME-WAIT": "TIME_WAIT",
  "CLOSE-WAIT": "CLOSE_WAIT",
  "LAST-ACK": "LAST_ACK",
  UNCONN: "UNCONN",
  UNDEF: "UNKNOWN",
};

/** Map a printed state (netstat or ss spelling) to natlens' name, or null if unknown. */
export function stateFromText(text: string): SocketState | null {
  return TEXT_STATES[text] ?? null;
}
