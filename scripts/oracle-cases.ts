/**
 * Writes the kernel oracle's case inputs (test/oracle/cases/<name>/case.json and
 * its rule files) from templates: a ruleset crossed with the packets that probe
 * it. `npm run oracle` runs this, then scripts/kernel-oracle.ts records what the
 * kernel does with each case. Case folders that no template writes any more are
 * removed; recorded captures and expected.json of kept cases are left alone.
 *
 * Topology the addresses refer to (see kernel-oracle.ts): client 198.51.100.10,
 * 203.0.113.5, 2001:db8:1::10 on the host's eth0 (198.51.100.1, 2001:db8:1::1);
 * docker0 172.17.0.1/16 + fd00:17::1/64 with c1 172.17.0.2 / fd00:17::2;
 * br-lab 10.99.0.1/24 with c2 10.99.0.2.
 */
import { existsSync, mkdirSync, readdirSync, rmSync, writeFileSync, readFileSync } from "node:fs";
import { join, resolve, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import type { OracleCase } from "./kernel-oracle.js";

type Loader = OracleCase["rules"][number]["loader"];
type Pkt = OracleCase["packet"];

/** Every namespace listens on all of these (so a delivery is never refused for want of a socket). */
export const LISTEN_PORTS = [22, 53, 80, 90, 443, 3128, 5000, 5353, 8000, 8001, 8002, 8003, 8004, 8005, 8006, 8007, 8008, 8009, 8010, 8080, 8443, 9090];

interface Template {
  name: string;
  category: string;
  description: string;
  rules: [Loader, string][];
  packets: Record<string, Pkt>;
  sysctl?: Record<string, string>;
  /** Only these rule dumps are captured (file -> command): see OracleCase.captures. */
  captures?: [string, string[]][];
}

const tcp = (from: Pkt["from"], src: string, dst: string, dport: number, sport = 40001): Pkt => ({ proto: "tcp", src, sport, dst, dport, from });
const udp = (from: Pkt["from"], src: string, dst: string, dport: number, sport = 40001): Pkt => ({ proto: "udp", src, sport, dst, dport, from });

const CL = "198.51.100.10";
const EXT = "203.0.113.5";
const HOST = "198.51.100.1";
const C1 = "172.17.0.2";
const C2 = "10.99.0.2";
const CL6 = "2001:db8:1::10";
const HOST6 = "2001:db8:1::1";
const C16 = "fd00:17::2";

// ------------------------------------------------------------ Docker shapes --

interface DockerOpts {
  version: "20.10" | "28.x" | "29.x";
  proxy: boolean;
}

function dockerV4(o: DockerOpts): string {
  const nat: string[] = [
    "-A PREROUTING -m addrtype --dst-type LOCAL -j DOCKER",
    o.proxy ? "-A OUTPUT ! -d 127.0.0.0/8 -m addrtype --dst-type LOCAL -j DOCKER" : "-A OUTPUT -m addrtype --dst-type LOCAL -j DOCKER",
  ];
  if (!o.proxy) nat.push("-A POSTROUTING -o br-lab -m addrtype --src-type LOCAL -j MASQUERADE", "-A POSTROUTING -o docker0 -m addrtype --src-type LOCAL -j MASQUERADE");
  nat.push("-A POSTROUTING -s 10.99.0.0/24 ! -o br-lab -j MASQUERADE", "-A POSTROUTING -s 172.17.0.0/16 ! -o docker0 -j MASQUERADE");
  if (o.version === "20.10" || !o.proxy) {
    nat.push(
      "-A POSTROUTING -s 172.17.0.2/32 -d 172.17.0.2/32 -p tcp -m tcp --dport 80 -j MASQUERADE",
      "-A POSTROUTING -s 172.17.0.2/32 -d 172.17.0.2/32 -p udp -m udp --dport 53 -j MASQUERADE",
      "-A POSTROUTING -s 10.99.0.2/32 -d 10.99.0.2/32 -p tcp -m tcp --dport 90 -j MASQUERADE",
    );
  }
  if (o.proxy && o.version !== "29.x") nat.push("-A DOCKER -i br-lab -j RETURN", "-A DOCKER -i docker0 -j RETURN");
  const notIn = (br: string): string => (o.proxy ? `! -i ${br} ` : "");
  nat.push(
    `-A DOCKER ${notIn("docker0")}-p tcp -m tcp --dport 8080 -j DNAT --to-destination 172.17.0.2:80`,
    `-A DOCKER ${notIn("docker0")}-p udp -m udp --dport 5353 -j DNAT --to-destination 172.17.0.2:53`,
    `-A DOCKER ${notIn("br-lab")}-p tcp -m tcp --dport 9090 -j DNAT --to-destination 10.99.0.2:90`,
  );
  const filter: string[] = [];
  const chains = ["DOCKER", "DOCKER-USER"];
  if (o.version === "20.10") {
    chains.push("DOCKER-ISOLATION-STAGE-1", "DOCKER-ISOLATION-STAGE-2");
    filter.push("-A FORWARD -j DOCKER-USER", "-A FORWARD -j DOCKER-ISOLATION-STAGE-1");
    for (const br of ["br-lab", "docker0"]) {
      filter.push(
        `-A FORWARD -o ${br} -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT`,
        `-A FORWARD -o ${br} -j DOCKER`,
        `-A FORWARD -i ${br} ! -o ${br} -j ACCEPT`,
        `-A FORWARD -i ${br} -o ${br} -j ACCEPT`,
      );
    }
  } else {
    chains.push("DOCKER-BRIDGE", "DOCKER-CT", "DOCKER-FORWARD");
    if (o.version === "28.x") chains.push("DOCKER-ISOLATION-STAGE-1", "DOCKER-ISOLATION-STAGE-2");
    else chains.push("DOCKER-INTERNAL");
    filter.push("-A FORWARD -j DOCKER-USER", "-A FORWARD -j DOCKER-FORWARD");
  }
  filter.push(
    "-A DOCKER -d 172.17.0.2/32 ! -i docker0 -o docker0 -p tcp -m tcp --dport 80 -j ACCEPT",
    "-A DOCKER -d 172.17.0.2/32 ! -i docker0 -o docker0 -p udp -m udp --dport 53 -j ACCEPT",
    "-A DOCKER -d 10.99.0.2/32 ! -i br-lab -o br-lab -p tcp -m tcp --dport 90 -j ACCEPT",
  );
  if (o.version !== "20.10") {
    filter.push("-A DOCKER ! -i br-lab -o br-lab -j DROP", "-A DOCKER ! -i docker0 -o docker0 -j DROP");
    filter.push("-A DOCKER-BRIDGE -o br-lab -j DOCKER", "-A DOCKER-BRIDGE -o docker0 -j DOCKER");
    filter.push("-A DOCKER-CT -o br-lab -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT", "-A DOCKER-CT -o docker0 -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT");
    filter.push("-A DOCKER-FORWARD -j DOCKER-CT");
    filter.push(o.version === "28.x" ? "-A DOCKER-FORWARD -j DOCKER-ISOLATION-STAGE-1" : "-A DOCKER-FORWARD -j DOCKER-INTERNAL");
    filter.push("-A DOCKER-FORWARD -j DOCKER-BRIDGE", "-A DOCKER-FORWARD -i br-lab -j ACCEPT", "-A DOCKER-FORWARD -i docker0 -j ACCEPT");
  }
  if (o.version !== "29.x") {
    filter.push(
      "-A DOCKER-ISOLATION-STAGE-1 -i br-lab ! -o br-lab -j DOCKER-ISOLATION-STAGE-2",
      "-A DOCKER-ISOLATION-STAGE-1 -i docker0 ! -o docker0 -j DOCKER-ISOLATION-STAGE-2",
    );
    if (o.version === "20.10") filter.push("-A DOCKER-ISOLATION-STAGE-1 -j RETURN");
    filter.push("-A DOCKER-ISOLATION-STAGE-2 -o br-lab -j DROP", "-A DOCKER-ISOLATION-STAGE-2 -o docker0 -j DROP");
    if (o.version === "20.10") filter.push("-A DOCKER-ISOLATION-STAGE-2 -j RETURN");
  }
  if (o.version === "20.10") filter.push("-A DOCKER-USER -j RETURN");
  let out = `*nat\n:PREROUTING ACCEPT [0:0]\n:INPUT ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n:POSTROUTING ACCEPT [0:0]\n:DOCKER - [0:0]\n${nat.join("\n")}\nCOMMIT\n`;
  out += `*filter\n:INPUT ACCEPT [0:0]\n:FORWARD DROP [0:0]\n:OUTPUT ACCEPT [0:0]\n${chains.map((c) => `:${c} - [0:0]`).join("\n")}\n${filter.join("\n")}\nCOMMIT\n`;
  if (o.version !== "20.10") {
    out += "*raw\n:PREROUTING ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n-A PREROUTING -d 172.17.0.2/32 ! -i docker0 -j DROP\n-A PREROUTING -d 10.99.0.2/32 ! -i br-lab -j DROP\nCOMMIT\n";
  }
  return out;
}

function dockerV6(o: DockerOpts): string {
  const notIn = o.proxy ? "! -i docker0 " : "";
  const ll = o.version === "20.10" ? "" : "! -s fe80::/10 ";
  const nat = [
    "-A PREROUTING -m addrtype --dst-type LOCAL -j DOCKER",
    o.proxy ? "-A OUTPUT ! -d ::1/128 -m addrtype --dst-type LOCAL -j DOCKER" : "-A OUTPUT -m addrtype --dst-type LOCAL -j DOCKER",
    "-A POSTROUTING -s fd00:17::/64 ! -o docker0 -j MASQUERADE",
    ...(o.proxy && o.version !== "29.x" ? ["-A DOCKER -i docker0 -j RETURN"] : []),
    `-A DOCKER ${ll}${notIn}-p tcp -m tcp --dport 8080 -j DNAT --to-destination [fd00:17::2]:80`,
  ];
  const filter = [
    "-A FORWARD -o docker0 -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT",
    "-A FORWARD -o docker0 -j DOCKER",
    "-A FORWARD -i docker0 ! -o docker0 -j ACCEPT",
    "-A FORWARD -i docker0 -o docker0 -j ACCEPT",
    "-A DOCKER -d fd00:17::2/128 ! -i docker0 -o docker0 -p tcp -m tcp --dport 80 -j ACCEPT",
  ];
  let out = `*nat\n:PREROUTING ACCEPT [0:0]\n:INPUT ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n:POSTROUTING ACCEPT [0:0]\n:DOCKER - [0:0]\n${nat.join("\n")}\nCOMMIT\n`;
  out += `*filter\n:INPUT ACCEPT [0:0]\n:FORWARD DROP [0:0]\n:OUTPUT ACCEPT [0:0]\n:DOCKER - [0:0]\n${filter.join("\n")}\nCOMMIT\n`;
  if (o.version !== "20.10") out += "*raw\n:PREROUTING ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n-A PREROUTING -d fd00:17::2/128 ! -i docker0 -j DROP\nCOMMIT\n";
  return out;
}

/** The packets every Docker-shaped ruleset is probed with. */
const DOCKER_PACKETS: Record<string, Pkt> = {
  "client-published": tcp("client", CL, HOST, 8080),
  "ext-published-brlab": tcp("client", EXT, HOST, 9090),
  "client-direct-container": tcp("client", CL, C1, 80),
  "client-direct-unpublished": tcp("client", CL, C1, 443),
  "brlab-to-published": tcp("c2", C2, HOST, 8080),
  "own-bridge-to-published": tcp("c1", C1, HOST, 8080),
  "host-to-published": tcp("host", HOST, HOST, 8080),
  "host-loopback-published": tcp("host", "127.0.0.1", "127.0.0.1", 8080),
  "host-to-gateway-published": tcp("host", "172.17.0.1", "172.17.0.1", 9090),
  "container-to-other-bridge": tcp("c1", C1, C2, 90),
  "container-outbound": tcp("c1", C1, CL, 443),
  "client-udp-published": udp("client", CL, HOST, 5353),
  "client-v6-published": tcp("client", CL6, HOST6, 8080),
  "client-unpublished-host-port": tcp("client", CL, HOST, 22),
};

const DOCKER_V6_PACKETS: Record<string, Pkt> = {
  "v6-client-published": tcp("client", CL6, HOST6, 8080),
  "v6-client-direct": tcp("client", CL6, C16, 80),
  "v6-container-outbound": tcp("c1", C16, CL6, 443),
  "v6-host-loopback": tcp("host", "::1", "::1", 8080),
};

// -------------------------------------------------------------- templates --

const T: Template[] = [];

for (const version of ["20.10", "28.x", "29.x"] as const) {
  for (const proxy of [true, false]) {
    const o = { version, proxy };
    const tag = `docker${version.replace(/\W/g, "")}-${proxy ? "proxy" : "noproxy"}`;
    T.push({ name: tag, category: `docker-${version}`, description: `Docker ${version} rule shape, userland proxy ${proxy ? "on" : "off"} (iptables-nft)`, rules: [["iptables-nft-restore", dockerV4(o)]], packets: DOCKER_PACKETS });
    if (version !== "29.x") {
      T.push({ name: `${tag}-v6`, category: "ipv6", description: `Docker ${version} ip6tables shape, proxy ${proxy ? "on" : "off"}`, rules: [["ip6tables-nft-restore", dockerV6(o)]], packets: DOCKER_V6_PACKETS });
    }
  }
}
T.push({
  name: "docker2010-proxy-legacy",
  category: "docker-20.10",
  description: "Docker 20.10 (proxy on) loaded with iptables-legacy",
  rules: [["iptables-legacy-restore", dockerV4({ version: "20.10", proxy: true })]],
  packets: {
    "client-published": DOCKER_PACKETS["client-published"]!,
    "client-direct-unpublished": DOCKER_PACKETS["client-direct-unpublished"]!,
    "brlab-to-published": DOCKER_PACKETS["brlab-to-published"]!,
    "container-to-other-bridge": DOCKER_PACKETS["container-to-other-bridge"]!,
    "client-udp-published": DOCKER_PACKETS["client-udp-published"]!,
  },
});

const HDR_FILTER = "*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n";
const HDR_NAT = "*nat\n:PREROUTING ACCEPT [0:0]\n:INPUT ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n:POSTROUTING ACCEPT [0:0]\n";
const HDR_RAW = "*raw\n:PREROUTING ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n";
const DNAT_8080 = `${HDR_NAT}-A PREROUTING -p tcp -m tcp --dport 8080 -j DNAT --to-destination 172.17.0.2:80\nCOMMIT\n`;

T.push({
  name: "neg-src",
  category: "negation",
  description: "INPUT drops ssh from outside 198.51.100.0/24",
  rules: [["iptables-nft-restore", `${HDR_FILTER}-A INPUT ! -s 198.51.100.0/24 -p tcp -m tcp --dport 22 -j DROP\nCOMMIT\n`]],
  packets: { inside: tcp("client", CL, HOST, 22), outside: tcp("client", EXT, HOST, 22), "other-port": tcp("client", EXT, HOST, 443) },
});
T.push({
  name: "neg-iface-proto",
  category: "negation",
  description: "FORWARD drops everything not TCP that does not come in docker0, and TCP not to port 80",
  rules: [["iptables-nft-restore", `${HDR_FILTER}-A FORWARD ! -i docker0 ! -p tcp -j DROP\n-A FORWARD -p tcp -m tcp ! --dport 80 -o docker0 -j REJECT --reject-with icmp-port-unreachable\nCOMMIT\n`]],
  packets: { "tcp-80": tcp("client", CL, C1, 80), "tcp-443": tcp("client", CL, C1, 443), "udp-53": udp("client", CL, C1, 53), "udp-from-c1": udp("c1", C1, CL, 53) },
});
T.push({
  name: "neg-dst-dnat",
  category: "negation",
  description: "DNAT for every destination except 198.51.100.1",
  rules: [["iptables-nft-restore", `${HDR_NAT}-A PREROUTING ! -d 198.51.100.1/32 -p tcp -m tcp --dport 8080 -j DNAT --to-destination 172.17.0.2:80\nCOMMIT\n`]],
  packets: { "to-host": tcp("client", CL, HOST, 8080), "to-gateway": tcp("client", CL, "172.17.0.1", 8080), "to-brlab-gw": tcp("client", CL, "10.99.0.1", 8080) },
});
T.push({
  name: "wildcard-iface",
  category: "wildcard",
  description: "FORWARD drops what comes in br+ and rejects what leaves dock+ on 443",
  rules: [["iptables-nft-restore", `${HDR_FILTER}-A FORWARD -i br+ -j DROP\n-A FORWARD -o dock+ -p tcp -m tcp --dport 443 -j REJECT --reject-with tcp-reset\nCOMMIT\n`]],
  packets: { "brlab-out": tcp("c2", C2, CL, 443), "c1-out": tcp("c1", C1, CL, 443), "to-c1-443": tcp("client", CL, C1, 443), "to-c1-80": tcp("client", CL, C1, 80), "to-c2": tcp("client", CL, C2, 90) },
});
T.push({
  name: "wildcard-neg-iface",
  category: "wildcard",
  description: "INPUT drops ssh not coming in eth+",
  rules: [["iptables-nft-restore", `${HDR_FILTER}-A INPUT ! -i eth+ -p tcp -m tcp --dport 22 -j DROP\nCOMMIT\n`]],
  packets: { "from-eth0": tcp("client", CL, HOST, 22), "from-c1": tcp("c1", C1, "172.17.0.1", 22), "from-c2-to-eth0-addr": tcp("c2", C2, HOST, 22) },
});
T.push({
  name: "addrtype",
  category: "addrtype",
  description: "addrtype LOCAL / UNICAST / --limit-iface-in in nat and filter",
  rules: [
    [
      "iptables-nft-restore",
      `${HDR_NAT}:DOCKER - [0:0]\n-A PREROUTING -m addrtype --dst-type LOCAL -j DOCKER\n-A DOCKER -p tcp -m tcp --dport 8080 -j DNAT --to-destination 172.17.0.2:80\nCOMMIT\n${HDR_FILTER}-A INPUT -m addrtype --dst-type LOCAL --limit-iface-in -p tcp -m tcp --dport 22 -j DROP\n-A FORWARD -m addrtype --dst-type UNICAST -p tcp -m tcp --dport 443 -j REJECT --reject-with tcp-reset\nCOMMIT\n`,
    ],
  ],
  packets: {
    "local-dnat": tcp("client", CL, HOST, 8080),
    "gw-addr-dnat": tcp("client", CL, "10.99.0.1", 8080),
    "nonlocal-no-dnat": tcp("client", CL, C2, 8080),
    "limit-iface-in-eth0-addr": tcp("client", CL, HOST, 22),
    "limit-iface-in-other-addr": tcp("client", CL, "172.17.0.1", 22),
    "unicast-forward": tcp("client", CL, C1, 443),
  },
});
T.push({
  name: "addrtype-src",
  category: "addrtype",
  description: "MASQUERADE for --src-type LOCAL out docker0, DNAT from OUTPUT",
  rules: [["iptables-nft-restore", `${HDR_NAT}-A OUTPUT -m addrtype --dst-type LOCAL -p tcp -m tcp --dport 8080 -j DNAT --to-destination 172.17.0.2:80\n-A POSTROUTING -o docker0 -m addrtype --src-type LOCAL -j MASQUERADE\nCOMMIT\n`]],
  packets: { "host-eth0-addr": tcp("host", HOST, HOST, 8080), "host-gw-addr": tcp("host", "172.17.0.1", "172.17.0.1", 8080), "client-not-output": tcp("client", CL, HOST, 8080) },
});
T.push({
  name: "multiport",
  category: "multiport",
  description: "multiport lists with ranges, --dport ranges, --sport",
  rules: [
    [
      "iptables-nft-restore",
      `${HDR_FILTER}-A INPUT -p tcp -m multiport --dports 22,80,8000:8003 -j DROP\n-A INPUT -p tcp -m tcp --dport 8005:8008 -j REJECT --reject-with tcp-reset\n-A INPUT -p udp -m multiport ! --dports 53,5353 -j DROP\n-A INPUT -p tcp -m tcp --sport 50000:50010 -j DROP\nCOMMIT\n`,
    ],
  ],
  packets: {
    "mp-22": tcp("client", CL, HOST, 22),
    "mp-8002": tcp("client", CL, HOST, 8002),
    "mp-8004": tcp("client", CL, HOST, 8004),
    "range-8006": tcp("client", CL, HOST, 8006),
    "range-8009": tcp("client", CL, HOST, 8009),
    "udp-53": udp("client", CL, HOST, 53),
    "udp-90": udp("client", CL, HOST, 90),
    "sport-range": tcp("client", CL, HOST, 443, 50005),
    "sport-outside": tcp("client", CL, HOST, 443, 50011),
  },
});
T.push({
  name: "dnat-port-range",
  category: "dnat",
  description: "DNAT to an address with a port range: in-range ports are kept",
  rules: [["iptables-nft-restore", `${HDR_NAT}-A PREROUTING -p tcp -m tcp --dport 8000:8010 -j DNAT --to-destination 172.17.0.2:8000-8010\n-A PREROUTING -p tcp -m tcp --dport 9090 -j DNAT --to-destination 172.17.0.2:8000-8010\nCOMMIT\n`]],
  packets: { "in-range-8005": tcp("client", CL, HOST, 8005), "in-range-8000": tcp("client", CL, HOST, 8000), "out-of-range-9090": tcp("client", CL, HOST, 9090) },
});
T.push({
  name: "dnat-forms",
  category: "dnat",
  description: "DNAT without a port, DNAT to the other bridge, DNAT in OUTPUT",
  rules: [["iptables-nft-restore", `${HDR_NAT}-A PREROUTING -p tcp -m tcp --dport 80 -j DNAT --to-destination 172.17.0.2\n-A PREROUTING -d 198.51.100.1/32 -p udp -m udp --dport 5353 -j DNAT --to-destination 10.99.0.2:53\n-A OUTPUT -d 198.51.100.1/32 -p tcp -m tcp --dport 9090 -j DNAT --to-destination 10.99.0.2:90\nCOMMIT\n`]],
  packets: { "no-port": tcp("client", CL, HOST, 80), "udp-other-bridge": udp("client", CL, HOST, 5353), "output-dnat": tcp("host", HOST, HOST, 9090), "output-dnat-from-c1-not": tcp("c1", C1, HOST, 9090) },
});
T.push({
  name: "snat",
  category: "snat",
  description: "SNAT and MASQUERADE in POSTROUTING",
  rules: [["iptables-nft-restore", `${HDR_NAT}-A POSTROUTING -s 172.17.0.0/16 -o eth0 -j SNAT --to-source 198.51.100.1\n-A POSTROUTING -s 10.99.0.0/24 -o eth0 -j MASQUERADE\n-A POSTROUTING -o docker0 -p tcp -m tcp --dport 80 -j SNAT --to-source 172.17.0.1:40000-40010\nCOMMIT\n`]],
  packets: { "c1-out-snat": tcp("c1", C1, CL, 443), "c2-out-masq": tcp("c2", C2, CL, 443), "to-c1-snat-port": tcp("client", CL, C1, 80), "c1-udp-out": udp("c1", C1, CL, 53) },
});
T.push({
  name: "redirect",
  category: "redirect",
  description: "REDIRECT in PREROUTING and OUTPUT",
  rules: [["iptables-nft-restore", `${HDR_NAT}-A PREROUTING -i eth0 -p tcp -m tcp --dport 80 -j REDIRECT --to-ports 3128\n-A PREROUTING -i docker0 -p tcp -m tcp --dport 443 -j REDIRECT --to-ports 8443\n-A OUTPUT -p tcp -m tcp --dport 5000 -j REDIRECT --to-ports 3128\nCOMMIT\n`]],
  packets: { "client-80": tcp("client", CL, HOST, 80), "client-80-forwarded-dst": tcp("client", CL, C2, 80), "c1-443-outbound": tcp("c1", C1, CL, 443), "host-output": tcp("host", HOST, CL, 5000) },
});
T.push({
  name: "chains",
  category: "goto-jump-return",
  description: "jump, goto, RETURN and falling off a user chain",
  rules: [
    [
      "iptables-nft-restore",
      `*filter\n:INPUT DROP [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n:A - [0:0]\n:B - [0:0]\n:C - [0:0]\n-A INPUT -p tcp -m tcp --dport 22 -j A\n-A INPUT -p tcp -m tcp --dport 80 -g B\n-A INPUT -p tcp -m tcp --dport 443 -j B\n-A INPUT -p tcp -m tcp --dport 8080 -j ACCEPT\n-A A -s 203.0.113.0/24 -j RETURN\n-A A -j ACCEPT\n-A B -s 198.51.100.10/32 -j C\n-A B -p tcp -m tcp --dport 443 -j ACCEPT\n-A C -p tcp -m tcp --dport 80 -j ACCEPT\n-A C -j RETURN\nCOMMIT\n`,
    ],
  ],
  packets: {
    "jump-accept": tcp("client", CL, HOST, 22),
    "jump-return-policy": tcp("client", EXT, HOST, 22),
    "goto-nested-accept": tcp("client", CL, HOST, 80),
    "goto-falloff-policy": tcp("client", EXT, HOST, 80),
    "jump-nested-return-accept": tcp("client", CL, HOST, 443),
    "after-jumps": tcp("client", EXT, HOST, 8080),
    "policy-drop": tcp("client", CL, HOST, 5000),
  },
});
T.push({
  name: "goto-return",
  category: "goto-jump-return",
  description: "RETURN from a chain reached by goto returns past the goto's caller",
  rules: [
    [
      "iptables-nft-restore",
      `*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n:OUTER - [0:0]\n:INNER - [0:0]\n-A INPUT -p tcp -j OUTER\n-A INPUT -p tcp -m tcp --dport 22 -j DROP\n-A OUTER -p tcp -m tcp --dport 22 -g INNER\n-A OUTER -j DROP\n-A INNER -s 203.0.113.0/24 -j RETURN\n-A INNER -j ACCEPT\nCOMMIT\n`,
    ],
  ],
  packets: { "goto-return-to-input": tcp("client", EXT, HOST, 22), "goto-accept": tcp("client", CL, HOST, 22), "outer-drop": tcp("client", CL, HOST, 80) },
});
T.push({
  name: "policies",
  category: "policy",
  description: "INPUT and FORWARD policy DROP with an ESTABLISHED accept only for INPUT",
  rules: [
    [
      "iptables-nft-restore",
      `*filter\n:INPUT DROP [0:0]\n:FORWARD DROP [0:0]\n:OUTPUT ACCEPT [0:0]\n-A INPUT -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT\n-A INPUT -p tcp -m tcp --dport 22 -j ACCEPT\n-A INPUT -i lo -j ACCEPT\n-A FORWARD -o docker0 -p tcp -m tcp --dport 80 -j ACCEPT\n-A FORWARD -i docker0 -o eth0 -j ACCEPT\nCOMMIT\n${DNAT_8080}`,
    ],
  ],
  packets: {
    "input-ssh": tcp("client", CL, HOST, 22),
    "input-other": tcp("client", CL, HOST, 443),
    "forward-dnat-reply-dropped": tcp("client", CL, HOST, 8080),
    "forward-direct-reply-dropped": tcp("client", CL, C1, 80),
    "c1-out-reply-dropped": tcp("c1", C1, CL, 443),
    "host-loopback": tcp("host", "127.0.0.1", "127.0.0.1", 443),
    "host-out": tcp("host", HOST, CL, 443),
  },
});
T.push({
  name: "policy-output-drop",
  category: "policy",
  description: "OUTPUT policy DROP, loopback allowed",
  rules: [["iptables-nft-restore", `*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT DROP [0:0]\n-A OUTPUT -o lo -j ACCEPT\n-A OUTPUT -m conntrack --ctstate ESTABLISHED -j ACCEPT\nCOMMIT\n`]],
  packets: { "host-out": tcp("host", HOST, CL, 443), "host-loopback": tcp("host", "127.0.0.1", "127.0.0.1", 22), "client-in-reply-dropped-not": tcp("client", CL, HOST, 22), "forward-untouched": tcp("client", CL, C1, 80) },
});
T.push({
  name: "notrack",
  category: "raw",
  description: "raw NOTRACK (CT --notrack) ahead of a DNAT: untracked packets skip nat",
  rules: [["iptables-nft-restore", `${HDR_RAW}-A PREROUTING -p tcp -m tcp --dport 5000 -j CT --notrack\n-A PREROUTING -p udp -m udp --dport 5353 -j CT --notrack\nCOMMIT\n${HDR_NAT}-A PREROUTING -p tcp -m tcp --dport 5000 -j DNAT --to-destination 172.17.0.2:5000\n-A PREROUTING -p tcp -m tcp --dport 8080 -j DNAT --to-destination 172.17.0.2:80\n-A PREROUTING -p udp -m udp --dport 5353 -j DNAT --to-destination 172.17.0.2:53\nCOMMIT\n`]],
  packets: { "notrack-tcp": tcp("client", EXT, HOST, 5000), "tracked-tcp": tcp("client", EXT, HOST, 8080), "notrack-udp": udp("client", CL, HOST, 5353) },
});
T.push({
  name: "notrack-ctstate",
  category: "raw",
  description: "NOTRACK and ctstate UNTRACKED / NEW in filter",
  rules: [["iptables-nft-restore", `${HDR_RAW}-A PREROUTING -p tcp -m tcp --dport 22 -j CT --notrack\n-A OUTPUT -p tcp -m tcp --dport 443 -j CT --notrack\nCOMMIT\n${HDR_FILTER}-A INPUT -m conntrack --ctstate UNTRACKED -p tcp -m tcp --dport 22 -j DROP\n-A INPUT -m conntrack --ctstate NEW -p tcp -m tcp --dport 80 -j DROP\n-A OUTPUT -m conntrack --ctstate NEW -p tcp -m tcp --dport 443 -j DROP\nCOMMIT\n`]],
  packets: { "untracked-drop": tcp("client", CL, HOST, 22), "new-drop": tcp("client", CL, HOST, 80), "output-untracked-passes": tcp("host", HOST, CL, 443), "other": tcp("client", CL, HOST, 443) },
});
T.push({
  name: "raw-drop",
  category: "raw",
  description: "raw PREROUTING drops by port and by destination",
  rules: [["iptables-nft-restore", `${HDR_RAW}-A PREROUTING -d 172.17.0.2/32 ! -i docker0 -j DROP\n-A PREROUTING -i eth0 -p udp -m udp --dport 53 -j DROP\n-A OUTPUT -d 10.99.0.2/32 -p tcp -m tcp --dport 90 -j DROP\nCOMMIT\n${DNAT_8080}`]],
  packets: { "direct-dropped": tcp("client", CL, C1, 80), "dnat-after-raw-ok": tcp("client", CL, HOST, 8080), "udp-53": udp("client", CL, HOST, 53), "host-to-c2": tcp("host", "10.99.0.1", C2, 90), "c2-to-c1": tcp("c2", C2, C1, 80) },
});
T.push({
  name: "ctstate",
  category: "ctstate",
  description: "conntrack --ctstate and -m state in FORWARD with policy DROP",
  rules: [
    [
      "iptables-nft-restore",
      `*filter\n:INPUT ACCEPT [0:0]\n:FORWARD DROP [0:0]\n:OUTPUT ACCEPT [0:0]\n-A FORWARD -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT\n-A FORWARD -m conntrack --ctstate INVALID -j DROP\n-A FORWARD -m state --state NEW -o docker0 -p tcp -m tcp --dport 80 -j ACCEPT\n-A FORWARD -m conntrack --ctstate NEW,UNTRACKED -i br-lab -j ACCEPT\n-A FORWARD -m conntrack --ctstate DNAT -j ACCEPT\nCOMMIT\n${DNAT_8080}`,
    ],
  ],
  packets: { "new-80": tcp("client", CL, C1, 80), "new-443": tcp("client", CL, C1, 443), "brlab-out": tcp("c2", C2, CL, 443), "dnat-state": tcp("client", CL, HOST, 8080), "c1-out": tcp("c1", C1, CL, 443) },
});
T.push({
  name: "ctstate-dnat-orig",
  category: "ctstate",
  description: "conntrack --ctorigdst / --ctorigdstport after DNAT",
  rules: [
    [
      "iptables-nft-restore",
      `*filter\n:INPUT ACCEPT [0:0]\n:FORWARD DROP [0:0]\n:OUTPUT ACCEPT [0:0]\n-A FORWARD -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT\n-A FORWARD -d 172.17.0.2/32 -m conntrack --ctorigdstport 8080 -j ACCEPT\nCOMMIT\n${DNAT_8080}`,
    ],
  ],
  packets: { "dnat-origport": tcp("client", CL, HOST, 8080), "direct-no-origport": tcp("client", CL, C1, 80) },
});
T.push({
  name: "reject",
  category: "reject",
  description: "REJECT with several --reject-with types",
  rules: [
    [
      "iptables-nft-restore",
      `${HDR_FILTER}-A INPUT -p tcp -m tcp --dport 22 -j REJECT --reject-with tcp-reset\n-A INPUT -p tcp -m tcp --dport 80 -j REJECT --reject-with icmp-host-prohibited\n-A INPUT -p udp -m udp --dport 53 -j REJECT\n-A INPUT -p tcp -m tcp --dport 443 -j REJECT --reject-with icmp-net-unreachable\n-A FORWARD -o br-lab -j REJECT --reject-with icmp-admin-prohibited\n-A OUTPUT -p tcp -m tcp --dport 5000 -j REJECT\nCOMMIT\n`,
    ],
  ],
  packets: {
    "tcp-reset": tcp("client", CL, HOST, 22),
    "host-prohibited": tcp("client", CL, HOST, 80),
    "udp-port-unreach": udp("client", CL, HOST, 53),
    "net-unreach": tcp("client", CL, HOST, 443),
    "forward-admin": tcp("client", CL, C2, 90),
    "output-reject": tcp("host", HOST, CL, 5000),
    "not-rejected": tcp("client", CL, HOST, 8080),
  },
});
T.push({
  name: "ipv6-filter",
  category: "ipv6",
  description: "ip6tables filter: negation, REJECT, DNAT to a container, ::ffff:0:0/96",
  rules: [
    [
      "ip6tables-nft-restore",
      `${HDR_FILTER}-A INPUT ! -s 2001:db8:1::/64 -p tcp -m tcp --dport 22 -j DROP\n-A INPUT -p tcp -m tcp --dport 80 -j REJECT --reject-with icmp6-adm-prohibited\n-A INPUT -p tcp -m tcp --dport 443 -j REJECT --reject-with tcp-reset\n-A INPUT -s ::ffff:0.0.0.0/96 -j DROP\n-A FORWARD -d fd00:17::2/128 -p tcp -m tcp --dport 443 -j DROP\nCOMMIT\n${HDR_NAT}-A PREROUTING -d 2001:db8:1::1/128 -p tcp -m tcp --dport 9090 -j DNAT --to-destination [fd00:17::2]:90\nCOMMIT\n`,
    ],
  ],
  packets: {
    "v6-ssh-inside": tcp("client", CL6, HOST6, 22),
    "v6-adm-prohibited": tcp("client", CL6, HOST6, 80),
    "v6-tcp-reset": tcp("client", CL6, HOST6, 443),
    "v6-forward-drop": tcp("client", CL6, C16, 443),
    "v6-dnat": tcp("client", CL6, HOST6, 9090),
    "v6-plain": tcp("client", CL6, HOST6, 8080),
    "v4-unaffected": tcp("client", CL, HOST, 80),
  },
});
T.push({
  name: "mixed-legacy-nft",
  category: "legacy+nft",
  description: "legacy filter drops a port that iptables-nft accepts; nat in iptables-nft",
  rules: [
    ["iptables-legacy-restore", `*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n-A INPUT -p tcp -m tcp --dport 22 -j DROP\n-A FORWARD -d 172.17.0.2/32 -p tcp -m tcp --dport 80 -j DROP\nCOMMIT\n`],
    ["iptables-nft-restore", `*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n-A INPUT -p tcp -m tcp --dport 22 -j ACCEPT\n-A INPUT -p tcp -m tcp --dport 443 -j DROP\n-A FORWARD -d 10.99.0.2/32 -j ACCEPT\nCOMMIT\n${HDR_NAT}-A PREROUTING -p tcp -m tcp --dport 9090 -j DNAT --to-destination 10.99.0.2:90\n-A PREROUTING -p tcp -m tcp --dport 8080 -j DNAT --to-destination 172.17.0.2:80\nCOMMIT\n`],
  ],
  packets: { "legacy-drops-22": tcp("client", CL, HOST, 22), "nft-drops-443": tcp("client", CL, HOST, 443), "dnat-legacy-forward-drop": tcp("client", CL, HOST, 8080), "dnat-ok": tcp("client", CL, HOST, 9090), "neither": tcp("client", CL, HOST, 80) },
});
T.push({
  name: "mixed-legacy-nat",
  category: "legacy+nft",
  description: "DNAT in legacy nat, filter in native nft, and a second DNAT in nft for another port",
  rules: [
    ["iptables-legacy-restore", `${DNAT_8080}`],
    ["nft", `table inet fw {\n  chain forward_filter {\n    type filter hook forward priority filter; policy drop;\n    ct state established,related accept\n    ip daddr 172.17.0.2 tcp dport 80 accept\n  }\n}\ntable ip natx {\n  chain pre {\n    type nat hook prerouting priority dstnat; policy accept;\n    tcp dport 9090 dnat to 10.99.0.2:90\n  }\n}\n`],
  ],
  packets: { "legacy-dnat-nft-accept": tcp("client", CL, HOST, 8080), "nft-dnat-nft-drop": tcp("client", CL, HOST, 9090), "direct-c1": tcp("client", CL, C1, 80) },
});

// ------------------------------------------------------------ native nft --

T.push({
  name: "nft-sets",
  category: "nft-sets",
  description: "anonymous, named and negated sets",
  rules: [
    [
      "nft",
      `table ip t {\n  set blocked {\n    type ipv4_addr\n    flags interval\n    elements = { 203.0.113.0/28, 192.0.2.1 }\n  }\n  set webports {\n    type inet_service\n    elements = { 80, 443 }\n  }\n  chain input {\n    type filter hook input priority filter; policy accept;\n    ip saddr @blocked tcp dport 8080 drop\n    ip saddr != { 10.0.0.0/8, 192.168.0.0/16 } tcp dport 22 drop\n    tcp dport @webports ip saddr 198.51.100.10 reject with tcp reset\n    tcp dport { 8000-8003, 9090 } drop\n    ip saddr 203.0.113.5 tcp dport != { 8080, 443 } drop\n  }\n}\n`,
    ],
  ],
  packets: {
    "named-set-blocked": tcp("client", EXT, HOST, 8080),
    "named-set-not-blocked": tcp("client", CL, HOST, 8080),
    "neg-set-ext-drop": tcp("client", CL, HOST, 22),
    "neg-set-private-accept": tcp("c2", C2, "10.99.0.1", 22),
    "webports-reject": tcp("client", CL, HOST, 443),
    "webports-other-src": tcp("client", EXT, HOST, 443),
    "anon-range": tcp("client", CL, HOST, 8002),
    "anon-single": tcp("client", CL, HOST, 9090),
    "anon-miss": tcp("client", CL, HOST, 8005),
  },
});
T.push({
  name: "nft-vmaps",
  category: "nft-vmaps",
  description: "verdict maps keyed on tcp dport, ip saddr, iifname, meta l4proto and ct state",
  rules: [
    [
      "nft",
      `table inet t {\n  chain c_ok {\n    accept\n  }\n  chain c_rej {\n    reject\n  }\n  chain input {\n    type filter hook input priority filter; policy accept;\n    tcp dport vmap { 80 : drop, 443 : jump c_rej, 8080 : accept }\n    ip saddr vmap { 203.0.113.0/24 : drop, 198.51.100.10 : continue }\n    meta l4proto vmap { udp : jump c_rej }\n    tcp dport 22 iifname vmap { "eth0" : drop, "docker0" : accept }\n  }\n  chain forward {\n    type filter hook forward priority filter; policy drop;\n    ct state vmap { established : accept, related : accept, new : jump c_fwd_new }\n  }\n  chain c_fwd_new {\n    oifname "docker0" tcp dport 80 accept\n    iifname "docker0" accept\n  }\n}\n`,
    ],
  ],
  packets: {
    "dport-drop": tcp("client", CL, HOST, 80),
    "dport-jump-reject": tcp("client", CL, HOST, 443),
    "dport-accept-before-saddr": tcp("client", EXT, HOST, 8080),
    "saddr-drop": tcp("client", EXT, HOST, 5000),
    "saddr-continue": tcp("client", CL, HOST, 5000),
    "l4proto-udp": udp("client", CL, HOST, 53),
    "iifname-eth0": tcp("client", CL, HOST, 22),
    "iifname-docker0": tcp("c1", C1, "172.17.0.1", 22),
    "ct-new-forward": tcp("client", CL, C1, 80),
    "ct-new-forward-miss": tcp("client", CL, C2, 90),
    "ct-new-from-c1": tcp("c1", C1, CL, 443),
    "v6-dport-drop": tcp("client", CL6, HOST6, 80),
  },
});
T.push({
  name: "nft-families",
  category: "nft-families",
  description: "ip, ip6 and inet tables on the forward hook",
  rules: [
    [
      "nft",
      `table inet t {\n  chain forward_filter {\n    type filter hook forward priority 0; policy drop;\n    ct state established,related accept\n    oifname "docker0" tcp dport 80 accept\n  }\n}\ntable ip6 six {\n  chain in6 {\n    type filter hook input priority 0; policy accept;\n    tcp dport 22 drop\n  }\n}\ntable ip four {\n  chain in4 {\n    type filter hook input priority 0; policy accept;\n    tcp dport 443 drop\n  }\n}\n`,
    ],
  ],
  packets: {
    "v4-fwd-accept": tcp("client", CL, C1, 80),
    "v4-fwd-drop": tcp("client", CL, C1, 443),
    "v6-fwd-accept": tcp("client", CL6, C16, 80),
    "v6-fwd-drop": tcp("client", CL6, C16, 443),
    "v6-in-22": tcp("client", CL6, HOST6, 22),
    "v4-in-22": tcp("client", CL, HOST, 22),
    "v6-in-443": tcp("client", CL6, HOST6, 443),
    "v4-in-443": tcp("client", CL, HOST, 443),
  },
});
T.push({
  name: "nft-nat",
  category: "nft-nat",
  description: "native nft dnat / redirect / masquerade / snat, ip and ip6",
  rules: [
    [
      "nft",
      `table ip nat {\n  chain pre {\n    type nat hook prerouting priority dstnat; policy accept;\n    fib daddr type local tcp dport 8080 dnat to 172.17.0.2:80\n    iifname "eth0" tcp dport 80 redirect to :3128\n    tcp dport 8000-8010 dnat to 172.17.0.2:8000-8010\n    udp dport 5353 dnat to 172.17.0.2:53\n  }\n  chain post {\n    type nat hook postrouting priority srcnat; policy accept;\n    ip saddr 172.17.0.0/16 oifname != "docker0" masquerade\n    ip saddr 10.99.0.0/24 oifname "eth0" snat to 198.51.100.1\n  }\n}\ntable ip6 nat6 {\n  chain pre {\n    type nat hook prerouting priority dstnat; policy accept;\n    ip6 saddr != fe80::/10 tcp dport 8080 dnat to [fd00:17::2]:80\n  }\n}\n`,
    ],
  ],
  packets: {
    "dnat-local": tcp("client", CL, HOST, 8080),
    "dnat-nonlocal-fib": tcp("client", CL, C2, 8080),
    "redirect": tcp("client", CL, HOST, 80),
    "dnat-range": tcp("client", CL, HOST, 8007),
    "udp-dnat": udp("client", CL, HOST, 5353),
    "masq-c1": tcp("c1", C1, CL, 443),
    "snat-c2": tcp("c2", C2, CL, 443),
    "v6-dnat": tcp("client", CL6, HOST6, 8080),
  },
});
T.push({
  name: "nat-same-priority",
  category: "nft-nat",
  description: "an iptables-nft nat table and a native nft nat chain at the same prerouting priority both DNAT port 8080: which runs first is registration order",
  rules: [
    ["iptables-nft-restore", DNAT_8080],
    ["nft", `table ip other {\n  chain pre {\n    type nat hook prerouting priority dstnat; policy accept;\n    tcp dport 8080 dnat to 10.99.0.2:90\n    tcp dport 9090 dnat to 10.99.0.2:90\n  }\n}\n`],
  ],
  packets: { "both-dnat": tcp("client", CL, HOST, 8080), "only-nft": tcp("client", CL, HOST, 9090), "neither": tcp("client", CL, C1, 80) },
});
T.push({
  name: "nft-priorities",
  category: "nft-priorities",
  description: "two base chains on one hook: accept in the first does not skip the second",
  rules: [
    [
      "nft",
      `table ip a {\n  chain early {\n    type filter hook input priority -10; policy accept;\n    tcp dport 22 accept\n    tcp dport 443 drop\n  }\n  chain late {\n    type filter hook input priority 10; policy accept;\n    tcp dport 22 drop\n    tcp dport 80 reject\n  }\n}\ntable ip b {\n  chain mid {\n    type filter hook input priority filter; policy accept;\n    tcp dport 80 accept\n    tcp dport 8080 drop\n  }\n  chain rawish {\n    type filter hook prerouting priority raw; policy accept;\n    tcp dport 5000 drop\n  }\n  chain pre_dnat {\n    type nat hook prerouting priority dstnat; policy accept;\n    tcp dport 5000 dnat to 172.17.0.2:80\n    tcp dport 9090 dnat to 172.17.0.2:80\n  }\n  chain fwd_late {\n    type filter hook forward priority 100; policy accept;\n    ip daddr 172.17.0.2 tcp dport 80 ct original proto-dst 9090 drop\n  }\n}\n`,
    ],
  ],
  packets: {
    "accept-then-drop": tcp("client", CL, HOST, 22),
    "early-drop": tcp("client", CL, HOST, 443),
    "mid-accept-late-reject": tcp("client", CL, HOST, 80),
    "mid-drop": tcp("client", CL, HOST, 8080),
    "raw-before-dnat": tcp("client", CL, HOST, 5000),
    "ct-original-drop": tcp("client", CL, HOST, 9090),
    "direct-fwd": tcp("client", CL, C1, 80),
  },
});
T.push({
  name: "nft-fib-misc",
  category: "nft-misc",
  description: "fib daddr type, meta nfproto, iif/oif kinds, negated ranges, ct status dnat",
  rules: [
    [
      "nft",
      `table inet m {\n  chain pre {\n    type nat hook prerouting priority dstnat; policy accept;\n    meta nfproto ipv4 fib daddr type local tcp dport 9090 dnat ip to 10.99.0.2:90\n  }\n  chain input {\n    type filter hook input priority filter; policy accept;\n    fib daddr . iif type != local tcp dport 22 drop\n    tcp dport != 1-1024 tcp dport != 8080 tcp dport != 9090 meta l4proto tcp reject with tcp reset\n    meta nfproto ipv6 tcp dport 443 drop\n  }\n  chain forward_filter {\n    type filter hook forward priority filter; policy accept;\n    ct status dnat oifname "br-lab" accept\n    oifname "br-lab" drop\n  }\n}\n`,
    ],
  ],
  packets: {
    "fib-local-dnat": tcp("client", CL, HOST, 9090),
    "fib-iif-other-addr": tcp("client", CL, "172.17.0.1", 22),
    "fib-iif-own-addr": tcp("client", CL, HOST, 22),
    "neg-range-reset": tcp("client", CL, HOST, 5000),
    "neg-range-in": tcp("client", CL, HOST, 443),
    "nfproto-v6": tcp("client", CL6, HOST6, 443),
    "direct-brlab": tcp("client", CL, C2, 90),
  },
});
T.push({
  name: "docker29-nft",
  category: "docker-29.x",
  description: "Docker 29 nftables backend (table ip docker-bridges), proxy on",
  rules: [
    [
      "nft",
      `table ip docker-bridges {\n  map filter-forward-in-jumps {\n    type ifname : verdict\n    elements = { "docker0" : jump filter-forward-in__docker0 }\n  }\n  map filter-forward-out-jumps {\n    type ifname : verdict\n    elements = { "docker0" : jump filter-forward-out__docker0 }\n  }\n  map nat-postrouting-out-jumps {\n    type ifname : verdict\n    elements = { "docker0" : jump nat-postrouting-out__docker0 }\n  }\n  chain filter-FORWARD {\n    type filter hook forward priority filter; policy accept;\n    oifname vmap @filter-forward-in-jumps\n    iifname vmap @filter-forward-out-jumps\n  }\n  chain nat-OUTPUT {\n    type nat hook output priority -100; policy accept;\n    ip daddr != 127.0.0.0/8 fib daddr type local counter jump nat-prerouting-and-output\n  }\n  chain nat-POSTROUTING {\n    type nat hook postrouting priority srcnat; policy accept;\n    iifname vmap @nat-postrouting-out-jumps\n  }\n  chain nat-PREROUTING {\n    type nat hook prerouting priority dstnat; policy accept;\n    fib daddr type local counter jump nat-prerouting-and-output\n  }\n  chain nat-prerouting-and-output {\n    iifname != "docker0" tcp dport 8080 counter dnat to 172.17.0.2:80 comment "DNAT"\n  }\n  chain raw-PREROUTING {\n    type filter hook prerouting priority raw; policy accept;\n    ip daddr 172.17.0.2 iifname != "docker0" counter drop comment "DROP DIRECT ACCESS"\n  }\n  chain filter-forward-in__docker0 {\n    ct state established,related counter accept\n    iifname "docker0" counter accept comment "ICC"\n    ip daddr 172.17.0.2 tcp dport 80 counter accept\n    counter drop comment "UNPUBLISHED PORT DROP"\n  }\n  chain filter-forward-out__docker0 {\n    ct state established,related counter accept\n    oifname "docker0" counter accept\n    counter accept comment "OUTGOING"\n  }\n  chain nat-postrouting-out__docker0 {\n    oifname != "docker0" ip saddr 172.17.0.0/16 counter masquerade comment "MASQUERADE"\n  }\n}\n`,
    ],
  ],
  packets: {
    "client-published": tcp("client", CL, HOST, 8080),
    "client-direct": tcp("client", CL, C1, 80),
    "host-published": tcp("host", HOST, HOST, 8080),
    "host-loopback": tcp("host", "127.0.0.1", "127.0.0.1", 8080),
    "c1-outbound": tcp("c1", C1, CL, 443),
    "own-bridge-published": tcp("c1", C1, HOST, 8080),
    "to-brlab": tcp("client", CL, C2, 90),
  },
});
T.push({
  name: "docker2810-nft-user",
  category: "legacy+nft",
  description: "Docker 28 (iptables-nft) plus a native nft table named filter that drops ssh and one published port",
  rules: [
    ["iptables-nft-restore", dockerV4({ version: "28.x", proxy: true })],
    ["nft", `table inet filter {\n  chain input {\n    type filter hook input priority filter; policy accept;\n    tcp dport 22 drop\n  }\n  chain forward {\n    type filter hook forward priority filter; policy accept;\n    ip daddr 10.99.0.2 tcp dport 90 drop\n  }\n}\n`],
  ],
  packets: { "ssh-dropped": tcp("client", CL, HOST, 22), "published-c1": tcp("client", CL, HOST, 8080), "published-c2-dropped": tcp("client", CL, HOST, 9090), "c1-outbound": tcp("c1", C1, CL, 443) },
});
T.push({
  name: "partial-nat-only",
  category: "partial-capture",
  description: "only a nat table is loaded (filter absent in the kernel): forwarding is open",
  rules: [["iptables-nft-restore", DNAT_8080]],
  packets: { "dnat-forward": tcp("client", CL, HOST, 8080), "direct": tcp("client", CL, C2, 90) },
});
// a bundle that holds only some tables: trace must say `unknown`, never the answer of an empty table
const FILTER_DROPS_80 = `${HDR_FILTER}-A FORWARD -d 172.17.0.2/32 -p tcp -m tcp --dport 80 -j DROP\n-A FORWARD -d 10.99.0.2/32 -p tcp -m tcp --dport 90 -j DROP\nCOMMIT\n`;
T.push({
  name: "uncaptured-filter",
  category: "not-captured",
  description: "DNAT and a FORWARD drop are loaded, the bundle holds only `iptables-save -t nat`",
  rules: [["iptables-nft-restore", `${DNAT_8080}${FILTER_DROPS_80}`]],
  captures: [["iptables-save_-t_nat", ["iptables-nft-save", "-t", "nat"]]],
  packets: { "dnat-forward": tcp("client", CL, HOST, 8080), direct: tcp("client", CL, C2, 90), "host-input": tcp("client", CL, HOST, 22) },
});
T.push({
  name: "uncaptured-nat",
  category: "not-captured",
  description: "DNAT is loaded, the bundle holds only the filter table's `iptables -S`",
  rules: [["iptables-nft-restore", `${DNAT_8080}${HDR_FILTER}COMMIT\n`]],
  captures: [["iptables_-S", ["iptables-nft", "-S"]]],
  packets: { "dnat-forward": tcp("client", CL, HOST, 8080), direct: tcp("client", CL, C2, 90) },
});
T.push({
  name: "uncaptured-v6",
  category: "not-captured",
  description: "ip6tables drops IPv6 to a container, the bundle holds only IPv4's `iptables-save`",
  rules: [
    ["iptables-nft-restore", DNAT_8080],
    ["ip6tables-nft-restore", `${HDR_FILTER}-A FORWARD -d fd00:17::2/128 -p tcp -m tcp --dport 80 -j DROP\nCOMMIT\n`],
  ],
  captures: [["iptables-save", ["iptables-nft-save"]]],
  packets: { "v6-forward": tcp("client", CL6, C16, 80), "v4-dnat": tcp("client", CL, HOST, 8080) },
});
T.push({
  name: "loopback-dnat",
  category: "martian",
  description: "DNAT of a loopback-sourced packet to a container, route_localnet 0 and 1",
  rules: [["iptables-nft-restore", `${HDR_NAT}-A OUTPUT -d 127.0.0.1/32 -p tcp -m tcp --dport 8080 -j DNAT --to-destination 172.17.0.2:80\n-A POSTROUTING -s 127.0.0.0/8 -o docker0 -j MASQUERADE\nCOMMIT\n`]],
  packets: { "loopback-to-container": tcp("host", "127.0.0.1", "127.0.0.1", 8080) },
});
T.push({
  name: "loopback-dnat-localnet",
  category: "martian",
  description: "the same with route_localnet=1 on every interface",
  sysctl: { "net.ipv4.conf.all.route_localnet": "1", "net.ipv4.conf.docker0.route_localnet": "1" },
  rules: [["iptables-nft-restore", `${HDR_NAT}-A OUTPUT -d 127.0.0.1/32 -p tcp -m tcp --dport 8080 -j DNAT --to-destination 172.17.0.2:80\n-A POSTROUTING -s 127.0.0.0/8 -o docker0 -j MASQUERADE\nCOMMIT\n`]],
  packets: { "loopback-to-container": tcp("host", "127.0.0.1", "127.0.0.1", 8080) },
});

// ------------------------------------------------------------------ write --

function main(): void {
  const here = dirname(fileURLToPath(import.meta.url));
  const root = resolve(here, "..", "..", "test", "oracle", "cases");
  mkdirSync(root, { recursive: true });
  const keep = new Set<string>();
  for (const t of T) {
    for (const [pid, packet] of Object.entries(t.packets)) {
      const name = `${t.name}--${pid}`;
      keep.add(name);
      const dir = join(root, name);
      mkdirSync(dir, { recursive: true });
      const rules: OracleCase["rules"] = [];
      t.rules.forEach(([loader, text], i) => {
        const file = `rules-${i + 1}.${loader === "nft" ? "nft" : loader.replace(/-restore$/, "")}`;
        writeFileSync(join(dir, file), text);
        rules.push({ loader, file });
      });
      const c: OracleCase = { name, category: t.category, description: t.description, rules, packet, listen: LISTEN_PORTS, ...(t.sysctl ? { sysctl: t.sysctl } : {}), ...(t.captures ? { captures: t.captures } : {}) };
      const text = `${JSON.stringify(c, null, 2)}\n`;
      const file = join(dir, "case.json");
      if (!existsSync(file) || readFileSync(file, "utf8") !== text) writeFileSync(file, text);
    }
  }
  for (const n of readdirSync(root)) if (!keep.has(n)) rmSync(join(root, n), { recursive: true, force: true });
  process.stdout.write(`${keep.size} cases in ${T.length} templates\n`);
}

main();
