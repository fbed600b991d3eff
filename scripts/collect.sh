#!/bin/sh
# natlens collector: capture what natlens needs from a Linux Docker host.
#
#   sh collect.sh [-o DIR] [-n NAME] [--tar | --xz] [-H DOCKER_HOST] [-E ENGINE] [-t SECONDS]
#                 [--rootless-pid PID]
#   natlens-collect [...]   the same script, as installed with the natlens npm package
#
#   -o DIR      parent directory for the bundle (default: current directory)
#   -n NAME     bundle directory name (default: natlens-<hostname>-<UTC time>)
#   --tar       also write DIR/NAME.tar.gz (its path is printed first, then the
#               bundle directory's; natlens analyze reads either)
#   --xz        the same as --tar, but DIR/NAME.tar.xz (smaller, as sosreport packs;
#               needs xz: without it the .tar.gz is written and a warning printed)
#   -H HOST     docker daemon to talk to (passed to every docker command as -H;
#               DOCKER_HOST from the environment is honoured as well)
#   -E ENGINE   container engine command (default docker); e.g. -E podman, or with
#               podman's global flags: -E "podman --root /srv/podman"; the engine's
#               files are named after it (docker/podman_inspect_containers, ...)
#   -t SECONDS  time limit per command (default 20; used only when `timeout` exists)
#   --rootless-pid PID
#               also capture a rootless engine's own network namespace, the one process
#               PID runs in (entered with nsenter -t PID -n), into namespaces/rootless-netns/:
#               for rootless Docker the pid of its dockerd (it runs in rootlesskit's
#               namespace, where the DOCKER chains and docker-proxy are); for rootless
#               Podman a process in its rootless-netns, such as aardvark-dns
#   -h, --help  print this help and exit
#
# Run it as root on the Docker host.  It only reads: it never changes the host,
# and it writes nothing outside DIR/NAME (and DIR/NAME.tar.gz or .tar.xz with --tar or --xz).
# Each command's stdout goes to its own file; its exit status, duration and
# stderr are recorded in DIR/NAME/MANIFEST.  Missing tools are recorded there
# too and are not fatal.
#
# Bundle layout (paths relative to the bundle directory):
#   MANIFEST                      one block per file (see "manifest format" below)
#   hostname, date, uname         hostname; date -u; uname -a
#   etc/docker/daemon.json        dockerd's configuration file (its --config-file, else
#                                 /etc/docker/daemon.json), when it exists
#   proc/net/{tcp,tcp6,udp,udp6,nf_conntrack}
#   proc/<pid>/net/{tcp,tcp6,udp,udp6}   for each running container (pid = State.Pid) that
#                                 has a network namespace of its own (a --network host
#                                 container's tables are the host's: MANIFEST says so)
#   proc/<pid>/ip_-o_link         that container's interfaces (eth0@ifN: N = host veth ifindex)
#   containers                    "<full id> <pid> <name>" per running container
#   namespaces/rootless-netns/<mangled command>   with --rootless-pid: ss -tanpeiO, ss -uanpe,
#                                 iptables-save -c, ip6tables-save -c, nft list ruleset,
#                                 conntrack -L -o extended, ip -o addr, ip -o link, ip route
#                                 run in that namespace (natlens keeps them apart from the
#                                 host's: that firewall is not the host's)
#   commands/<mangled command>    e.g. commands/ss_-tanpeiO, commands/iptables-save_-c
#   docker/<mangled command>      e.g. docker/docker_inspect_containers (a JSON array)
#   sysctl                        "key = value" lines (net.ipv4.ip_forward, route_localnet
#                                 per interface, bridge-nf-call-*, per-bridge nf_call_*,
#                                 hairpin_mode per bridge port)
#
# Manifest format: blocks separated by an empty line, each line "key: value";
# keys: file, command, exit (number, or "missing" when the tool is absent,
# "timeout" after 124), duration (seconds, fractional when `date +%N` works),
# and zero or more "stderr: <line>" lines.  The last block (file: -) describes
# the collector run itself.

set -u
umask 077
LC_ALL=C
export LC_ALL

OUTDIR=.
NAME=
TAR=
TLIMIT=20
DHOST=${DOCKER_HOST:-}
ENGINE=docker
RLPID=

# --help: this whole comment block on stdout, exit 0; a usage error: the synopsis and options on stderr, exit 2.
help() { sed -n '2,/^[^#]/s/^# \{0,1\}//p' "$0"; exit 0; }
usage() { sed -n '4,/^#   -h/s/^# \{0,1\}//p' "$0" >&2; echo "run 'sh collect.sh --help' for the bundle layout and the manifest format" >&2; exit 2; }

while [ $# -gt 0 ]; do
  case "$1" in
    -o) [ $# -ge 2 ] || usage; OUTDIR=$2; shift 2 ;;
    -n) [ $# -ge 2 ] || usage; NAME=$2; shift 2 ;;
    -H) [ $# -ge 2 ] || usage; DHOST=$2; shift 2 ;;
    -t) [ $# -ge 2 ] || usage; TLIMIT=$2; shift 2 ;;
    -E) [ $# -ge 2 ] || usage; ENGINE=$2; shift 2 ;;
    --rootless-pid) [ $# -ge 2 ] || usage; RLPID=$2; shift 2 ;;
    --tar) TAR=gz; shift ;;
    --xz) TAR=xz; shift ;;
    -h|--help) help ;;
    *) echo "collect.sh: unknown argument: $1" >&2; usage ;;
  esac
done

case "$NAME" in */*|.|..) echo "collect.sh: -n must be a plain name" >&2; exit 2 ;; esac
if [ -n "$RLPID" ]; then
  case "$RLPID" in *[!0-9]*) echo "collect.sh: --rootless-pid needs a process id, not '$RLPID'" >&2; exit 2 ;; esac
  if [ ! -e "/proc/$RLPID/ns/net" ]; then
    echo "collect.sh: --rootless-pid $RLPID: no such process (rootless Docker: the pid of its dockerd, e.g. pgrep -u USER -x dockerd)" >&2
    exit 2
  fi
  if [ "$(readlink "/proc/$RLPID/ns/net" 2>/dev/null)" = "$(readlink /proc/self/ns/net 2>/dev/null)" ]; then
    echo "collect.sh: --rootless-pid $RLPID runs in this host's own network namespace, not a rootless engine's (rootless Docker: the pid of its dockerd, not of rootlesskit)" >&2
    exit 2
  fi
fi

have() { command -v "$1" >/dev/null 2>&1; }

HN=$(hostname 2>/dev/null || cat /proc/sys/kernel/hostname 2>/dev/null || echo unknown)
TS=$(date -u +%Y%m%dT%H%M%SZ)
[ -n "$NAME" ] || NAME="natlens-$(printf '%s' "$HN" | tr -c 'A-Za-z0-9._-' '_')-$TS"

mkdir -p "$OUTDIR" || exit 1
B="$OUTDIR/$NAME"
if [ -e "$B" ]; then echo "collect.sh: $B already exists" >&2; exit 1; fi
mkdir -p "$B/commands" "$B/docker" "$B/proc/net" || exit 1
M="$B/MANIFEST"
ERR="$B/.stderr.tmp"

# Seconds since the epoch, with nanoseconds when date supports %N.
now() {
  n=$(date +%s.%N 2>/dev/null)
  case "$n" in *N*|"") date +%s ;; *) echo "$n" ;; esac
}
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", b - a }'; }

TIMEOUT=
if have timeout; then TIMEOUT="timeout $TLIMIT"; fi

DOCKER=$ENGINE
if [ -n "$DHOST" ]; then DOCKER="$DOCKER -H $DHOST"; fi
# file prefix: the engine program's name (docker, podman)
EN=$(set -- $ENGINE; basename "$1")

# manifest FILE COMMAND EXIT DURATION [STDERRFILE]
manifest() {
  {
    echo "file: $1"
    echo "command: $2"
    echo "exit: $3"
    echo "duration: $4"
    if [ $# -ge 5 ] && [ -s "$5" ]; then sed 's/^/stderr: /' "$5"; fi
    echo
  } >>"$M"
}

# run RELFILE CMD... : stdout -> $B/RELFILE, stderr -> MANIFEST
run() {
  rel=$1; shift
  tool=$1
  if ! have "$tool"; then
    manifest "$rel" "$*" missing 0
    return 0
  fi
  t0=$(now)
  # shellcheck disable=SC2086
  $TIMEOUT "$@" >"$B/$rel" 2>"$ERR" </dev/null
  rc=$?
  t1=$(now)
  [ "$rc" = 124 ] && [ -n "$TIMEOUT" ] && rc=timeout
  manifest "$rel" "$*" "$rc" "$(elapsed "$t0" "$t1")" "$ERR"
  rm -f "$ERR"
}

# copyfile RELFILE SRC : copy a /proc file with cat (stat size is 0 there)
copyfile() {
  rel=$1; src=$2
  t0=$(now)
  if [ -r "$src" ]; then
    cat "$src" >"$B/$rel" 2>"$ERR"; rc=$?
  else
    echo "$src: not readable or absent" >"$ERR"; rc=missing
  fi
  t1=$(now)
  manifest "$rel" "cat $src" "$rc" "$(elapsed "$t0" "$t1")" "$ERR"
  rm -f "$ERR"
}

mangle() { printf '%s' "$*" | tr -c 'A-Za-z0-9._-' '_'; }

# hostcmd CMD... : run into commands/<mangled>
hostcmd() { run "commands/$(mangle "$@")" "$@"; }

T_START=$(now)
{
  echo "# natlens collect manifest v1"
  echo
} >"$M"

echo "$HN" >"$B/hostname"
date -u >"$B/date"
uname -a >"$B/uname" 2>/dev/null

# --- kernel socket and conntrack tables (host network namespace) ---
for f in tcp tcp6 udp udp6 nf_conntrack; do
  copyfile "proc/net/$f" "/proc/net/$f"
done

# --- sockets, processes ---
hostcmd ss -tanpeiO
hostcmd ss -uanpe
if have netstat; then hostcmd netstat -tanpeW; else manifest "commands/netstat_-tanpeW" "netstat -tanpeW" missing 0; fi
hostcmd ps -efww

# --- firewall ---
hostcmd iptables-save -c
hostcmd ip6tables-save -c
hostcmd iptables -t nat -nvL --line-numbers
hostcmd iptables -t filter -nvL --line-numbers
hostcmd iptables -t raw -nvL --line-numbers
hostcmd ip6tables -t nat -nvL --line-numbers
if have nft; then hostcmd nft list ruleset; else manifest "commands/nft_list_ruleset" "nft list ruleset" missing 0; fi
if have conntrack; then
  hostcmd conntrack -L -o extended
else
  manifest "commands/conntrack_-L_-o_extended" "conntrack -L -o extended" missing 0
fi

# --- addresses and routes ---
hostcmd ip -o addr
hostcmd ip -o link
hostcmd ip route
hostcmd ip -6 route

# --- sysctls that decide the paths ---
{
  for k in net/ipv4/ip_forward net/ipv6/conf/all/forwarding \
           net/bridge/bridge-nf-call-iptables net/bridge/bridge-nf-call-ip6tables; do
    if [ -r "/proc/sys/$k" ]; then
      echo "$(echo "$k" | tr / .) = $(cat "/proc/sys/$k")"
    else
      echo "$(echo "$k" | tr / .) = (absent)"
    fi
  done
  for d in /proc/sys/net/ipv4/conf/*; do
    i=${d##*/}
    [ -r "$d/route_localnet" ] && echo "net.ipv4.conf.$i.route_localnet = $(cat "$d/route_localnet")"
  done
  for br in /sys/class/net/*/bridge; do
    [ -d "$br" ] || continue
    n=${br%/bridge}; n=${n##*/}
    for o in nf_call_iptables nf_call_ip6tables; do
      [ -r "$br/$o" ] && echo "sys.class.net.$n.bridge.$o = $(cat "$br/$o")"
    done
    for p in /sys/class/net/"$n"/brif/*; do
      [ -r "$p/hairpin_mode" ] && echo "sys.class.net.$n.brif.${p##*/}.hairpin_mode = $(cat "$p/hairpin_mode")"
    done
  done
} >"$B/sysctl" 2>/dev/null
manifest sysctl "read /proc/sys and /sys/class/net/*/bridge" 0 0

# --- dockerd's configuration file ---
# the path dockerd was given (--config-file X or --config-file=X), else the default
CONF=
for p in /proc/[0-9]*; do
  [ -r "$p/cmdline" ] || continue
  a=$(tr '\0' '\n' <"$p/cmdline" 2>/dev/null) || continue
  case "$(printf '%s\n' "$a" | head -n 1)" in */dockerd|dockerd) ;; *) continue ;; esac
  c=$(printf '%s\n' "$a" | awk 'f { print; exit } $0 == "--config-file" { f = 1 } sub(/^--config-file=/, "") { print; exit }')
  [ -n "$c" ] && CONF=$c && break
done
[ -n "$CONF" ] || CONF=/etc/docker/daemon.json
if [ -r "$CONF" ]; then
  mkdir -p "$B/etc/docker"
  copyfile etc/docker/daemon.json "$CONF"
else
  manifest etc/docker/daemon.json "cat $CONF" missing 0
fi

# --- docker ---
if have "$(set -- $ENGINE; echo "$1")"; then
  # shellcheck disable=SC2086
  run docker/${EN}_ps_--no-trunc $DOCKER ps --no-trunc
  # shellcheck disable=SC2086
  run docker/${EN}_info $DOCKER info
  # shellcheck disable=SC2086
  run docker/${EN}_version $DOCKER version
  # shellcheck disable=SC2086
  run docker/${EN}_ps_-q_--no-trunc $DOCKER ps -q --no-trunc
  ids=$(cat "$B/docker/${EN}_ps_-q_--no-trunc" 2>/dev/null)
  if [ -n "$ids" ]; then
    # shellcheck disable=SC2086
    run docker/${EN}_inspect_containers $DOCKER inspect $ids
    # shellcheck disable=SC2086
    run containers $DOCKER inspect --format '{{.Id}} {{.State.Pid}} {{.Name}}' $ids
  else
    echo "[]" >"$B/docker/${EN}_inspect_containers"
    manifest docker/${EN}_inspect_containers "(no running containers)" 0 0
    : >"$B/containers"
  fi
  # shellcheck disable=SC2086
  run docker/${EN}_network_ls_-q_--no-trunc $DOCKER network ls -q --no-trunc
  nets=$(cat "$B/docker/${EN}_network_ls_-q_--no-trunc" 2>/dev/null)
  if [ -n "$nets" ]; then
    # shellcheck disable=SC2086
    run docker/${EN}_network_inspect $DOCKER network inspect $nets
  fi
else
  for f in ps_--no-trunc info version inspect_containers network_inspect; do
    manifest "docker/${EN}_$f" "$EN" missing 0
  done
  : >"$B/containers"
fi

# --- per-container network namespaces ---
if [ -s "$B/containers" ]; then
  while read -r cid pid cname; do
    case "$pid" in ''|0|*[!0-9]*) continue ;; esac
    # a --network host container shares the host's namespace: its tables are proc/net/*
    hn=$(readlink /proc/self/ns/net 2>/dev/null)
    cn=$(readlink "/proc/$pid/ns/net" 2>/dev/null)
    if [ -n "$hn" ] && [ "$hn" = "$cn" ]; then
      manifest "proc/$pid/net" "(not copied: pid $pid is in the host's network namespace $hn, see proc/net)" 0 0
      continue
    fi
    mkdir -p "$B/proc/$pid/net"
    for f in tcp tcp6 udp udp6; do
      copyfile "proc/$pid/net/$f" "/proc/$pid/net/$f"
    done
    # the container's interfaces: "eth0@ifN" names the host-side veth (ifindex N), which
    # ties the bridge port (and its hairpin_mode in sysctl) to this container
    if have nsenter; then
      run "proc/$pid/ip_-o_link" nsenter -t "$pid" -n ip -o link
    else
      manifest "proc/$pid/ip_-o_link" "nsenter -t $pid -n ip -o link" missing 0
    fi
    : "$cid" "$cname"
  done <"$B/containers"
fi

# --- a rootless engine's own network namespace (--rootless-pid) ---
if [ -n "$RLPID" ]; then
  d=namespaces/rootless-netns
  mkdir -p "$B/$d"
  for c in "ss -tanpeiO" "ss -uanpe" "iptables-save -c" "ip6tables-save -c" "nft list ruleset" \
           "conntrack -L -o extended" "ip -o addr" "ip -o link" "ip route"; do
    # shellcheck disable=SC2086
    set -- $c
    if ! have nsenter; then
      manifest "$d/$(mangle "$@")" "nsenter -t $RLPID -n $*" missing 0
    elif ! have "$1"; then
      manifest "$d/$(mangle "$@")" "nsenter -t $RLPID -n $*" missing 0
    else
      run "$d/$(mangle "$@")" nsenter -t "$RLPID" -n "$@"
    fi
  done
fi

T_END=$(now)
{
  echo "file: -"
  echo "command: collect.sh (natlens collector)"
  echo "exit: 0"
  echo "duration: $(elapsed "$T_START" "$T_END")"
  echo "started: $TS"
  echo "docker_host: ${DHOST:-(default)}"
  echo "engine: $ENGINE"
  [ -n "$RLPID" ] && echo "rootless_netns: pid $RLPID ($(readlink "/proc/$RLPID/ns/net" 2>/dev/null))"
  echo "timeout: ${TIMEOUT:-(none: timeout not found)}"
  echo
} >>"$M"

rm -f "$ERR"
if [ "$TAR" = xz ] && ! have xz; then
  echo "collect.sh: xz not found: writing $NAME.tar.gz instead of $NAME.tar.xz" >&2
  TAR=gz
fi
if [ -n "$TAR" ]; then
  Z=z
  [ "$TAR" = xz ] && Z=J
  # written under a .part name and renamed: an interrupted run leaves no archive that looks whole
  if (cd "$OUTDIR" && tar -c${Z}f "$NAME.tar.$TAR.part" "$NAME" && mv "$NAME.tar.$TAR.part" "$NAME.tar.$TAR"); then
    echo "$OUTDIR/$NAME.tar.$TAR"
  else
    rm -f "$OUTDIR/$NAME.tar.$TAR.part"
    echo "collect.sh: packing $NAME.tar.$TAR failed" >&2
  fi
fi
echo "$B"
