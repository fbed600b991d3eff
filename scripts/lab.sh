#!/bin/sh
# natlens lab: build a real Docker host on this machine, open connections of
# every kind listed in docs docker-paths §4.3, capture it with collect.sh and
# write samples/<scenario>/ with a confirmed EXPECTED.json.
#
#   sh scripts/lab.sh <scenario>|all|teardown
#
# scenarios:
#   lab-proxy       Debian docker.io 20.10, --userland-proxy=true
#   lab-noproxy     Debian docker.io 20.10, --userland-proxy=false
#   lab-ipv6        20.10, proxy on, --experimental --ipv6 --ip6tables --fixed-cidr-v6
#   lab-ipv6-noproxy  the same with --userland-proxy=false (lab-ipv6's twin for --what-if)
#   lab-proxy-sos   as lab-proxy, but the capture is laid out as a sosreport names files
#   lab-proxy-scc   as lab-proxy, captured by SUSE's real supportconfig (openSUSE supportutils,
#                   unpacked in NATLENS_SCC_ROOT, see samples/README.md), reduced to its entries
#                   natlens reads
#   lab28-proxy     Debian sid docker.io 28.5.2 (unpacked in /opt/natlens-sid), proxy on
#   lab28-noproxy   28.5.2, proxy off
#   lab-noiptables  20.10, --iptables=false (empty nat/filter tables), proxy on; an external
#                   client routed straight to a container, everything else via docker-proxy
#   lab-noiptables-bare  the same on a netns where no netfilter table exists at all
#                   (empty iptables-save and nft ruleset, no conntrack entries)
#   lab-noiptables-noproxy, lab-noiptables-bare-noproxy, lab28-noiptables-noproxy: their
#                   twins with --userland-proxy=false (same clients), for --what-if
#   lab-udp, lab-udp-noproxy, lab28-udp, lab28-udp-noproxy: UDP published ports only
#                   (-p 5353:5353/udp and friends), proxy on and off, 20.10 and 28.5.2
#   lab-podman      Debian podman 4.3.1 rootful (netavark), same containers and clients
#   lab-nohairpin   20.10, proxy off, hairpin_mode turned back to 0 on web's bridge port:
#                   web's connection to its own published port hangs, others still work
#   lab-extra       20.10, proxy on: a port range, a --network host container, a port
#                   published on one host address, an --internal bridge
#   lab-extra-noproxy  the same with --userland-proxy=false
#   lab28-nohairpin, lab28-noiptables, lab28-extra, lab28-extra-noproxy: the same on 28.5.2
#   lab-rootless-podman, lab-rootless-docker, lab-rootless-docker-slirp: rootless engines, run by
#                   scripts/lab/rootless.sh (as a user of their own, in this machine's own network
#                   namespace: run them under `flock /work/lab.lock`; see that script)
#
# Everything runs in two network namespaces created here: natlens-lab (the
# "Docker host": dockerd, bridges, iptables, host clients; address
# 198.51.100.1/24, 2001:db8:1::1/64) and natlens-ext (the "external" client,
# 198.51.100.10, 2001:db8:1::10).  The machine's own netns and firewall are not
# touched.  dockerd runs with its own data-root/exec-root/socket/pidfile and is
# stopped by its pid.  Requires root and the packages named in samples/README.md.
# NATLENS_LAB_NS, NATLENS_LAB_EXT (namespace names), NATLENS_LAB_RUN, NATLENS_LAB_DATA
# (directories) and NATLENS_LAB_VETH (veth name prefix) rename what the lab creates, so two
# labs on one machine never meet; the lab host is called natlens-lab either way.
# NATLENS_SAMPLES_DIR (default samples/) is where the sample is written and NATLENS_LAB_LOGS
# (default /tmp/natlens-lab-logs) where dockerd's log and the clients' files are kept, for a
# trial run that must not replace a committed sample.

set -u
LC_ALL=C
export LC_ALL

HERE=$(cd "$(dirname "$0")" && pwd)
REPO=$(cd "$HERE/.." && pwd)
SAMPLES=${NATLENS_SAMPLES_DIR:-$REPO/samples}   # where the sample is written
LAB=${NATLENS_LAB_RUN:-/run/natlens-lab}
DATA=${NATLENS_LAB_DATA:-/var/lib/natlens-lab}
SOCK="unix://$LAB/docker.sock"
NS=${NATLENS_LAB_NS:-natlens-lab}
EXT=${NATLENS_LAB_EXT:-natlens-ext}
VETH=${NATLENS_LAB_VETH:-nl}
SID=${NATLENS_SID_ROOT:-/opt/natlens-sid/root}
SCC_ROOT=${NATLENS_SCC_ROOT:-/opt/natlens-supportutils}
IMG=natlens/echo:lab
LOGS=${NATLENS_LAB_LOGS:-/tmp/natlens-lab-logs}
HOLD=${NATLENS_HOLD:-900}   # seconds each client keeps its connection open

# shellcheck source=scripts/lab/common.sh
. "$HERE/lab/common.sh"

log() { echo "lab: $*" >&2; }
die() { log "ERROR: $*"; exit 1; }

[ "$(id -u)" = 0 ] || die "run as root"

DOCKER_BIN=docker
ENG=docker
# podman (lab-podman): rootful, its own storage/run/network-config dirs, run in the lab netns
# (nsenter keeps this machine's mount namespace and cgroup mounts) and in a UTS namespace
# named natlens-lab; crun refuses this machine's cgroup layout, so the system runc is used
PMFLAGS="--root $DATA/podman --runroot $LAB/podman-run --tmpdir $LAB/podman-tmp --network-config-dir $LAB/podman-net --cgroup-manager cgroupfs --events-backend file --runtime runc"
RUNX=
dk() {
  if [ "$ENG" = podman ]; then
    # shellcheck disable=SC2086
    nsenter --net="/run/netns/$NS" unshare --uts sh -c 'hostname natlens-lab; exec "$@"' pm podman $PMFLAGS "$@"
  else
    "$DOCKER_BIN" -H "$SOCK" "$@"
  fi
}
inlab() { ip netns exec "$NS" "$@"; }

# ---------------------------------------------------------------- teardown
teardown() {
  # client process groups we started (pid files written by the clients themselves)
  kill_clients "$LAB/clients"
  if [ -S "$LAB/docker.sock" ] && [ -f "$LAB/docker.pid" ]; then
    ids=$(dk ps -aq 2>/dev/null)
    [ -n "$ids" ] && dk rm -f $ids >/dev/null 2>&1
  fi
  if [ -d "$DATA/podman" ] && [ -d "/run/netns" ] && [ -e "/run/netns/$NS" ]; then
    # podman's containers (and their conmon processes) go with rm -f; netavark removes its rules
    ENG=podman dk rm -f -t 0 -a >/dev/null 2>&1
    ENG=podman dk network rm -f labnet >/dev/null 2>&1
  fi
  if [ -f "$LAB/docker.pid" ]; then
    p=$(cat "$LAB/docker.pid")
    case "$p" in ''|*[!0-9]*) ;; *)
      if kill -0 "$p" 2>/dev/null; then
        kill -TERM "$p"
        i=0; while kill -0 "$p" 2>/dev/null && [ $i -lt 40 ]; do sleep 0.5; i=$((i+1)); done
        kill -0 "$p" 2>/dev/null && kill -KILL "$p"
      fi ;;
    esac
  fi
  # the managed containerd and its shims exit with dockerd; wait a moment for them
  sleep 1
  # unmount anything left under our roots (netns bind mounts, vfs, shm)
  unmount_under "$LAB" "$DATA"
  ip netns del "$EXT" 2>/dev/null
  ip netns del "$NS" 2>/dev/null
  rm -rf "$LAB" "$DATA"
}

# ---------------------------------------------------------------- image
build_image() {
  r="$LAB/rootfs"
  rm -rf "$r"; mkdir -p "$r/bin" "$r/tmp" "$r/etc" "$r/proc" "$r/sys" "$r/dev"
  cp /bin/busybox "$r/bin/busybox"
  for a in sh nc cat sleep echo ls ps ip netstat hostname env true false httpd wc head tail grep kill; do
    ln -s busybox "$r/bin/$a"
  done
  # socat (dynamic) with its libraries: used for the UDP echo server and for clients
  # with fixed source ports inside containers
  mkdir -p "$r/usr/bin"
  cp "$(command -v socat)" "$r/usr/bin/socat"
  ldd "$(command -v socat)" | awk '/=>/ {print $3} /^\t\// {print $1}' | while read -r lib; do
    [ -f "$lib" ] || continue
    mkdir -p "$r$(dirname "$lib")"; cp -L "$lib" "$r$lib"
  done
  # udpecho PORT: a UDP echo server that also logs each datagram's peer as the container sees it
  # and its payload (clients send ping-<flow id>) to /tmp/peers, read back by the checker
  cat >"$r/bin/udpecho" <<'UDPECHO'
#!/bin/sh
exec socat UDP-RECVFROM:"$1",fork SYSTEM:'read -r l; echo "$SOCAT_PEERADDR $SOCAT_PEERPORT $l" >>/tmp/peers; echo "$l"'
UDPECHO
  chmod 755 "$r/bin/udpecho"
  echo 'root:x:0:0:root:/:/bin/sh' >"$r/etc/passwd"
  echo 'root:x:0:' >"$r/etc/group"
  tar -C "$r" -cf "$LAB/rootfs.tar" .
  dk import -c 'ENV PATH=/usr/bin:/bin' "$LAB/rootfs.tar" "$IMG" >/dev/null || die "$ENG import failed"
}

# ---------------------------------------------------------------- network namespaces
setup_netns() {
  ip netns add "$NS" || die "ip netns add $NS"
  ip netns add "$EXT" || die "ip netns add $EXT"
  ip link add "$VETH-host" type veth peer name "$VETH-ext" || die "veth"
  ip link set "$VETH-host" netns "$NS"
  ip link set "$VETH-ext" netns "$EXT"
  inlab ip link set lo up
  inlab ip link set "$VETH-host" name eth0
  inlab ip addr add 198.51.100.1/24 dev eth0
  [ "$EXTRA" = 1 ] && inlab ip addr add 198.51.100.2/24 dev eth0
  inlab ip -6 addr add 2001:db8:1::1/64 dev eth0 nodad
  inlab ip link set eth0 up
  inlab sysctl -qw net.ipv4.ip_forward=1
  ip netns exec "$EXT" ip link set lo up
  ip netns exec "$EXT" ip link set "$VETH-ext" name eth0
  ip netns exec "$EXT" ip addr add 198.51.100.10/24 dev eth0
  ip netns exec "$EXT" ip -6 addr add 2001:db8:1::10/64 dev eth0 nodad
  ip netns exec "$EXT" ip link set eth0 up
  ip netns exec "$EXT" ip route add default via 198.51.100.1
  ip netns exec "$EXT" ip -6 route add default via 2001:db8:1::1
  # lab-noiptables: the host has nat and filter tables with no rules in them (as after
  # `iptables -F; iptables -t nat -F`, or any tool that created them), which also makes the
  # kernel track connections; lab-noiptables-bare leaves netfilter untouched (no tables at
  # all, so no conntrack entries either)
  if [ "$EMPTYTABLES" = 1 ]; then
    printf '*nat\n:PREROUTING ACCEPT [0:0]\n:INPUT ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n:POSTROUTING ACCEPT [0:0]\nCOMMIT\n*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\nCOMMIT\n' |
      inlab iptables-restore || die "iptables-restore (empty tables)"
  fi
}

# ---------------------------------------------------------------- dockerd
start_dockerd() {
  mkdir -p "$LAB/exec" "$DATA/docker"
  PATHX=$PATH
  set -- --storage-driver=vfs --data-root="$DATA/docker" --exec-root="$LAB/exec" \
         -H "$SOCK" --pidfile="$LAB/docker.pid" --userland-proxy="$PROXY" \
         --log-level=info --config-file="$LAB/daemon.json"
  [ "$IPT" = false ] && set -- "$@" --iptables=false
  # a daemon.json of our own, so that this machine's /etc/docker is never read; collect.sh
  # finds it through dockerd's --config-file and saves it
  printf '%s\n' "$DAEMON_JSON" >"$LAB/daemon.json"
  if [ "$VER" = 28 ]; then
    [ -x "$SID/usr/sbin/dockerd" ] || die "Docker 28 not unpacked in $SID (see samples/README.md)"
    PATHX="$SID/usr/bin:$SID/usr/sbin:$SID/usr/libexec/docker:$PATH"
    set -- "$@" --userland-proxy-path="$SID/usr/sbin/docker-proxy"
    DOCKER_BIN="$SID/usr/bin/docker"
  else
    DOCKER_BIN=docker
  fi
  if [ "$V6" = 1 ]; then
    set -- "$@" --experimental --ipv6 --ip6tables --fixed-cidr-v6=fd00:17::/64
    inlab sysctl -qw net.ipv6.conf.all.forwarding=1
  fi
  log "starting dockerd $VER ($*)"
  # nsenter --net keeps this machine's mount namespace (cgroup v1 mounts) but puts
  # dockerd, containerd and all containers' parent netns into natlens-lab.
  # unshare --uts gives the lab host the name natlens-lab (it shows in docker info).
  PATH=$PATHX setsid nsenter --net="/run/netns/$NS" unshare --uts sh -c \
    'hostname natlens-lab; exec dockerd "$@"' dockerd "$@" \
    >"$LAB/dockerd.log" 2>&1 </dev/null &
  i=0
  while ! dk version >/dev/null 2>&1; do
    i=$((i+1)); [ $i -gt 120 ] && { tail -20 "$LAB/dockerd.log" >&2; die "dockerd did not come up"; }
    sleep 0.5
  done
  log "dockerd pid $(cat "$LAB/docker.pid") up"
}

# ---------------------------------------------------------------- containers
start_containers() {
  dk network create --subnet 10.99.0.0/24 --gateway 10.99.0.1 labnet >/dev/null || die "network create"
  if [ "$UDP" = 1 ]; then
    # UDP published ports only: dns on docker0, dns2 on labnet (another host port than its own),
    # ldns on 127.0.0.1 only; cli and cli2 are clients
    dk run -d --name dns -p 5353:5353/udp "$IMG" udpecho 5353 >/dev/null || die "run dns"
    dk run -d --name dns2 --network labnet -p 5354:5353/udp "$IMG" udpecho 5353 >/dev/null || die "run dns2"
    dk run -d --name ldns -p 127.0.0.1:5355:5353/udp "$IMG" udpecho 5353 >/dev/null || die "run ldns"
    dk run -d --name cli "$IMG" sleep 100000 >/dev/null || die "run cli"
    dk run -d --name cli2 --network labnet "$IMG" sleep 100000 >/dev/null || die "run cli2"
    names="dns dns2 ldns cli cli2"
  else
  # web: TCP echo on 80 (busybox nc, persistent), UDP echo on 5353 (socat)
  dk run -d $RUNX --name web -p 8080:80 -p 5353:5353/udp "$IMG" \
     sh -c 'socat UDP-RECVFROM:5353,fork PIPE & exec nc -ll -p 80 -e /bin/cat' >/dev/null || die "run web"
  dk run -d $RUNX --name admin -p 127.0.0.1:9090:80 "$IMG" nc -ll -p 80 -e /bin/cat >/dev/null || die "run admin"
  dk run -d $RUNX --name cli "$IMG" sleep 100000 >/dev/null || die "run cli"
  dk run -d $RUNX --name api --network labnet -p 5000:5000 "$IMG" nc -ll -p 5000 -e /bin/cat >/dev/null || die "run api"
  dk run -d $RUNX --name cli2 --network labnet "$IMG" sleep 100000 >/dev/null || die "run cli2"
  names="web admin cli api cli2"
  if [ "$EXTRA" = 1 ]; then
    # a port range: one binding (DNAT rule, docker-proxy) per port
    dk run -d --name rng -p 7000-7002:7000-7002 "$IMG" \
       sh -c 'nc -ll -p 7000 -e /bin/cat & nc -ll -p 7001 -e /bin/cat & exec nc -ll -p 7002 -e /bin/cat' >/dev/null || die "run rng"
    # a container in the host's network namespace: no NAT, no proxy, its sockets are the host's
    dk run -d --name hnet --network host "$IMG" nc -ll -p 8888 -e /bin/cat >/dev/null || die "run hnet"
    # a port published on one host address only (198.51.100.2, a second address on eth0)
    dk run -d --name tls -p 198.51.100.2:8443:443 "$IMG" nc -ll -p 443 -e /bin/cat >/dev/null || die "run tls"
    # an --internal bridge: reachable from the host and from its own members only
    dk network create --internal --subnet 10.98.0.0/24 --gateway 10.98.0.1 intnet >/dev/null || die "network create intnet"
    dk run -d --name priv --network intnet "$IMG" nc -ll -p 80 -e /bin/cat >/dev/null || die "run priv"
    dk run -d --name cli3 --network intnet "$IMG" sleep 100000 >/dev/null || die "run cli3"
    names="$names rng hnet tls priv cli3"
  fi
  fi
  sleep 2
  # turn hairpin_mode back off on web's bridge port (lab-nohairpin)
  if [ "$NOHAIRPIN" = 1 ]; then
    wpid=$(dk inspect -f '{{.State.Pid}}' web)
    # the host side of web's veth pair: its ifindex is web's eth0 iflink
    peer=$(nsenter --net=/proc/"$wpid"/ns/net ip -o link show eth0 | sed -n 's/^[0-9]*: eth0@if\([0-9]*\):.*/\1/p')
    port=$(inlab ip -o link | awk -F': ' -v i="$peer" '$1 == i { sub(/@.*/, "", $2); print $2 }')
    [ -n "$port" ] || die "web's bridge port not found"
    inlab sh -c "echo 0 >/sys/class/net/docker0/brif/$port/hairpin_mode" || die "hairpin_mode"
    log "hairpin_mode of $port (web) set to $(inlab cat /sys/class/net/docker0/brif/$port/hairpin_mode)"
  fi
  # token map for the flow table: @<name>4 @<name>6 @gw<name>4 @gw<name>6
  : >"$LAB/tokens.sed"
  for c in $names; do
    dk inspect -f '{{range .NetworkSettings.Networks}}{{.IPAddress}} {{.Gateway}} {{.GlobalIPv6Address}} {{.IPv6Gateway}}{{end}}' "$c" |
      while read -r ip4 gw4 ip6 gw6; do
        printf 's/@%s4\\b/%s/g; s/@gw%s4\\b/%s/g\n' "$c" "$ip4" "$c" "$gw4" >>"$LAB/tokens.sed"
        [ -n "${ip6:-}" ] && printf 's/@%s6\\b/%s/g; s/@gw%s6\\b/%s/g\n' "$c" "$ip6" "$c" "$gw6" >>"$LAB/tokens.sed"
      done
  done
}

# ---------------------------------------------------------------- flows
# columns: id proto kind from sport dialIP dialPort target tport row proxyExpect noproxyExpect
#   kind: external|host|container; from: container name for kind=container, else -
#   expect: path,snat,sees   path dnat|docker-proxy|direct|failed; snat 0|1 (netfilter
#   source NAT); sees = the peer address the target container sees (token or ip), or -
# Derived from docker-paths §4.3 (rows) for the action the lab performs.
# host-gw-to-web without the proxy: the "MASQ LOCAL HOST" rule matches, but the source is
# already the gateway address, so the masquerade is a no-op (reply dst = orig src): snat 0.
flows_v4() {
cat <<'EOF'
ext-to-web         tcp external  -    40001 198.51.100.1 8080 web   80   1  dnat,0,198.51.100.10        dnat,0,198.51.100.10
ext-to-api         tcp external  -    40002 198.51.100.1 5000 api   5000 1  dnat,0,198.51.100.10        dnat,0,198.51.100.10
ext-to-admin       tcp external  -    40003 198.51.100.1 9090 admin 80   -  failed,0,-                  failed,0,-
host-lo-to-web     tcp host      -    40011 127.0.0.1    8080 web   80   2  docker-proxy,0,@gwweb4      dnat,1,@gwweb4
host-lo6-to-web    tcp host      -    40012 ::1          8080 web   80   3  docker-proxy,0,@gwweb4      failed,0,-
host-ip-to-web     tcp host      -    40013 198.51.100.1 8080 web   80   4  dnat,0,198.51.100.1         dnat,1,@gwweb4
host-gw-to-web     tcp host      -    40014 @gwweb4      8080 web   80   4  dnat,0,@gwweb4              dnat,0,@gwweb4
host-lo-to-admin   tcp host      -    40015 127.0.0.1    9090 admin 80   2  docker-proxy,0,@gwadmin4    dnat,1,@gwadmin4
host-to-web-direct tcp host      -    40016 @web4        80   web   80   9  direct,0,@gwweb4            direct,0,@gwweb4
cli-to-web         tcp container cli  41001 198.51.100.1 8080 web   80   5  docker-proxy,0,@gwweb4      dnat,0,@cli4
web-to-self        tcp container web  41002 198.51.100.1 8080 web   80   6  docker-proxy,0,@gwweb4      dnat,1,@gwweb4
cli-to-api         tcp container cli  41003 198.51.100.1 5000 api   5000 7  docker-proxy,0,@gwapi4      failed,0,-
cli2-to-web        tcp container cli2 41004 198.51.100.1 8080 web   80   7  docker-proxy,0,@gwweb4      failed,0,-
cli-to-web-direct  tcp container cli  41005 @web4        80   web   80   9  direct,0,@cli4              direct,0,@cli4
ext-udp-to-web     udp external  -    40021 198.51.100.1 5353 web   5353 1  dnat,0,198.51.100.10        dnat,0,198.51.100.10
host-lo-udp-to-web udp host      -    40022 127.0.0.1    5353 web   5353 2  docker-proxy,0,@gwweb4      dnat,1,@gwweb4
EOF
}

flows_v6() {
cat <<'EOF'
ext-to-web         tcp external  -    40001 198.51.100.1  8080 web 80   1  dnat,0,198.51.100.10   dnat,0,198.51.100.10
host-lo-to-web     tcp host      -    40011 127.0.0.1     8080 web 80   2  docker-proxy,0,@gwweb4 dnat,1,@gwweb4
ext6-to-web        tcp external  -    40031 2001:db8:1::1 8080 web 80   8  dnat,0,2001:db8:1::10  dnat,0,2001:db8:1::10
ext6-to-api        tcp external  -    40032 2001:db8:1::1 5000 api 5000 8  docker-proxy,0,@gwapi4 failed,0,-
host-lo6-to-web    tcp host      -    40033 ::1           8080 web 80   3  docker-proxy,0,@gwweb6 failed,0,-
host-ip6-to-web    tcp host      -    40034 2001:db8:1::1 8080 web 80   4  dnat,0,2001:db8:1::1   dnat,1,@gwweb6
cli-to-web6        tcp container cli  41031 2001:db8:1::1 8080 web 80   5  docker-proxy,0,@gwweb6 dnat,0,@cli6
cli-to-web-direct6 tcp container cli  41032 @web6         80   web 80   9  direct,0,@cli6         direct,0,@cli6
EOF
}

# --iptables=false: no NAT anywhere; docker-proxy relays every published-port connection,
# external ones included (docker-paths §1.10, §7.14); an external host that routes to the
# bridge subnet (natlens-ext's default route is the lab host) reaches the container directly.
# No UDP clients here: with no rule loaded the kernel tracks nothing (even with empty nat
# tables), and docker-proxy's UDP listener is unconnected, so nothing in a capture pairs a
# UDP client with the proxy's backend socket; an expectation could not be confirmed.
# With the proxy off too (lab*-noiptables-noproxy, the what-if twins) nothing carries a
# published port: dockerd's placeholder listener holds it (20.10: a listener that never
# accepts, so the handshake completes and the client's line is never answered; 28.x: backlog
# 0), so those rows fail; clients of the containers' own addresses are not touched.
flows_noipt() {
cat <<'EOF'
ext-to-web          tcp external  -    40001 198.51.100.1 8080 web   80   1  docker-proxy,0,@gwweb4   failed,0,-
ext-to-api          tcp external  -    40002 198.51.100.1 5000 api   5000 1  docker-proxy,0,@gwapi4   failed,0,-
ext-to-admin        tcp external  -    40003 198.51.100.1 9090 admin 80   -  failed,0,-               failed,0,-
ext-to-web-direct   tcp external  -    40004 @web4        80   web   80   9  direct,0,198.51.100.10   direct,0,198.51.100.10
ext-to-api-direct   tcp external  -    40005 @api4        5000 api   5000 9  direct,0,198.51.100.10   direct,0,198.51.100.10
host-lo-to-web      tcp host      -    40011 127.0.0.1    8080 web   80   2  docker-proxy,0,@gwweb4   failed,0,-
host-ip-to-web      tcp host      -    40013 198.51.100.1 8080 web   80   4  docker-proxy,0,@gwweb4   failed,0,-
host-lo-to-admin    tcp host      -    40015 127.0.0.1    9090 admin 80   2  docker-proxy,0,@gwadmin4 failed,0,-
host-to-web-direct  tcp host      -    40016 @web4        80   web   80   9  direct,0,@gwweb4         direct,0,@gwweb4
cli-to-web          tcp container cli  41001 198.51.100.1 8080 web   80   5  docker-proxy,0,@gwweb4   failed,0,-
web-to-self         tcp container web  41002 198.51.100.1 8080 web   80   6  docker-proxy,0,@gwweb4   failed,0,-
cli-to-api          tcp container cli  41003 198.51.100.1 5000 api   5000 7  docker-proxy,0,@gwapi4   failed,0,-
cli-to-api-direct   tcp container cli  41006 @api4        5000 api   5000 9  direct,0,@cli4           direct,0,@cli4
EOF
}

# UDP published ports only (lab-udp*, lab28-udp*): every client sends ping-<id> every 5 s; the
# echo server answers and logs the peer it sees (udpecho).  docker-proxy relays UDP too (-proto
# udp); on 20.10 its replies leave from the address the route picks (the bridge's for a
# container client), so a container client's connected socket drops them (moby#48571, fixed in
# 28.0): the datagrams reach the container, the answers never reach the client.
# No external IPv6 client: without --ip6tables nothing tracks IPv6, and docker-proxy's UDP
# frontend is unconnected, so such a client leaves no trace on the host but one more backend
# socket (an expectation no capture could confirm).
flows_udp() {
cat <<'EOF'
ext-udp-to-dns        udp external  -    40061 198.51.100.1  5353 dns  5353 1  dnat,0,198.51.100.10     dnat,0,198.51.100.10
ext-udp-to-dns2       udp external  -    40062 198.51.100.1  5354 dns2 5353 1  dnat,0,198.51.100.10     dnat,0,198.51.100.10
ext-udp-to-ldns       udp external  -    40064 198.51.100.1  5355 ldns 5353 -  failed,0,-               failed,0,-
host-lo-udp-to-dns    udp host      -    40065 127.0.0.1     5353 dns  5353 2  docker-proxy,0,@gwdns4   dnat,1,@gwdns4
host-lo6-udp-to-dns   udp host      -    40066 ::1           5353 dns  5353 3  docker-proxy,0,@gwdns4   failed,0,-
host-ip-udp-to-dns    udp host      -    40067 198.51.100.1  5353 dns  5353 4  dnat,0,198.51.100.1      dnat,1,@gwdns4
host-lo-udp-to-ldns   udp host      -    40068 127.0.0.1     5355 ldns 5353 2  docker-proxy,0,@gwldns4  dnat,1,@gwldns4
cli-udp-to-dns        udp container cli  41061 198.51.100.1  5353 dns  5353 5  docker-proxy,0,@gwdns4   dnat,0,@cli4
dns-udp-to-self       udp container dns  41062 198.51.100.1  5353 dns  5353 6  docker-proxy,0,@gwdns4   dnat,1,@gwdns4
cli2-udp-to-dns       udp container cli2 41063 198.51.100.1  5353 dns  5353 7  docker-proxy,0,@gwdns4   failed,0,-
cli-udp-to-dns2       udp container cli  41064 198.51.100.1  5354 dns2 5353 7  docker-proxy,0,@gwdns24  failed,0,-
cli-udp-to-dns-direct udp container cli  41065 @dns4         5353 dns  5353 9  direct,0,@cli4           direct,0,@cli4
EOF
}

# proxy off, hairpin_mode 0 on web's port: the self-hairpin SYN is DNATed and masqueraded
# but the bridge will not send it back out of the port it came in on.
flows_nohairpin() {
cat <<'EOF'
ext-to-web          tcp external  -    40001 198.51.100.1 8080 web   80   1  -  dnat,0,198.51.100.10
host-lo-to-web      tcp host      -    40011 127.0.0.1    8080 web   80   2  -  dnat,1,@gwweb4
host-ip-to-web      tcp host      -    40013 198.51.100.1 8080 web   80   4  -  dnat,1,@gwweb4
cli-to-web          tcp container cli  41001 198.51.100.1 8080 web   80   5  -  dnat,0,@cli4
web-to-self         tcp container web  41002 198.51.100.1 8080 web   80   6  -  failed,0,-
cli-to-web-direct   tcp container cli  41005 @web4        80   web   80   9  -  direct,0,@cli4
ext-udp-to-web      udp external  -    40021 198.51.100.1 5353 web   5353 1  -  dnat,0,198.51.100.10
EOF
}

# port range, --network host, a port on one host address, an --internal bridge.
# host-ip2-to-tls: the kernel picks eth0's primary address 198.51.100.1 as the source.
# host-to-priv-direct: 28.x leaves Gateway empty in inspect for an --internal network, so the
# bridge address is written out.  On 28.x ext-to-web-direct is dropped by the raw
# PREROUTING DROP (§4.3 row 9) before conntrack sees it, so nothing on the Docker host shows
# it: flows_extra28 leaves it out.
flows_extra() {
cat <<'EOF'
ext-to-rng0         tcp external  -    40041 198.51.100.1 7000 rng   7000 1  dnat,0,198.51.100.10     dnat,0,198.51.100.10
ext-to-rng2         tcp external  -    40042 198.51.100.1 7002 rng   7002 1  dnat,0,198.51.100.10     dnat,0,198.51.100.10
host-lo-to-rng1     tcp host      -    40043 127.0.0.1    7001 rng   7001 2  docker-proxy,0,@gwrng4   dnat,1,@gwrng4
cli-to-rng1         tcp container cli  41041 198.51.100.1 7001 rng   7001 5  docker-proxy,0,@gwrng4   dnat,0,@cli4
ext-to-hnet         tcp external  -    40044 198.51.100.1 8888 hnet  8888 -  direct,0,198.51.100.10   direct,0,198.51.100.10
host-lo-to-hnet     tcp host      -    40045 127.0.0.1    8888 hnet  8888 -  direct,0,127.0.0.1       direct,0,127.0.0.1
cli-to-hnet         tcp container cli  41042 198.51.100.1 8888 hnet  8888 -  direct,0,@cli4           direct,0,@cli4
ext-to-tls          tcp external  -    40046 198.51.100.2 8443 tls   443  1  dnat,0,198.51.100.10     dnat,0,198.51.100.10
ext-to-tls-wrongip  tcp external  -    40047 198.51.100.1 8443 tls   443  -  failed,0,-               failed,0,-
host-ip2-to-tls     tcp host      -    40048 198.51.100.2 8443 tls   443  4  dnat,0,198.51.100.1      dnat,1,@gwtls4
host-lo-to-tls      tcp host      -    40049 127.0.0.1    8443 tls   443  -  failed,0,-               failed,0,-
ext-to-web-direct   tcp external  -    40004 @web4        80   web   80   9  direct,0,198.51.100.10   direct,0,198.51.100.10
cli-to-priv-direct  tcp container cli  41043 @priv4       80   priv  80   -  failed,0,-               failed,0,-
cli3-to-priv-direct tcp container cli3 41044 @priv4       80   priv  80   9  direct,0,@cli34          direct,0,@cli34
host-to-priv-direct tcp host      -    40050 @priv4       80   priv  80   9  direct,0,10.98.0.1        direct,0,10.98.0.1
EOF
}

flows_extra28() {
  flows_extra | grep -v '^ext-to-web-direct '
}

# Podman 4.3 rootful (netavark): no userland proxy, DNAT in NETAVARK-* chains; netavark marks
# connections from the network's own subnet and from 127.0.0.1 for masquerade, and
# POSTROUTING masquerades a network's traffic leaving its subnet (labs.md).  Columns as above;
# podman has no proxy mode, so only the second ("proxy off") column is used.  netavark leaves
# hairpin_mode at 0 on every bridge port, so a container's connection to its own published
# port hangs in SYN_SENT (as in lab-nohairpin).
flows_podman() {
cat <<'EOF'
ext-to-web          tcp external  -    40001 198.51.100.1 8080 web   80   1  -  dnat,0,198.51.100.10
ext-to-api          tcp external  -    40002 198.51.100.1 5000 api   5000 1  -  dnat,0,198.51.100.10
ext-to-admin        tcp external  -    40003 198.51.100.1 9090 admin 80   -  -  failed,0,-
host-lo-to-web      tcp host      -    40011 127.0.0.1    8080 web   80   2  -  dnat,1,@gwweb4
host-ip-to-web      tcp host      -    40013 198.51.100.1 8080 web   80   4  -  dnat,0,198.51.100.1
host-lo-to-admin    tcp host      -    40015 127.0.0.1    9090 admin 80   2  -  dnat,1,@gwadmin4
host-to-web-direct  tcp host      -    40016 @web4        80   web   80   9  -  direct,0,@gwweb4
cli-to-web          tcp container cli  41001 198.51.100.1 8080 web   80   5  -  dnat,1,@gwweb4
web-to-self         tcp container web  41002 198.51.100.1 8080 web   80   6  -  failed,0,-
cli-to-api          tcp container cli  41003 198.51.100.1 5000 api   5000 7  -  dnat,1,@gwapi4
cli2-to-web         tcp container cli2 41004 198.51.100.1 8080 web   80   7  -  dnat,1,@gwweb4
cli-to-web-direct   tcp container cli  41005 @web4        80   web   80   9  -  direct,0,@cli4
ext-udp-to-web      udp external  -    40021 198.51.100.1 5353 web   5353 1  -  dnat,0,198.51.100.10
host-lo-udp-to-web  udp host      -    40022 127.0.0.1    5353 web   5353 2  -  dnat,1,@gwweb4
EOF
}

# start one client; it keeps its connection idle for $HOLD seconds
start_client() {
  id=$1 proto=$2 kind=$3 from=$4 sport=$5 dip=$6 dport=$7
  cmd=$(lab_client_cmd "$id" "$proto" "$dip" "$dport" "$sport" "$HOLD")
  mkdir -p "$LAB/clients"
  case "$kind" in
    external) set -- ip netns exec "$EXT" sh -c "$cmd" ;;
    host)     set -- ip netns exec "$NS" sh -c "$cmd" ;;
    container)
      if [ "$ENG" = podman ]; then
        # shellcheck disable=SC2086
        set -- nsenter --net="/run/netns/$NS" podman $PMFLAGS exec "$from" sh -c "$cmd"
      else
        set -- "$DOCKER_BIN" -H "$SOCK" exec "$from" sh -c "$cmd"
      fi ;;
  esac
  setsid sh -c 'echo $$ >"$0"; exec "$@"' "$LAB/clients/$id.pid" "$@" \
    >"$LAB/clients/$id.out" 2>"$LAB/clients/$id.err" </dev/null &
}

# ---------------------------------------------------------------- ps filter
# keep the header, our dockerd and its descendants, the shims serving our
# containers (they re-parent to init) and their descendants, and our clients.
filter_ps() {
  in=$1
  roots="$(cat "$LAB/docker.pid" 2>/dev/null)"
  for f in "$LAB"/clients/*.pid; do [ -f "$f" ] && roots="$roots $(cat "$f")"; done
  awk -v roots="$roots" -v lab="$LAB" -v data="$DATA" '
    NR == 1 { hdr = $0; next }
    { line[NR] = $0; pid[NR] = $2; ppid[NR] = $3
      if ($0 ~ /containerd-shim|conmon/ && (index($0, lab) || index($0, data))) keep[$2] = 1 }
    END {
      n = split(roots, r, " "); for (i = 1; i <= n; i++) keep[r[i]] = 1
      do { changed = 0
        for (k in line) if (!(pid[k] in keep) && (ppid[k] in keep)) { keep[pid[k]] = 1; changed = 1 }
      } while (changed)
      print hdr
      for (k = 2; k <= NR; k++) if ((k in line) && (pid[k] in keep)) print line[k]
    }' "$in"
}

# ---------------------------------------------------------------- sosreport layout
sos_capture() {
  S=$1
  mkdir -p "$S/sos_commands/networking" "$S/sos_commands/process" "$S/sos_commands/firewall_tables" \
           "$S/sos_commands/conntrack" "$S/sos_commands/docker/containers" "$S/sos_commands/kernel" \
           "$S/proc/net"
  # like sos: stdout and stderr go to the same file
  sq() { _o=$1; shift; inlab unshare --uts --mount sh -c 'mount -t cgroup2 none /sys/fs/cgroup 2>/dev/null; hostname natlens-lab; exec "$@"' sq "$@" >"$S/$_o" 2>&1; }
  sq sos_commands/networking/netstat_-W_-neopa netstat -W -neopa
  sq sos_commands/networking/netstat_-W_-agn netstat -W -agn
  sq sos_commands/networking/ss_-peaonmi ss -peaonmi
  sq sos_commands/networking/ip_-o_addr ip -o addr
  sq sos_commands/networking/ip_route_show_table_all ip route show table all
  sq sos_commands/firewall_tables/iptables_-t_nat_-nvL iptables -t nat -nvL
  sq sos_commands/firewall_tables/iptables_-t_filter_-nvL iptables -t filter -nvL
  sq sos_commands/firewall_tables/iptables_-t_mangle_-nvL iptables -t mangle -nvL
  sq sos_commands/firewall_tables/iptables_-vnxL iptables -vnxL
  sq sos_commands/firewall_tables/ip6tables_-t_nat_-nvL ip6tables -t nat -nvL
  sq sos_commands/firewall_tables/ip6tables_-vnxL ip6tables -vnxL
  sq sos_commands/firewall_tables/nft_-a_list_ruleset nft -a list ruleset
  sq sos_commands/conntrack/conntrack_-L_-o_extended conntrack -L -o extended
  sq sos_commands/conntrack/conntrack_-S conntrack -S
  inlab sysctl -a 2>/dev/null | grep '^net\.' >"$S/sos_commands/kernel/sysctl_-a"
  for f in tcp tcp6 udp udp6 nf_conntrack; do inlab cat "/proc/net/$f" >"$S/proc/net/$f"; done
  ps auxwwwm >"$S/sos_commands/process/ps_auxwwwm.raw" 2>&1
  dk ps >"$S/sos_commands/docker/docker_ps" 2>&1
  dk ps -a >"$S/sos_commands/docker/docker_ps_-a" 2>&1
  dk info >"$S/sos_commands/docker/docker_info" 2>&1
  dk version >"$S/sos_commands/docker/docker_version" 2>&1
  dk network ls >"$S/sos_commands/docker/docker_network_ls" 2>&1
  for n in $(dk network ls --format '{{.Name}}'); do
    dk network inspect "$n" >"$S/sos_commands/docker/docker_network_inspect_$n" 2>&1
  done
  for id in $(dk ps -q); do
    dk inspect "$id" >"$S/sos_commands/docker/containers/docker_inspect_$id" 2>&1
  done
  echo natlens-lab >"$S/hostname"
  date -u >"$S/date"
  ln -s sos_commands/process/ps_auxwwwm "$S/ps"
  ln -s sos_commands/networking/netstat_-W_-neopa "$S/netstat"
}

# ps auxwwwm: header + one line per process followed by its thread lines ("-" in the
# command column, PID column "-").  Keep process blocks whose PID is kept by filter_ps.
filter_ps_m() {
  raw=$1 ref=$2
  awk 'NR == FNR { if (FNR > 1) keep[$2] = 1; next }
       FNR == 1 { print; next }
       $2 != "-" { cur = ($2 in keep) }
       cur { print }' "$ref" "$raw"
}

# ---------------------------------------------------------------- supportconfig layout
# Print the entries of a supportconfig file (a `#==[ Kind ]===#` header, the `# command`
# or `# /file` line below it, the output) whose command or file line matches $2.
scc_keep() {
  awk -v re="$2" '
    function flush() { if (n >= 2 && keep) print buf; n = 0; buf = "" }
    /^#==\[ .* \]=+#$/ { flush(); buf = $0; n = 1; next }
    n == 1 { buf = buf "\n" $0; n = 2; keep = ($0 ~ re); next }
    n >= 2 { buf = buf "\n" $0 }
    END { flush() }' "$1"
}

# supportconfig run in the lab netns as it runs on a host (its own network namespaces
# list turned off: the lab netns is the host), then cut to the entries natlens reads, so
# that nothing of this machine outside the lab is kept: network.txt (addresses, routes,
# ss -nap without unix sockets, iptables/nft entries when it found the modules),
# basic-health-check.txt (ps, filtered like filter_ps), basic-environment.txt (uname -a),
# env.txt (sysctl -a, net.* only), proc.txt (/proc/net/{tcp,tcp6,udp,udp6,nf_conntrack}),
# docker.txt as written (on Debian its rpm check finds no docker package: no docker entries).
scc_capture() {
  S=$1
  [ -f "$SCC_ROOT/bin/supportconfig.local" ] || die "supportconfig not unpacked in $SCC_ROOT (see samples/README.md)"
  raw="$LAB/scc-raw"; rm -rf "$raw"; mkdir -p "$raw"
  sed 's/^INCLUDE_NETWORK_NAMESPACES=1$/INCLUDE_NETWORK_NAMESPACES=0/' "$SCC_ROOT/lib/resources/supportconfig.rc.dist" \
    >"$SCC_ROOT/lib/resources/supportconfig.rc"
  inlab unshare --uts --mount sh -c 'hostname natlens-lab; exec "$@"' scc \
    bash "$SCC_ROOT/bin/supportconfig.local" -Q -c -k -i NET,PROC,ENV,DOCKER -R "$raw" -B natlens-lab >"$LAB/scc.log" 2>&1 \
    || die "supportconfig failed (see $LAB/scc.log)"
  tar -xJf "$raw/scc_natlens-lab.txz" -C "$raw" || die "cannot unpack the supportconfig archive"
  R="$raw/scc_natlens-lab"; D="$S/scc_natlens-lab"; mkdir -p "$D"
  scc_keep "$R/network.txt" '^# (/s?bin/|/usr/s?bin/)?(ip (addr|route|-6 route)|ip route show table (main|local)|ss -nap|iptables|ip6tables|nft)( |$)' \
    | awk '!/^(u_(str|dgr|seq)|nl|p_raw|p_dgr|v_(str|dgr)|xdp|tipc) /' >"$D/network.txt"
  scc_keep "$R/basic-health-check.txt" '^# (/s?bin/)?ps axwwo ' >"$LAB/scc-ps"
  { head -2 "$LAB/scc-ps"; tail -n +3 "$LAB/scc-ps" | sed '/^$/d' >"$LAB/scc-ps.body"; filter_ps "$LAB/scc-ps.body"; echo; } \
    >"$D/basic-health-check.txt"
  scc_keep "$R/basic-environment.txt" '^# (/s?bin/)?uname -a$' >"$D/basic-environment.txt"
  scc_keep "$R/env.txt" '^# (/s?bin/|/usr/s?bin/)?sysctl -a$' | awk 'NR <= 2 || /^net\./ || /^$/' >"$D/env.txt"
  scc_keep "$R/proc.txt" '^# /proc/net/(tcp6?|udp6?|nf_conntrack)$' >"$D/proc.txt"
  cp "$R/docker.txt" "$D/docker.txt"
}

sample_readme() {
  v=$(dk version --format '{{.Server.Version}}' 2>/dev/null)
  [ "$ENG" = podman ] && v="podman $(dk version --format '{{.Client.Version}}' 2>/dev/null) (rootful, netavark)"
  {
    echo "# $SCEN"
    echo
    echo "Made with \`sh scripts/lab.sh $SCEN\` on $(date -u +%Y-%m-%d): a real $( [ "$ENG" = podman ] && echo "$v, no daemon" || echo "dockerd $v")"
    echo "(--userland-proxy=$PROXY$( [ "$V6" = 1 ] && echo ', --experimental --ipv6 --ip6tables --fixed-cidr-v6=fd00:17::/64')$( [ "$IPT" = false ] && echo ', --iptables=false'))"
    [ "$NOHAIRPIN" = 1 ] && echo "with hairpin_mode set back to 0 on web's bridge port after the containers started"
    [ "$UDP" = 1 ] && echo "with UDP published ports only: dns (-p 5353:5353/udp), dns2 on labnet (-p 5354:5353/udp), ldns (-p 127.0.0.1:5355:5353/udp); each echo server logged the peer of every datagram (udpecho), which EXPECTED.json cites"
    [ "$EXTRA" = 1 ] && echo "with the extra containers rng (-p 7000-7002:7000-7002), hnet (--network host), tls (-p 198.51.100.2:8443:443) and priv/cli3 on the --internal bridge intnet"
    echo "in network namespace natlens-lab, captured by $( [ "$SOS" = 1 ] && echo 'the sosreport-style commands in scripts/lab.sh (sos_capture)' || { [ "$SCC" = 1 ] && echo "SUSE's supportconfig $(sed -n 's/^SVER=.\{0,1\}\([0-9.-]*\).*/\1/p' "$SCC_ROOT/bin/supportconfig" | head -1) (scc_capture: the entries natlens reads)"; } || echo 'scripts/collect.sh') while the"
    echo "clients listed in EXPECTED.json held their connections open. Topology, filtering (ps keeps"
    echo "only the lab's processes) and the EXPECTED.json schema: ../README.md."
  } >"$1/README.md"
}

# ---------------------------------------------------------------- one scenario
run_scenario() {
  SCEN=$1
  V6=0; SOS=0; SCC=0; IPT=true; NOHAIRPIN=0; EXTRA=0; UDP=0; EMPTYTABLES=0; DAEMON_JSON='{}'; ENG=docker; RUNX=
  case "$SCEN" in
    lab-proxy)     VER=20; PROXY=true ;;
    lab-noproxy)   VER=20; PROXY=false ;;
    lab-ipv6)      VER=20; PROXY=true; V6=1 ;;
    lab-ipv6-noproxy) VER=20; PROXY=false; V6=1 ;;
    lab-proxy-sos) VER=20; PROXY=true; SOS=1 ;;
    lab-proxy-scc) VER=20; PROXY=true; SCC=1 ;;
    lab28-proxy)   VER=28; PROXY=true ;;
    lab28-noproxy) VER=28; PROXY=false ;;
    lab-noiptables) VER=20; PROXY=true; IPT=false; EMPTYTABLES=1 ;;
    lab-podman)    VER=podman; PROXY=false; ENG=podman; RUNX="--ulimit nofile=1024:1024 --ulimit nproc=1024:1024" ;;
    lab-noiptables-bare) VER=20; PROXY=true; IPT=false ;;
    lab-nohairpin) VER=20; PROXY=false; NOHAIRPIN=1 ;;
    lab-extra)     VER=20; PROXY=true; EXTRA=1 ;;
    lab-extra-noproxy) VER=20; PROXY=false; EXTRA=1 ;;
    lab28-nohairpin) VER=28; PROXY=false; NOHAIRPIN=1 ;;
    lab28-noiptables) VER=28; PROXY=true; IPT=false; EMPTYTABLES=1 ;;
    lab-noiptables-noproxy) VER=20; PROXY=false; IPT=false; EMPTYTABLES=1 ;;
    lab-noiptables-bare-noproxy) VER=20; PROXY=false; IPT=false ;;
    lab28-noiptables-noproxy) VER=28; PROXY=false; IPT=false; EMPTYTABLES=1 ;;
    lab-udp)       VER=20; PROXY=true; UDP=1 ;;
    lab-udp-noproxy) VER=20; PROXY=false; UDP=1 ;;
    lab28-udp)     VER=28; PROXY=true; UDP=1 ;;
    lab28-udp-noproxy) VER=28; PROXY=false; UDP=1 ;;
    lab28-extra)   VER=28; PROXY=true; EXTRA=1 ;;
    lab28-extra-noproxy) VER=28; PROXY=false; EXTRA=1 ;;
    *) die "unknown scenario $SCEN" ;;
  esac
  log "=== $SCEN"
  teardown
  mkdir -p "$LAB"
  setup_netns
  if [ "$ENG" = podman ]; then mkdir -p "$LAB/podman-run" "$LAB/podman-tmp" "$LAB/podman-net" "$DATA/podman"; else start_dockerd; fi
  build_image
  start_containers

  if [ "$ENG" = podman ]; then flows_podman
  elif [ "$UDP" = 1 ]; then flows_udp
  elif [ "$V6" = 1 ]; then flows_v6
  elif [ "$IPT" = false ]; then flows_noipt
  elif [ "$NOHAIRPIN" = 1 ]; then flows_nohairpin
  elif [ "$EXTRA" = 1 ] && [ "$VER" = 28 ]; then flows_extra28
  elif [ "$EXTRA" = 1 ]; then flows_extra
  else flows_v4; fi | sed -f "$LAB/tokens.sed" >"$LAB/flows.tsv"
  while read -r id proto kind from sport dip dport rest; do
    start_client "$id" "$proto" "$kind" "$from" "$sport" "$dip" "$dport"
    # busybox nc -ll can drop a connection when clients arrive together (labs.md)
    sleep 0.5
  done <"$LAB/flows.tsv"
  sleep "${NATLENS_SETTLE:-6}"

  out="$LAB/out"; rm -rf "$out"; mkdir -p "$out"
  # collect.sh runs inside the lab netns (ip netns exec gives it the netns's /sys)
  # (a private mount of cgroup2 only so that `ss -e` can name socket cgroups)
  if [ "$ENG" = podman ]; then set -- -E "podman $PMFLAGS"; else set -- -H "$SOCK"; fi
  inlab unshare --uts --mount sh -c 'mount -t cgroup2 none /sys/fs/cgroup 2>/dev/null; hostname natlens-lab; c=$0; o=$1; shift; exec sh "$c" -o "$o" -n bundle "$@"' \
    "$HERE/collect.sh" "$out" "$@" >/dev/null || die "collect.sh failed"
  B="$out/bundle"
  filter_ps "$B/commands/ps_-efww" >"$B/commands/ps_-efww.f" && mv "$B/commands/ps_-efww.f" "$B/commands/ps_-efww"
  if [ "$SCC" = 1 ]; then scc_capture "$out/scc"; fi
  if [ "$SOS" = 1 ]; then
    sos_capture "$out/sos"
    filter_ps_m "$out/sos/sos_commands/process/ps_auxwwwm.raw" "$B/commands/ps_-efww" \
      >"$out/sos/sos_commands/process/ps_auxwwwm"
    rm -f "$out/sos/sos_commands/process/ps_auxwwwm.raw"
  fi
  # client exit status/messages (refused connections) for the checker
  for f in "$LAB"/clients/*.err; do
    id=$(basename "$f" .err); printf '%s\t%s\n' "$id" "$(tr '\n' ' ' <"$f")"
  done >"$LAB/clients.tsv"
  # what the UDP echo servers saw: "container peer-address peer-port payload", one line per datagram
  : >"$LAB/peers.tsv"
  if [ "$UDP" = 1 ]; then
    for c in dns dns2 ldns; do dk exec "$c" cat /tmp/peers 2>/dev/null | sed "s/^/$c /" >>"$LAB/peers.tsv"; done
  fi
  # what each client got back (an echo server answers its line or datagrams): empty when nothing came
  for f in "$LAB"/clients/*.out; do
    id=$(basename "$f" .out); printf '%s\t%s\n' "$id" "$(head -c 200 "$f" | tr '\n' ' ')"
  done >"$LAB/clients-out.tsv"

  dest="$SAMPLES/$SCEN"
  rm -rf "$dest"; mkdir -p "$dest"
  if [ "$SOS" = 1 ]; then cp -a "$out/sos/." "$dest/"; elif [ "$SCC" = 1 ]; then cp -a "$out/scc/." "$dest/"; else cp -a "$B/." "$dest/"; fi
  node "$HERE/lab/expect.cjs" --scenario "$SCEN" --proxy "$PROXY" --flows "$LAB/flows.tsv" \
    --bundle "$B" --clients "$LAB/clients.tsv" --clients-out "$LAB/clients-out.tsv" --peers "$LAB/peers.tsv" --out "$dest/EXPECTED.json" || log "checker reported mismatches"
  sample_readme "$dest"
  mkdir -p "$LOGS"; cp "$LAB/dockerd.log" "$LOGS/$SCEN.dockerd.log" 2>/dev/null
  # a second run of the scenario replaces the kept clients (cp -a into an existing folder nests it)
  rm -rf "$LOGS/$SCEN.clients"; cp -a "$LAB/clients" "$LOGS/$SCEN.clients" 2>/dev/null; cp "$LAB/flows.tsv" "$LOGS/$SCEN.flows.tsv"
  log "wrote $dest"
  teardown
}

case "${1:-}" in
  teardown) teardown ;;
  all) for s in lab-proxy lab-noproxy lab-ipv6 lab-proxy-sos lab28-proxy lab28-noproxy \
               lab-noiptables lab-noiptables-bare lab-nohairpin lab-extra lab-extra-noproxy; do run_scenario "$s"; done ;;
  lab-rootless-*) exec sh "$HERE/lab/rootless.sh" "$1" ;;
  lab-*|lab28-*) run_scenario "$1" ;;
  *) echo "usage: sh scripts/lab.sh <lab-proxy|lab-noproxy|lab-ipv6|lab-ipv6-noproxy|lab-proxy-sos|lab-proxy-scc|lab28-proxy|lab28-noproxy|lab-noiptables|lab-noiptables-bare|lab-podman|lab-nohairpin|lab-extra|lab-extra-noproxy|lab28-nohairpin|lab28-noiptables|lab28-extra|lab28-extra-noproxy|lab-noiptables-noproxy|lab-noiptables-bare-noproxy|lab28-noiptables-noproxy|lab-udp|lab-udp-noproxy|lab28-udp|lab28-udp-noproxy|all|teardown>" >&2; exit 2 ;;
esac
