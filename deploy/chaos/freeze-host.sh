#!/usr/bin/env bash
# freeze-host.sh HOST [SECONDS] — the host's agent hangs (SIGSTOP) for SECONDS (default 20), then
# goes on (SIGCONT). Its VMs keep their processes but stop stepping when their leases run out.
source "$(dirname "$0")/common.sh"
host="${1:?usage: freeze-host.sh HOST [SECONDS]}"; secs="${2:-20}"
if rack; then
  say "ssh ${ROAM_SSH}${host}: SIGSTOP roam-agent for ${secs}s"
  ssh "${ROAM_SSH}${host}" "sudo pkill -STOP -f io.roam.agent.AgentMain; sleep $secs; sudo pkill -CONT -f io.roam.agent.AgentMain"
else
  pid=$(agent_pid "$host")
  say "SIGSTOP agent $host (pid $pid) for ${secs}s"
  kill -STOP "$pid"
  sleep "$secs"
  kill -CONT "$pid"
fi
say "SIGCONT sent; the thawed agent fences itself if its session expired meanwhile"
