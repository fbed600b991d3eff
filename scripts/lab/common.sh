# shellcheck shell=sh
# natlens labs: pieces scripts/lab.sh and scripts/lab/rootless.sh share (sourced, defines functions only).

# lab_rootfs DIR TAR: the lab image's root filesystem (busybox-static, socat with its libraries:
# the UDP echo server and clients with fixed source ports inside containers) in DIR, as TAR
lab_rootfs() {
  _r=$1
  rm -rf "$_r"; mkdir -p "$_r/bin" "$_r/tmp" "$_r/etc" "$_r/proc" "$_r/sys" "$_r/dev" "$_r/usr/bin"
  cp /bin/busybox "$_r/bin/busybox"
  for a in sh nc cat sleep echo ls ps ip netstat hostname env true false httpd wc head tail grep kill; do
    ln -s busybox "$_r/bin/$a"
  done
  cp "$(command -v socat)" "$_r/usr/bin/socat"
  ldd "$(command -v socat)" | awk '/=>/ {print $3} /^\t\// {print $1}' | while read -r lib; do
    [ -f "$lib" ] || continue
    mkdir -p "$_r$(dirname "$lib")"; cp -L "$lib" "$_r$lib"
  done
  echo 'root:x:0:0:root:/:/bin/sh' >"$_r/etc/passwd"
  echo 'root:x:0:' >"$_r/etc/group"
  tar -C "$_r" -cf "$2" . && chmod 644 "$2"
}

# lab_client_cmd ID PROTO ADDR PORT SPORT HOLD: the shell command of one client, which holds its
# connection open for HOLD seconds (UDP: one datagram every 5 s keeps conntrack entries and
# forwarders' datagram legs alive); ADDR is bracketed for IPv6
lab_client_cmd() {
  case "$3" in *:*) _fam=6; _addr="[$3]" ;; *) _fam=4; _addr=$3 ;; esac
  if [ "$2" = udp ]; then
    echo "while :; do echo ping-$1; sleep 5; done | socat -T $6 - UDP$_fam:$_addr:$4,sourceport=$5"
  else
    echo "(echo hello-$1; sleep $6) | socat - TCP$_fam:$_addr:$4,sourceport=$5"
  fi
}

# kill_clients DIR: end the process group of every client the lab started (DIR/*.pid, written by
# each client itself before it execs, so each pid leads its own session and group); only those
# groups, by pid, nothing by name
kill_clients() {
  [ -d "$1" ] || return 0
  for _f in "$1"/*.pid; do
    [ -f "$_f" ] || continue
    _p=$(cat "$_f" 2>/dev/null)
    case "$_p" in ''|*[!0-9]*) continue ;; esac
    kill -TERM "-$_p" 2>/dev/null
  done
  return 0
}

# unmount_under ROOT...: lazily unmount everything mounted at or below each ROOT (netns bind
# mounts, vfs layers, shm), deepest first
unmount_under() {
  for _root in "$@"; do
    awk -v r="$_root" '$5 ~ "^"r {print $5}' /proc/self/mountinfo | sort -r | while read -r _m; do
      umount -l "$_m" 2>/dev/null
    done
  done
  return 0
}
