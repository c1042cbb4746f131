#!/usr/bin/env bash
# kill-host.sh [--target local|ssh|compose] HOST — the host dies at once: its agent and all its VMs.
#   local    kill -9 of the agent process and its VM processes (./roam up)
#   ssh      systemctl kill --signal=KILL --kill-whom=all roam-agent on the host (agent and VMs: one cgroup)
#   compose  docker kill of the host's container (SIGKILL to everything in it); its restart policy
#            decides whether it comes back
source "$(dirname "$0")/common.sh"
host="${1:?usage: kill-host.sh [--target local|ssh|compose] HOST}"
case "$TARGET" in
  ssh)
    say "ssh ${SSH_PREFIX}${host}: systemctl kill --signal=KILL --kill-whom=all roam-agent"
    ssh "${SSH_PREFIX}${host}" sudo systemctl kill --signal=KILL --kill-whom=all roam-agent
    ;;
  compose)
    c=$(container "$host")
    say "docker kill $(container_name "$c") (service $host: agent and VMs, SIGKILL)"
    docker kill "$c" >/dev/null
    ;;
  local)
    pid=$(agent_pid "$host")
    vms=$(pgrep -P "$pid" | tr '\n' ' ' || true)
    say "kill -9 agent $host (pid $pid) and its VM processes: ${vms:-none}"
    # shellcheck disable=SC2086 # one pid per word
    kill -9 "$pid" $vms
    ;;
esac
say "done; watch the failover with: roamctl events -f"
