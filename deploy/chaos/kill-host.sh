#!/usr/bin/env bash
# kill-host.sh HOST — the host dies: its agent and all its VM processes get SIGKILL at once.
source "$(dirname "$0")/common.sh"
host="${1:?usage: kill-host.sh HOST}"
if rack; then
  say "ssh ${ROAM_SSH}${host}: systemctl kill --signal=KILL --kill-whom=all roam-agent"
  ssh "${ROAM_SSH}${host}" sudo systemctl kill --signal=KILL --kill-whom=all roam-agent
else
  pid=$(agent_pid "$host")
  vms=$(pgrep -P "$pid" || true)
  say "kill -9 agent $host (pid $pid) and its VM processes: ${vms:-none}"
  kill -9 "$pid" $vms
fi
say "done; watch the failover with: roamctl events -f"
