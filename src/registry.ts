/**
 * The one list of input formats. Adding a format: write src/parsers/<id>.ts,
 * add it here, add fixtures under test/fixtures/<id>/ (see CONTRIBUTING.md).
 */
import type { FormatParser } from "./format.js";
import { procNetTcp } from "./parsers/proc-net-tcp.js";
import { netstat } from "./parsers/netstat.js";
import { ss } from "./parsers/ss/index.js";
import { ps } from "./parsers/ps/index.js";
import { iptablesSave } from "./parsers/iptables-save/index.js";
import { iptablesList } from "./parsers/iptables-list/index.js";
import { nft } from "./parsers/nft/index.js";
import { conntrack } from "./parsers/conntrack/index.js";
import { dockerInspect } from "./parsers/docker-inspect/index.js";
import { dockerPs } from "./parsers/docker-ps.js";
import { ipAddr } from "./parsers/ip-addr.js";
import { ipRoute } from "./parsers/ip-route.js";
import { sysctl } from "./parsers/sysctl.js";
import { uname } from "./parsers/uname.js";
import { dockerInfo } from "./parsers/docker-info.js";
import { daemonJson } from "./parsers/daemon-json.js";

export const FORMATS: readonly FormatParser[] = [
  procNetTcp,
  netstat,
  ss,
  ps,
  iptablesSave,
  iptablesList,
  nft,
  conntrack,
  dockerInspect,
  dockerPs,
  ipAddr,
  ipRoute,
  sysctl,
  uname,
  dockerInfo,
  daemonJson,
];
