#!/usr/bin/env bash
# kill-leader.sh — the leader master dies (SIGKILL); a standby should take over.
source "$(dirname "$0")/common.sh"
ROAMCTL="${ROAMCTL:-$(dirname "$0")/../../roam ctl}"
leader=$($ROAMCTL -o json leader | sed -n 's/.*"leaderAddress": "\(.*\)".*/\1/p')
[ -n "$leader" ] || die "no leader found (roamctl leader)"
host="${leader%:*}"; port="${leader##*:}"
if rack; then
  say "ssh ${ROAM_SSH}${host}: kill -9 the master on port $port"
  ssh "${ROAM_SSH}${host}" sudo systemctl kill --signal=KILL roam-master
else
  pid=$(ss -ltnpH "sport = :$port" | sed -n 's/.*pid=\([0-9]*\).*/\1/p' | head -1)
  [ -n "$pid" ] || die "no process listens on $leader"
  if [ -f "$RUN_DIR/pids/master1.pid" ] && [ "$(cat "$RUN_DIR/pids/master1.pid")" = "$pid" ]; then
    say "warning: with './roam up' the only master also runs the embedded ZooKeeper: the cluster goes down with it"
  fi
  say "kill -9 leader master at $leader (pid $pid)"
  kill -9 "$pid"
fi
say "done; a standby master, if any, takes over: roamctl leader"
