#!/usr/bin/env bash
# cut-host.sh HOST [SECONDS] — the host drops off the network for SECONDS (default 30): all its
# traffic but ssh is dropped with iptables, then restored. Rack mode only: on one machine every
# agent shares loopback; run such clusters in network namespaces (ip netns) and take the host's
# veth link down instead (ip netns exec HOST ip link set dev eth0 down).
source "$(dirname "$0")/common.sh"
host="${1:?usage: cut-host.sh HOST [SECONDS]}"; secs="${2:-30}"
rack || die "cut-host needs a rack (set ROAM_SSH=user@); on one machine use network namespaces, see the header"
rules='-p tcp --dport 22 -j ACCEPT'
say "ssh ${ROAM_SSH}${host}: dropping all traffic but ssh for ${secs}s"
ssh "${ROAM_SSH}${host}" "sudo iptables -I INPUT 1 $rules && sudo iptables -I INPUT 2 -j DROP && \
  sudo iptables -I OUTPUT 1 -p tcp --sport 22 -j ACCEPT && sudo iptables -I OUTPUT 2 -j DROP && \
  sleep $secs; sudo iptables -D INPUT 2; sudo iptables -D INPUT 1; sudo iptables -D OUTPUT 2; sudo iptables -D OUTPUT 1"
say "restored; the host's agent fences itself if its session expired meanwhile"
