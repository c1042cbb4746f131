#!/usr/bin/env bash
# cut-host.sh [--target local|ssh|compose] HOST [SECONDS] — the host drops off the network for
# SECONDS (default 30), then comes back. Its datastore stays reachable in local and compose mode,
# so the leader sees the host isolated rather than dead.
#   local    the cluster of `ROAM_UP_NETNS=1 ./roam up` (root), where each agent lives in its own
#            network namespace: the namespace's link is taken down, then up
#   ssh      all the host's traffic but ssh is dropped with iptables, then the rules are removed
#   compose  docker network disconnect of the host's container from each of its networks, then
#            docker network connect again with the same aliases (and fixed address, if it had one);
#            the datastore volume stays mounted. The engine names the new interface anew (eth0 comes
#            back as eth1), which would lose an agent its agent.vm-interface: the script renames it
#            back, as root in the container (it needs NET_ADMIN there, as such an agent has), or says
#            that it could not
# Ctrl-C restores the network at once.
source "$(dirname "$0")/common.sh"
host="${1:?usage: cut-host.sh [--target local|ssh|compose] HOST [SECONDS]}"
secs=$(seconds "${2:-30}" SECONDS)
case "$TARGET" in
  ssh)
    say "ssh ${SSH_PREFIX}${host}: dropping all traffic but ssh for ${secs}s"
    # The remote side removes its rules by itself even if this ssh session dies.
    # shellcheck disable=SC2029 # $secs is meant to expand here
    ssh "${SSH_PREFIX}${host}" "sudo iptables -I INPUT 1 -p tcp --dport 22 -j ACCEPT && sudo iptables -I INPUT 2 -j DROP && \
      sudo iptables -I OUTPUT 1 -p tcp --sport 22 -j ACCEPT && sudo iptables -I OUTPUT 2 -j DROP && \
      sleep $secs; sudo iptables -D INPUT 2; sudo iptables -D INPUT 1; sudo iptables -D OUTPUT 2; sudo iptables -D OUTPUT 1"
    say "ssh ${SSH_PREFIX}${host}: rules removed"
    ;;
  compose)
    c=$(container "$host")
    name=$(container_name "$c")
    # One line per network: NAME IPV4 (or -, when compose did not fix it) ALIAS,ALIAS,...
    nets=$(docker inspect -f '{{range $n, $v := .NetworkSettings.Networks}}{{$n}} {{if $v.IPAMConfig}}{{if $v.IPAMConfig.IPv4Address}}{{$v.IPAMConfig.IPv4Address}}{{else}}-{{end}}{{else}}-{{end}} {{join $v.Aliases ","}}{{println}}{{end}}' "$c" | sed '/^$/d')
    [ -n "$nets" ] || die "$name is on no network"
    # The container's interface on a network, found by its address there (needs ip in the image).
    ifname() { # network
      local addr
      addr=$(docker inspect -f "{{with index .NetworkSettings.Networks \"$1\"}}{{.IPAddress}}{{end}}" "$c" 2>/dev/null) || return 0
      [ -z "$addr" ] || docker exec "$c" ip -o -4 addr show to "$addr" 2>/dev/null | awk '{print $2; exit}'
    }
    declare -A was=()
    while read -r net _; do was[$net]=$(ifname "$net"); done <<< "$nets"
    reconnect() {
      local net ip aliases args a now
      while read -r net ip aliases; do
        args=()
        [ "$ip" = - ] || args+=(--ip "$ip")
        for a in ${aliases//,/ }; do args+=(--alias "$a"); done
        docker network connect "${args[@]}" "$net" "$c" 2>/dev/null || true
        say "docker network connect $net $name${ip:+ (address ${ip/-/as before})}${aliases:+, aliases $aliases}"
        now=$(ifname "$net")
        if [ -n "${was[$net]}" ] && [ -n "$now" ] && [ "$now" != "${was[$net]}" ]; then
          if docker exec -u root "$c" ip link set dev "$now" name "${was[$net]}" >/dev/null 2>&1; then
            say "$name: interface $now renamed ${was[$net]}, as before the cut"
          else
            say "$name: its interface on $net is now $now, not ${was[$net]} (renaming it needs NET_ADMIN in the container); an agent.vm-interface of ${was[$net]} no longer finds it"
          fi
        fi
      done <<< "$nets"
    }
    trap 'end_hold; reconnect; exit 130' INT TERM
    while read -r net _; do
      say "docker network disconnect $net $name (service $host) for ${secs}s"
      docker network disconnect "$net" "$c"
    done <<< "$nets"
    hold "$secs"
    trap - INT TERM
    reconnect
    ;;
  local)
    f="$RUN_DIR/netns/$host"
    [ -f "$f" ] || die "no $f: on one machine start the cluster with 'ROAM_UP_NETNS=1 ./roam up' (as root), or use --target ssh or compose"
    read -r ns dev < "$f"
    trap 'end_hold; ip netns exec "$ns" ip link set "$dev" up; say "link $dev in $ns up (interrupted)"; exit 130' INT TERM
    say "$host: link $dev in network namespace $ns down for ${secs}s"
    ip netns exec "$ns" ip link set "$dev" down
    hold "$secs"
    ip netns exec "$ns" ip link set "$dev" up
    trap - INT TERM
    say "$host: link $dev in network namespace $ns up"
    ;;
esac
say "done; the host's agent fences itself if its session expired meanwhile"
