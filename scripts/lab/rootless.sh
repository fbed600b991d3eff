#!/bin/sh
# natlens lab, rootless engines: run rootless Podman or rootless Docker as an unprivileged
# user of its own on this machine, open connections of every kind through its published
# ports, capture it with collect.sh (plus the rootless network namespaces' own view) and
# write samples/<scenario>/ with a confirmed EXPECTED.json.  Called by scripts/lab.sh.
#
#   sh scripts/lab/rootless.sh <scenario>|teardown
#
# scenarios:
#   lab-rootless-podman        Debian podman 4.3.1 rootless: slirp4netns + rootlessport
#   lab-rootless-docker        Debian docker.io 20.10 dockerd-rootless.sh, rootlesskit 1.1,
#                              --port-driver=builtin (the default)
#   lab-rootless-docker-slirp  the same with --port-driver=slirp4netns
#
# A rootless engine lives in the machine's own network namespace (its userland forwarder
# listens there), so unlike the other labs this one changes the root namespace: a veth
# pair to the "external" client's namespace (root side 198.51.100.1/24, 2001:db8:1::1/64;
# client 198.51.100.10, 2001:db8:1::10).  Run it under the lab lock:
#   flock /work/lab.lock sh scripts/lab.sh lab-rootless-podman
# What it creates and removes again: the user $RL_USER (and its /etc/subuid and
# /etc/subgid lines), /run/$RL_USER and /home/$RL_USER (a home under /var/lib made podman 4.3 lose
# user-defined networks inside its rootless network namespace: "network not found"), the netns $RL_EXT and the veth
# $RL_VETH-h; /dev/net/tun's mode is opened to 0666 for the run and put back as it was.
# Processes are ended by pid: the clients' process groups, then every process of the lab
# user (nothing else runs as that user).  The machine's own sockets, processes and
# connection-tracking entries are filtered out of the committed capture (only the lab's
# ports and processes are kept), as lab.sh's filter_ps does for ps.

set -u
LC_ALL=C
export LC_ALL

HERE=$(cd "$(dirname "$0")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
SAMPLES=${NATLENS_SAMPLES_DIR:-$REPO/samples}   # where the sample is written
RL_USER=${NATLENS_RL_USER:-rootless-lab}
RL_EXT=${NATLENS_RL_EXT:-rootless-ext}
RL_VETH=${NATLENS_RL_VETH:-rootless}
R=/run/$RL_USER
HOMEDIR=/home/$RL_USER
XDG=$R/xdg
IMG=natlens/echo:lab
HOLD=${NATLENS_HOLD:-900}
LOGS=${NATLENS_LAB_LOGS:-/tmp/natlens-lab-logs}

# shellcheck source=scripts/lab/common.sh
. "$HERE/common.sh"

log() { echo "rootless-lab: $*" >&2; }
die() { log "ERROR: $*"; exit 1; }

[ "$(id -u)" = 0 ] || die "run as root"

# ---------------------------------------------------------------- engine wrappers
# pm/dk: the engine as the lab user (a wrapper script named after the engine, so that
# collect.sh -E names the files podman_* and finds `podman` as a program)
ENG=podman
write_wrappers() {
  mkdir -p "$R/bin"
  cat >"$R/bin/podman" <<EOF
#!/bin/sh
exec runuser -u $RL_USER -- env XDG_RUNTIME_DIR=$XDG HOME=$HOMEDIR PATH=/usr/sbin:/usr/bin:/sbin:/bin \\
  sh -c 'cd "\$HOME" && exec podman --runtime runc --cgroup-manager cgroupfs --events-backend file "\$@"' podman "\$@"
EOF
  chmod 755 "$R/bin/podman"
}
eng() {
  if [ "$ENG" = podman ]; then "$R/bin/podman" "$@"; else docker -H "unix://$XDG/docker.sock" "$@"; fi
}
asuser() { runuser -u "$RL_USER" -- env XDG_RUNTIME_DIR="$XDG" HOME="$HOMEDIR" PATH="/usr/sbin:/usr/bin:/sbin:/bin:/usr/share/docker.io/contrib" "$@"; }

# ---------------------------------------------------------------- teardown
teardown() {
  kill_clients "$R/clients"
  if id "$RL_USER" >/dev/null 2>&1; then
    [ -x "$R/bin/podman" ] && "$R/bin/podman" rm -f -t 0 -a >/dev/null 2>&1
    if [ -S "$XDG/docker.sock" ]; then
      ids=$(docker -H "unix://$XDG/docker.sock" ps -aq 2>/dev/null)
      [ -n "$ids" ] && docker -H "unix://$XDG/docker.sock" rm -f $ids >/dev/null 2>&1
    fi
    # every process of the lab user is one this lab started (rootlesskit, dockerd,
    # slirp4netns, rootlessport, conmon, podman's pause process, the containers)
    for sig in TERM TERM KILL; do
      pids=$(ps -u "$RL_USER" -o pid= 2>/dev/null)
      [ -n "$pids" ] || break
      for p in $pids; do kill -"$sig" "$p" 2>/dev/null; done
      sleep 2
    done
    userdel "$RL_USER" 2>/dev/null || log "userdel $RL_USER failed"
  fi
  # useradd adds subordinate id ranges for the new user; remove every line of ours
  for f in /etc/subuid /etc/subgid; do
    [ -f "$f" ] && grep -q "^$RL_USER:" "$f" && sed -i "/^$RL_USER:/d" "$f"
  done
  unmount_under "$R" "$HOMEDIR"
  ip netns del "$RL_EXT" 2>/dev/null
  ip link del "$RL_VETH-h" 2>/dev/null
  if [ -f "/tmp/$RL_USER.tunmode" ]; then
    chmod "$(cat "/tmp/$RL_USER.tunmode")" /dev/net/tun && rm -f "/tmp/$RL_USER.tunmode"
  fi
  rm -rf "$R" "$HOMEDIR"
}

# ---------------------------------------------------------------- setup
setup_user() {
  useradd -M -d "$HOMEDIR" -s /bin/sh "$RL_USER" || die "useradd $RL_USER"
  # useradd (login.defs SUB_UID_*) may already have given the user a range
  grep -q "^$RL_USER:" /etc/subuid || echo "$RL_USER:400000:65536" >>/etc/subuid
  grep -q "^$RL_USER:" /etc/subgid || echo "$RL_USER:400000:65536" >>/etc/subgid
  mkdir -p "$HOMEDIR" "$XDG" "$R/clients"
  chown "$RL_USER:" "$HOMEDIR" "$XDG"; chmod 700 "$XDG"; chmod 755 "$R"
  # slirp4netns opens /dev/net/tun as the user
  [ -f "/tmp/$RL_USER.tunmode" ] || stat -c %a /dev/net/tun >"/tmp/$RL_USER.tunmode"
  chmod 0666 /dev/net/tun
}

setup_ext() {
  ip netns add "$RL_EXT" || die "ip netns add $RL_EXT"
  ip link add "$RL_VETH-h" type veth peer name "$RL_VETH-e" || die "veth"
  ip link set "$RL_VETH-e" netns "$RL_EXT"
  ip addr add 198.51.100.1/24 dev "$RL_VETH-h"
  ip -6 addr add 2001:db8:1::1/64 dev "$RL_VETH-h" nodad
  ip link set "$RL_VETH-h" up
  ip netns exec "$RL_EXT" ip link set lo up
  ip netns exec "$RL_EXT" ip link set "$RL_VETH-e" name eth0
  ip netns exec "$RL_EXT" ip addr add 198.51.100.10/24 dev eth0
  ip netns exec "$RL_EXT" ip -6 addr add 2001:db8:1::10/64 dev eth0 nodad
  ip netns exec "$RL_EXT" ip link set eth0 up
}

build_image() {
  lab_rootfs "$R/rootfs" "$R/rootfs.tar"
  eng import -c 'ENV PATH=/usr/bin:/bin' "$R/rootfs.tar" "$IMG" >/dev/null || die "$ENG import failed"
}

# ---------------------------------------------------------------- rootless dockerd
start_dockerd() {
  PD=$1
  log "starting dockerd-rootless.sh (rootlesskit port driver $PD)"
  mkdir -p "$HOMEDIR/.config/docker"
  printf '{"storage-driver": "vfs"}\n' >"$HOMEDIR/.config/docker/daemon.json"
  chown -R "$RL_USER:" "$HOMEDIR/.config"
  runuser -u "$RL_USER" -- env XDG_RUNTIME_DIR="$XDG" HOME="$HOMEDIR" \
    PATH="/usr/sbin:/usr/bin:/sbin:/bin:/usr/share/docker.io/contrib" \
    DOCKERD_ROOTLESS_ROOTLESSKIT_PORT_DRIVER="$PD" \
    DOCKERD_ROOTLESS_ROOTLESSKIT_NET=slirp4netns \
    setsid sh -c 'echo $$ >"$0"; cd "$HOME"; exec dockerd-rootless.sh --host "unix://$XDG_RUNTIME_DIR/docker.sock" --log-level=info' "$XDG/dockerd-rootless.pid" \
    >"$R/dockerd.log" 2>&1 </dev/null &
  i=0
  while ! docker -H "unix://$XDG/docker.sock" version >/dev/null 2>&1; do
    i=$((i+1)); [ $i -gt 120 ] && { tail -30 "$R/dockerd.log" >&2; die "rootless dockerd did not come up"; }
    sleep 0.5
  done
  log "rootless dockerd up (rootlesskit pid $(cat "$XDG/dockerd-rootless.pid"))"
}

# ---------------------------------------------------------------- containers
# web (TCP echo on 80, UDP echo on 5353), admin (127.0.0.1:9090), cli0: on the engine's
# default network; api and cli on a user-defined network labnet (10.99.0.0/24).
# Rootless Podman: the default network is slirp4netns (one namespace per container, no
# bridge), labnet a netavark bridge inside podman's rootless network namespace.
# Rootless Docker: both are bridges inside rootlesskit's network namespace.
start_containers() {
  RUNX=
  [ "$ENG" = podman ] && RUNX="--ulimit nofile=1024:1024 --ulimit nproc=1024:1024"
  eng network create --subnet 10.99.0.0/24 --gateway 10.99.0.1 labnet >/dev/null || die "network create"
  # shellcheck disable=SC2086
  {
    eng run -d $RUNX --name web -p 8080:80 -p 5353:5353/udp "$IMG" \
      sh -c 'socat UDP-RECVFROM:5353,fork PIPE & exec nc -ll -p 80 -e /bin/cat' >/dev/null || die "run web"
    eng run -d $RUNX --name admin -p 127.0.0.1:9090:80 "$IMG" nc -ll -p 80 -e /bin/cat >/dev/null || die "run admin"
    eng run -d $RUNX --name cli0 "$IMG" sleep 100000 >/dev/null || die "run cli0"
    eng run -d $RUNX --name api --network labnet -p 5000:5000 "$IMG" nc -ll -p 5000 -e /bin/cat >/dev/null || die "run api"
    eng run -d $RUNX --name cli --network labnet "$IMG" sleep 100000 >/dev/null || die "run cli"
  }
  NAMES="web admin cli0 api cli"
  sleep 2
  : >"$R/tokens.sed"
  for c in $NAMES; do
    eng inspect -f '{{range .NetworkSettings.Networks}}{{.IPAddress}} {{.Gateway}}{{end}}' "$c" |
      while read -r ip4 gw4; do
        [ -n "${ip4:-}" ] && printf 's/@%s4\\b/%s/g; s/@gw%s4\\b/%s/g\n' "$c" "$ip4" "$c" "$gw4" >>"$R/tokens.sed"
      done
  done
  # the rootless network namespace: podman's rootless-netns (a file under $XDG/netns),
  # rootlesskit's (the namespace dockerd runs in)
  if [ "$ENG" = podman ]; then
    RLNS=$(ls "$XDG"/netns/rootless-netns* 2>/dev/null | head -n 1)
    [ -n "$RLNS" ] || die "podman's rootless network namespace not found under $XDG/netns"
    # its nsfs bind mount exists only in the mount namespace of podman's pause process
    pause=$(cat "$XDG/libpod/tmp/pause.pid" 2>/dev/null)
    case "$pause" in ''|*[!0-9]*) die "podman's pause process not found" ;; esac
    RLENTER="nsenter -t $pause -m nsenter --net=$RLNS"
  else
    dpid=$(ps -u "$RL_USER" -o pid=,comm= | awk '$2 == "dockerd" { print $1; exit }')
    [ -n "$dpid" ] || die "rootless dockerd's pid not found"
    RLNS=/proc/$dpid/ns/net
    RLENTER="nsenter -t $dpid -n"
  fi
  log "rootless network namespace: $RLNS"
}

# ---------------------------------------------------------------- flows
# columns: id proto kind from sport dialIP dialPort target tport
flows() {
# source ports above the ephemeral range (32768-60999): the root namespace is shared with
# the forwarders' and slirp4netns' own connections
cat <<'FLOWS'
ext-to-web          tcp external  -    61001 198.51.100.1 8080 web   80
ext-to-api          tcp external  -    61002 198.51.100.1 5000 api   5000
ext-to-admin        tcp external  -    61003 198.51.100.1 9090 admin 80
ext6-to-web         tcp external  -    61004 2001:db8:1::1 8080 web  80
host-lo-to-web      tcp host      -    61011 127.0.0.1    8080 web   80
host-lo6-to-web     tcp host      -    61012 ::1          8080 web   80
host-ip-to-web      tcp host      -    61013 198.51.100.1 8080 web   80
host-lo-to-admin    tcp host      -    61015 127.0.0.1    9090 admin 80
host-lo-to-api      tcp host      -    61017 127.0.0.1    5000 api   5000
cli0-to-web         tcp container cli0 61101 198.51.100.1 8080 web   80
cli-to-web          tcp container cli  61102 198.51.100.1 8080 web   80
cli-to-api          tcp container cli  61103 198.51.100.1 5000 api   5000
cli-to-api-direct   tcp container cli  61105 @api4        5000 api   5000
ext-udp-to-web      udp external  -    61021 198.51.100.1 5353 web   5353
host-lo-udp-to-web  udp host      -    61022 127.0.0.1    5353 web   5353
FLOWS
}

start_client() {
  id=$1 proto=$2 kind=$3 from=$4 sport=$5 dip=$6 dport=$7
  cmd=$(lab_client_cmd "$id" "$proto" "$dip" "$dport" "$sport" "$HOLD")
  case "$kind" in
    external) set -- ip netns exec "$RL_EXT" sh -c "$cmd" ;;
    host)     set -- sh -c "$cmd" ;;
    container)
      if [ "$ENG" = podman ]; then set -- "$R/bin/podman" exec "$from" sh -c "$cmd"
      else set -- docker -H "unix://$XDG/docker.sock" exec "$from" sh -c "$cmd"; fi ;;
  esac
  setsid sh -c 'echo $$ >"$0"; exec "$@"' "$R/clients/$id.pid" "$@" \
    >"$R/clients/$id.out" 2>"$R/clients/$id.err" </dev/null &
}

# ---------------------------------------------------------------- snapshots
# After each client starts: the root namespace's and the rootless namespace's sockets
# (with owners) and every container's socket tables.  The checker pairs each client
# with the sockets that appeared for it (what relayed it, what the container saw), so
# the ground truth does not rest on a pairing heuristic.
snapshot() {
  d="$R/snap/$1"; mkdir -p "$d"
  ss -tanpeiO >"$d/host-tcp" 2>/dev/null
  ss -uanpe >"$d/host-udp" 2>/dev/null
  $RLENTER ss -tanpeiO >"$d/rlns-tcp" 2>/dev/null
  $RLENTER ss -uanpe >"$d/rlns-udp" 2>/dev/null
  while read -r c pid; do
    nsenter -t "$pid" -n ss -tanpeiO >"$d/$c-tcp" 2>/dev/null
    nsenter -t "$pid" -n ss -uanpe >"$d/$c-udp" 2>/dev/null
  done <"$R/pids"
}

# ---------------------------------------------------------------- capture
# the rootless network namespace's own view and each container's socket owners, in the
# sosreport layout natlens reads as other namespaces: namespaces/<name>/<command>
capture_ns() {
  dir=$1 how=$2
  mkdir -p "$dir"
  for c in "ss -tanpeiO" "ss -uanpe" "iptables-save -c" "ip6tables-save -c" "nft list ruleset" \
           "conntrack -L -o extended" "ip -o addr" "ip -o link" "ip route"; do
    f=$(printf '%s' "$c" | tr -c 'A-Za-z0-9._-' '_')
    # shellcheck disable=SC2086
    $how $c >"$dir/$f" 2>"$dir/.err"
    [ -s "$dir/.err" ] && sed "s/^/rootless-lab: $f: /" "$dir/.err" >&2
  done
  rm -f "$dir/.err"
}

# ---------------------------------------------------------------- one scenario
run_scenario() {
  SCEN=$1
  case "$SCEN" in
    lab-rootless-podman) ENG=podman; PD=rootlessport ;;
    lab-rootless-docker) ENG=docker; PD=builtin ;;
    lab-rootless-docker-slirp) ENG=docker; PD=slirp4netns ;;
    *) die "unknown scenario $SCEN" ;;
  esac
  command -v slirp4netns >/dev/null || die "slirp4netns is not installed"
  [ "$ENG" = docker ] && { command -v rootlesskit >/dev/null || die "rootlesskit is not installed (apt-get install rootlesskit)"; }
  log "=== $SCEN"
  teardown
  setup_user
  setup_ext
  write_wrappers
  [ "$ENG" = docker ] && start_dockerd "$PD"
  build_image
  start_containers
  for c in $NAMES; do echo "$c $(eng inspect -f '{{.State.Pid}}' "$c")"; done >"$R/pids"

  flows | sed -f "$R/tokens.sed" >"$R/flows.tsv"
  snapshot 00-start
  n=0
  while read -r id proto kind from sport dip dport rest; do
    start_client "$id" "$proto" "$kind" "$from" "$sport" "$dip" "$dport"
    sleep 1
    n=$((n+1)); snapshot "$(printf %02d $n)-$id"
  done <"$R/flows.tsv"
  sleep "${NATLENS_SETTLE:-4}"

  out="$R/out"; rm -rf "$out"; mkdir -p "$out"
  # rootless Docker: collect.sh --rootless-pid captures rootlesskit's namespace (dockerd runs in
  # it); podman's rootless-netns is entered through its pause process's mount namespace here
  if [ "$ENG" = podman ]; then set -- -E "$R/bin/podman"; else set -- -H "unix://$XDG/docker.sock" --rootless-pid "$dpid"; fi
  sh "$REPO/scripts/collect.sh" -o "$out" -n bundle "$@" >/dev/null || die "collect.sh failed"
  B="$out/bundle"
  [ "$ENG" = podman ] && capture_ns "$B/namespaces/rootless-netns" "$RLENTER"
  while read -r c pid; do
    mkdir -p "$B/namespaces/$c"
    nsenter -t "$pid" -n ss -tanpeiO >"$B/namespaces/$c/ss_-tanpeiO" 2>/dev/null
    nsenter -t "$pid" -n ss -uanpe >"$B/namespaces/$c/ss_-uanpe" 2>/dev/null
  done <"$R/pids"
  for f in "$R"/clients/*.err; do
    id=$(basename "$f" .err); printf '%s\t%s\n' "$id" "$(tr '\n' ' ' <"$f")"
  done >"$R/clients.tsv"
  ps -u "$RL_USER" -o pid= >"$R/userpids"
  for f in "$R"/clients/*.pid; do cat "$f"; done >>"$R/userpids"
  mkdir -p "$LOGS"; rm -rf "$LOGS/$SCEN"; cp -a "$R" "$LOGS/$SCEN" 2>/dev/null
  if [ "${NATLENS_RL_KEEP:-0}" = 1 ]; then log "kept running (NATLENS_RL_KEEP=1); sh $0 teardown ends it"; return; fi
  finish_sample
  teardown
}

finish_sample() {
  B="$R/out/bundle"
  dest="$SAMPLES/$SCEN"
  node "$HERE/rootless-filter.cjs" --bundle "$B" --flows "$R/flows.tsv" --pids "$R/userpids" || die "filter failed"
  rm -rf "$dest"; mkdir -p "$dest"; cp -a "$B/." "$dest/"
  node "$HERE/expect-rootless.cjs" --scenario "$SCEN" --engine "$ENG" --port-driver "$PD" --flows "$R/flows.tsv" \
    --bundle "$B" --snap "$R/snap" --clients "$R/clients.tsv" --out "$dest/EXPECTED.json" || log "checker reported problems"
  sample_readme "$dest"
  log "wrote $dest"
}

sample_readme() {
  if [ "$ENG" = podman ]; then v="podman $(eng version --format '{{.Client.Version}}' 2>/dev/null) rootless (slirp4netns, rootlessport)"
  else v="dockerd $(eng version --format '{{.Server.Version}}' 2>/dev/null) rootless (dockerd-rootless.sh, rootlesskit $(rootlesskit --version 2>/dev/null | awk '{print $3}'), --port-driver=$PD, --net=slirp4netns)"; fi
  {
    echo "# $SCEN"
    echo
    echo "Made with \`flock /work/lab.lock sh scripts/lab.sh $SCEN\` on $(date -u +%Y-%m-%d): a real $v,"
    echo "run as an unprivileged user in this machine's own network namespace (the root side of a veth"
    echo "holds 198.51.100.1/24 and 2001:db8:1::1/64; the external client is 198.51.100.10 in a namespace"
    echo "of its own), captured by scripts/collect.sh while the clients listed in EXPECTED.json held their"
    echo "connections open.  namespaces/rootless-netns/ is the rootless network namespace's own view"
    echo "($( [ "$ENG" = podman ] && echo "podman's rootless-netns, where labnet's bridge lives" || echo "rootlesskit's namespace, where dockerd, docker0, labnet and docker-proxy live")):"
    echo "its sockets, rules and conntrack are not the host's.  namespaces/<container>/ holds ss run in each"
    echo "container's namespace (socket owners).  The machine's own unrelated sockets, processes and"
    echo "conntrack entries were filtered out (scripts/lab/rootless-filter.cjs).  See scripts/lab/rootless.sh."
  } >"$1/README.md"
}

case "${1:-}" in
  teardown) teardown ;;
  finish) SCEN=$2; case "$SCEN" in *podman) ENG=podman; PD=rootlessport ;; *slirp) ENG=docker; PD=slirp4netns ;; *) ENG=docker; PD=builtin ;; esac; finish_sample; teardown ;;
  lab-rootless-*) run_scenario "$1" ;;
  *) echo "usage: sh scripts/lab/rootless.sh <lab-rootless-podman|lab-rootless-docker|lab-rootless-docker-slirp|teardown>" >&2; exit 2 ;;
esac
