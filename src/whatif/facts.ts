/**
 * The host facts a what-if rests on besides the rules, read from the
 * bundle's settings (sysctl, uname, docker info, daemon.json): the kernel
 * release, route_localnet per interface, hairpin_mode per bridge port,
 * bridge-nf-call-ip*tables, Docker's exact version, daemon.json's keys. Each
 * fact carries the line it was read from; a fact the bundle does not hold is
 * null, and the prediction then names it as the assumption that decides.
 */
import { ev, type Evidence, type HostModel } from "../analyze/model.js";
import type { SettingRecord } from "../types.js";

export interface Known<T> {
  value: T;
  evidence: Evidence;
}

export interface WhatIfFacts {
  /** `uname` kernel.release, else docker info's Kernel Version. */
  kernel: Known<string> | null;
  /** Docker's exact version (docker info's Server Version), as [major, minor, patch]. */
  docker: Known<[number, number, number]> | null;
  /** net.ipv4.conf.<iface>.route_localnet, by interface (`all` included). */
  routeLocalnet: Map<string, Known<boolean>>;
  /** hairpin_mode of every port of a bridge, by bridge. */
  hairpin: Map<string, Known<boolean>[]>;
  /** net.bridge.bridge-nf-call-iptables (4) and -ip6tables (6). */
  bridgeNfCall: Record<4 | 6, Known<boolean> | null>;
  /** daemon.json's top-level keys (without `daemon.`), and whether a daemon.json was read at all. */
  daemon: Map<string, Known<string>>;
  daemonJsonRead: boolean;
}

/** A dotted version's first three numbers (`20.10.24+dfsg1` -> [20, 10, 24], `6.1.0-18-amd64` -> [6, 1, 0]). */
export function versionOf(text: string): [number, number, number] | null {
  const m = /^v?(\d+)\.(\d+)(?:\.(\d+))?/.exec(text.trim());
  return m ? [Number(m[1]), Number(m[2]), Number(m[3] ?? 0)] : null;
}

/** a >= b for [major, minor, patch]. */
export function atLeast(a: readonly number[], b: readonly number[]): boolean {
  for (let i = 0; i < 3; i++) {
    if ((a[i] ?? 0) !== (b[i] ?? 0)) return (a[i] ?? 0) > (b[i] ?? 0);
  }
  return true;
}

function known<T>(s: SettingRecord, value: T, note: string): Known<T> {
  return { value, evidence: ev(s.source, note, `${s.key} = ${s.value}`) };
}

export function readFacts(m: HostModel): WhatIfFacts {
  const f: WhatIfFacts = { kernel: null, docker: null, routeLocalnet: new Map(), hairpin: new Map(), bridgeNfCall: { 4: null, 6: null }, daemon: new Map(), daemonJsonRead: m.inputs.some((i) => i.format === "daemon-json") };
  for (const s of m.settings) {
    const k = s.key;
    let x: RegExpExecArray | null;
    if (k === "kernel.release" && (f.kernel === null || s.format === "uname")) f.kernel = known(s, s.value, "kernel release");
    else if (k === "docker.kernel_version" && f.kernel === null) f.kernel = known(s, s.value, "kernel release (docker info)");
    else if (k === "docker.server_version") {
      const v = versionOf(s.value);
      if (v) f.docker = known(s, v, "Docker version (docker info)");
    } else if ((x = /^net\.ipv4\.conf\.(.+)\.route_localnet$/.exec(k))) f.routeLocalnet.set(x[1]!, known(s, s.value.trim() === "1", "route_localnet"));
    else if ((x = /^sys\.class\.net\.(.+)\.brif\.(.+)\.hairpin_mode$/.exec(k))) {
      const list = f.hairpin.get(x[1]!) ?? [];
      list.push(known(s, s.value.trim() === "1", `hairpin_mode of ${x[2]} on ${x[1]}`));
      f.hairpin.set(x[1]!, list);
    } else if (k === "net.bridge.bridge-nf-call-iptables") f.bridgeNfCall[4] = known(s, s.value.trim() === "1", "bridge-nf-call-iptables");
    else if (k === "net.bridge.bridge-nf-call-ip6tables") f.bridgeNfCall[6] = known(s, s.value.trim() === "1", "bridge-nf-call-ip6tables");
    else if (k.startsWith("daemon.")) f.daemon.set(k.slice(7), known(s, s.value, `daemon.json ${k.slice(7)}`));
  }
  return f;
}

/** What is missing from the bundle, by the file that would have told it (for "cannot tell (missing: ...)"). */
export const MISSING = {
  kernel: "the kernel release (uname -a)",
  bridgeNf: "net.bridge.bridge-nf-call-iptables (sysctl)",
  docker: "Docker's exact version (docker info)",
} as const;
