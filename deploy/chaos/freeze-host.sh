#!/usr/bin/env bash
# freeze-host.sh [--target local|ssh|compose] HOST [SECONDS] — the host hangs for SECONDS (default
# 20), then goes on.
#   local    SIGSTOP of the agent process, then SIGCONT (./roam up): its VMs keep their processes but
#            stop stepping when their leases run out
#   ssh      the same on the host, through sudo pkill -STOP/-CONT of the agent's java process
#   compose  docker pause of the host's container, then docker unpause: agent and VMs frozen together
#            (the cgroup freezer), as a whole machine hangs
# Ctrl-C thaws it at once.
source "$(dirname "$0")/common.sh"
host="${1:?usage: freeze-host.sh [--target local|ssh|compose] HOST [SECONDS]}"
secs=$(seconds "${2:-20}" SECONDS)
case "$TARGET" in
  ssh)
    say "ssh ${SSH_PREFIX}${host}: SIGSTOP roam-agent for ${secs}s"
    # The remote side thaws by itself even if this ssh session dies.
    # shellcheck disable=SC2029 # $secs is meant to expand here
    ssh "${SSH_PREFIX}${host}" "sudo pkill -STOP -f io.roam.agent.AgentMain; sleep $secs; sudo pkill -CONT -f io.roam.agent.AgentMain"
    say "ssh ${SSH_PREFIX}${host}: SIGCONT roam-agent"
    ;;
  compose)
    c=$(container "$host")
    name=$(container_name "$c")
    trap 'end_hold; docker unpause "$c" >/dev/null 2>&1 || true; say "docker unpause $name (interrupted)"; exit 130' INT TERM
    say "docker pause $name (service $host: agent and VMs) for ${secs}s"
    # The cgroup freezer gives up ("unable to freeze") when a task does not stop in time, as on a
    # busy machine: try again a few times before calling the freeze failed.
    tries=1
    until err=$(docker pause "$c" 2>&1 >/dev/null); do
      [ "$tries" -lt 5 ] || die "docker pause $name failed $tries times: $err"
      say "docker pause $name failed ($err); trying again"
      tries=$((tries + 1))
      sleep 1
    done
    say "paused $name"
    hold "$secs"
    docker unpause "$c" >/dev/null
    trap - INT TERM
    say "docker unpause $name"
    ;;
  local)
    pid=$(agent_pid "$host")
    trap 'end_hold; kill -CONT "$pid" 2>/dev/null || true; say "SIGCONT agent $host (pid $pid) (interrupted)"; exit 130' INT TERM
    say "SIGSTOP agent $host (pid $pid) for ${secs}s"
    kill -STOP "$pid"
    hold "$secs"
    kill -CONT "$pid"
    trap - INT TERM
    say "SIGCONT agent $host (pid $pid)"
    ;;
esac
say "done; the thawed agent fences itself if its session expired meanwhile"
