/**
 * Generated from src/registry.ts (test/formats-list.test.ts fails when it differs;
 * `UPDATE_GOLDENS=1 npm test` rewrites it): what the command line needs to know
 * about each input format (the `--type` choices, `natlens formats`) without
 * loading a single parser at start-up. src/registry.ts stays the one list.
 */
import type { FormatParser } from "./format.js";

export type FormatInfo = Pick<FormatParser, "id" | "title" | "kinds" | "commands">;

export const FORMAT_LIST: readonly FormatInfo[] = [
  { id: "proc-net-tcp", title: "Kernel socket tables /proc/net/{tcp,tcp6,udp,udp6} (host or /proc/<pid>/net)", kinds: ["socket"], commands: ["cat /proc/net/tcp","cat /proc/net/tcp6","cat /proc/net/udp","cat /proc/net/udp6","cat /proc/<pid>/net/tcp"] },
  { id: "netstat", title: "netstat socket listing (net-tools and BusyBox; -tanpeoW, -W -neopa, with or without -n)", kinds: ["socket"], commands: ["netstat -tanpeW","netstat -antup","netstat -W -neopa","netstat -tap","busybox netstat -tan"] },
  { id: "ss", title: "iproute2 ss socket listings (ss -tanpe, -uanpe, -tulpn, -peaonmi, -H, -O, old layouts)", kinds: ["socket"], commands: ["ss -tanpe","ss -uanpe","ss -tanpeiO","ss -tulpn","ss -peaonmi","ss -anp","ss -Htanp","ss -tn state established"] },
  { id: "ps", title: "Process listings: procps ps (-ef, aux, -eLf, -eo ..., forest, threads) and BusyBox ps", kinds: ["process"], commands: ["ps -efww","ps -ef","ps -efH","ps auxwww","ps auxwwwm","ps auxfwww","ps axjf","ps alxwww","ps -elfL","ps -eLf","ps -eo pid,ppid,user,args","ps axo pid,ppid,user,group,lwp,nlwp,start_time,comm,cgroup","busybox ps","busybox ps -o pid,ppid,user,args"] },
  { id: "iptables-save", title: "iptables-save / ip6tables-save (nf_tables or legacy, -c) and iptables -S / ip6tables -S", kinds: ["rule","chain"], commands: ["iptables-save -c","ip6tables-save -c","iptables-legacy-save","iptables -S","iptables -t nat -S","ip6tables -S"] },
  { id: "iptables-list", title: "iptables -L / ip6tables -L listings (-n, -v, -x, --line-numbers; tables concatenated)", kinds: ["rule","chain"], commands: ["iptables -t nat -L -n -v --line-numbers","iptables -L -n -v -x","iptables -vnxL","ip6tables -t nat -L -n -v","iptables -t nat -L"] },
  { id: "nft", title: "nftables rule set (nft list ruleset, nft -a list ruleset)", kinds: ["rule","chain"], commands: ["nft list ruleset","nft -a list ruleset","nft list table ip nat"] },
  { id: "conntrack", title: "Connection tracking: conntrack -L (plain, -o extended/id/timestamp/xml), /proc/net/nf_conntrack, /proc/net/ip_conntrack", kinds: ["conntrack"], commands: ["conntrack -L","conntrack -L -o extended","conntrack -L -o extended,id","conntrack -L -o xml","cat /proc/net/nf_conntrack","cat /proc/net/ip_conntrack"] },
  { id: "docker-inspect", title: "docker inspect / docker network inspect (JSON)", kinds: ["container","network"], commands: ["docker inspect $(docker ps -aq)","docker network inspect $(docker network ls -q)"] },
  { id: "docker-ps", title: "docker ps (tables, --no-trunc, custom `table` formats, --format json)", kinds: ["container"], commands: ["docker ps -a --no-trunc","docker ps","docker ps --format json","docker ps --format 'table {{.Names}}\\t{{.Ports}}'"] },
  { id: "ip-addr", title: "iproute2 addresses: ip addr, ip -o addr, ip -br addr", kinds: ["address"], commands: ["ip addr","ip addr show","ip -o addr","ip -4 -o addr","ip -6 -o addr","ip -br addr","ip -d addr"] },
  { id: "ip-route", title: "iproute2 routes: ip route, ip -6 route, ip route show table all", kinds: ["route"], commands: ["ip route","ip -4 route","ip -6 route","ip route show table all","ip -6 route show table all"] },
  { id: "sysctl", title: "Kernel settings: sysctl -a (key = value), and collect.sh's sysctl file with bridge port flags", kinds: ["setting"], commands: ["sysctl -a","sysctl net.ipv4.conf.all.route_localnet","collect.sh sysctl (route_localnet, bridge-nf-call-*, brif/*/hairpin_mode)"] },
  { id: "uname", title: "Kernel name and release: uname -a, uname -srm", kinds: ["setting"], commands: ["uname -a","uname -srm","uname -snrvm"] },
  { id: "docker-info", title: "docker info (text): server version, kernel, firewall backend, warnings", kinds: ["setting"], commands: ["docker info","podman info"] },
  { id: "daemon-json", title: "dockerd's configuration file /etc/docker/daemon.json", kinds: ["setting"], commands: ["cat /etc/docker/daemon.json"] },
];
