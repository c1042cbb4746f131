#!/usr/bin/env bash
# kill-leader.sh [--target local|ssh|compose] — the leader master dies (SIGKILL); a standby should
# take over. The leader is asked of roamctl ($ROAMCTL, else ./roam ctl, else bin/roamctl, else
# roamctl; it needs $ROAM_MASTER and a certificate of the cluster).
#   local    kill -9 of the process listening on the leader's port (./roam up: its only master,
#            which also runs the embedded ZooKeeper, so the cluster goes down with it)
#   ssh      systemctl kill --signal=KILL roam-master on the leader's host
#   compose  docker kill of the container of the leader's host name (its compose service)
source "$(dirname "$0")/common.sh"
read -r -a ctl <<< "$(roamctl_cmd)"
leader=$("${ctl[@]}" -o yaml leader | sed -n 's/^leaderAddress: //p')
[ -n "$leader" ] || die "no leader found (${ctl[*]} leader)"
host="${leader%:*}"; port="${leader##*:}"
case "$TARGET" in
  ssh)
    say "ssh ${SSH_PREFIX}${host}: systemctl kill --signal=KILL roam-master (the leader, port $port)"
    ssh "${SSH_PREFIX}${host}" sudo systemctl kill --signal=KILL roam-master
    ;;
  compose)
    c=$(container "$host")
    say "docker kill $(container_name "$c") (service $host: the leader master at $leader)"
    docker kill "$c" >/dev/null
    ;;
  local)
    command -v ss >/dev/null || die "the local target needs ss (iproute2) to find the leader's process"
    pid=$(ss -ltnpH "sport = :$port" | sed -n 's/.*pid=\([0-9]*\).*/\1/p' | head -1)
    [ -n "$pid" ] || die "no process listens on $leader"
    if [ -f "$RUN_DIR/pids/master1.pid" ] && [ "$(cat "$RUN_DIR/pids/master1.pid")" = "$pid" ]; then
      say "warning: with './roam up' the only master also runs the embedded ZooKeeper: the cluster goes down with it"
    fi
    say "kill -9 leader master at $leader (pid $pid)"
    kill -9 "$pid"
    ;;
esac
say "done; a standby master, if any, takes over: roamctl leader"
