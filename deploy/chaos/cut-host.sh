#!/usr/bin/env bash
# cut-host.sh HOST [SECONDS] — the host drops off the network for SECONDS (default 30), then comes back.
# Local mode: the cluster of `ROAM_UP_NETNS=1 ./roam up` (root), where each agent lives in its own
# network namespace: the namespace's link is taken down (the datastore, a local directory, stays
# reachable: the leader sees the host isolated). Rack mode (ROAM_SSH=user@): all the host's traffic
# but ssh is dropped with iptables, then restored.
source "$(dirname "$0")/common.sh"
host="${1:?usage: cut-host.sh HOST [SECONDS]}"; secs="${2:-30}"
if rack; then
  rules='-p tcp --dport 22 -j ACCEPT'
  say "ssh ${ROAM_SSH}${host}: dropping all traffic but ssh for ${secs}s"
  ssh "${ROAM_SSH}${host}" "sudo iptables -I INPUT 1 $rules && sudo iptables -I INPUT 2 -j DROP && \
    sudo iptables -I OUTPUT 1 -p tcp --sport 22 -j ACCEPT && sudo iptables -I OUTPUT 2 -j DROP && \
    sleep $secs; sudo iptables -D INPUT 2; sudo iptables -D INPUT 1; sudo iptables -D OUTPUT 2; sudo iptables -D OUTPUT 1"
else
  f="$RUN_DIR/netns/$host"
  [ -f "$f" ] || die "no $f: on one machine start the cluster with 'ROAM_UP_NETNS=1 ./roam up' (as root), or set ROAM_SSH for a rack"
  read -r ns dev < "$f"
  say "$host: link $dev in network namespace $ns down for ${secs}s"
  ip netns exec "$ns" ip link set "$dev" down
  sleep "$secs"
  ip netns exec "$ns" ip link set "$dev" up
fi
say "restored; the host's agent fences itself if its session expired meanwhile"
