# shellcheck shell=bash
# Shared by the chaos scripts (sourced; not run by itself). Each script takes a target: the cluster
# it breaks. --target NAME before the script's arguments, or $ROAM_CHAOS_TARGET:
#
#   local    (default) the cluster of `./roam up` on this machine, found through its pid files in
#            $ROAM_RUN_DIR/pids (default ./run/pids): HOST.pid for each agent, master1.pid.
#   ssh      a rack: each host reached as ssh ${ROAM_SSH}HOST (ROAM_SSH="user@" or empty), where
#            roam-agent and roam-master run under systemd and the user may sudo. Setting ROAM_SSH
#            alone also selects it, as before.
#   compose  the docker-compose cluster: HOST is a compose service (agent1, master2, ...), its
#            container found by the compose labels of project $ROAM_COMPOSE_PROJECT (default: the
#            only running project that has such a service). Works with docker compose v2 and
#            docker-compose v1 alike (both label their containers the same way).
#
# Every script says what it did, one line per action, on standard output.
set -euo pipefail

RUN_DIR="${ROAM_RUN_DIR:-$(pwd)/run}"
TARGET="${ROAM_CHAOS_TARGET:-}"
if [ -z "$TARGET" ]; then
  if [ -n "${ROAM_SSH+set}" ]; then TARGET=ssh; else TARGET=local; fi
fi
case "${1:-}" in
  --target) TARGET="${2:?--target needs local, ssh or compose}"; shift 2 ;;
  --target=*) TARGET="${1#--target=}"; shift ;;
esac
case "$TARGET" in
  local|ssh|compose) ;;
  *) printf 'chaos: unknown target %s: use local, ssh or compose\n' "$TARGET" >&2; exit 2 ;;
esac
# shellcheck disable=SC2034 # used by the scripts that source this file
SSH_PREFIX="${ROAM_SSH:-}"

say() { printf '%s chaos[%s]: %s\n' "$(date +%H:%M:%S)" "$TARGET" "$*"; }
die() { printf 'chaos: %s\n' "$*" >&2; exit 1; }
rack() { [ "$TARGET" = ssh ]; }
compose() { [ "$TARGET" = compose ]; }

# Waits SECONDS such that a trapped signal ends the wait at once: bash runs a trap only when the
# foreground command has finished, so a plain `sleep 600` would hold off a SIGTERM from a supervisor
# or `timeout` (Ctrl-C at a terminal reaches sleep too, through the process group) for up to 600 s.
# The traps call end_hold, which stops the sleep, so that nothing is left behind.
HOLD_PID=
hold() { # seconds
  sleep "$1" &
  HOLD_PID=$!
  wait "$HOLD_PID"
  HOLD_PID=
}
end_hold() {
  [ -z "$HOLD_PID" ] || kill "$HOLD_PID" 2>/dev/null || true
}

# A number of seconds (the scripts' durations).
seconds() { # value name
  case "$1" in ''|*[!0-9]*) die "$2 must be a whole number of seconds, not '$1'" ;; esac
  echo "$1"
}

# local: the pid of agent HOST from ./roam up's pid file, checked alive.
agent_pid() { # host
  local f="$RUN_DIR/pids/$1.pid" pid
  [ -f "$f" ] || die "no pid file $f: is './roam up' running here (or set ROAM_RUN_DIR)? For a rack use --target ssh, for compose --target compose"
  pid=$(cat "$f")
  kill -0 "$pid" 2>/dev/null || die "$1 (pid $pid) is not running"
  echo "$pid"
}

# compose: the id of the running container of service HOST.
container() { # service
  command -v docker >/dev/null || die "--target compose needs the docker command"
  local project="${ROAM_COMPOSE_PROJECT:-}" ids projects
  if [ -z "$project" ]; then
    projects=$(docker ps --filter "label=com.docker.compose.service=$1" \
      --format '{{.Label "com.docker.compose.project"}}' | sort -u)
    [ -n "$projects" ] || die "no running compose container of service $1 (docker ps); is the compose cluster up?"
    [ "$(printf '%s\n' "$projects" | wc -l)" -eq 1 ] \
      || die "service $1 runs in several compose projects ($(printf '%s' "$projects" | tr '\n' ' ')): set ROAM_COMPOSE_PROJECT"
    project="$projects"
  fi
  ids=$(docker ps -q --filter "label=com.docker.compose.project=$project" \
    --filter "label=com.docker.compose.service=$1")
  [ -n "$ids" ] || die "no running container of service $1 in compose project $project (docker ps)"
  [ "$(printf '%s\n' "$ids" | wc -l)" -eq 1 ] || die "service $1 of project $project has several containers: scale it to one"
  echo "$ids"
}

# compose: the container's name, for messages.
container_name() { # id
  docker inspect -f '{{.Name}}' "$1" | sed 's|^/||'
}

# roamctl as the chaos scripts call it: $ROAMCTL if set; else ./roam ctl of this checkout; else the
# distribution's bin/roamctl; else roamctl on the PATH. It needs the masters ($ROAM_MASTER) and a
# certificate (ROAM_TLS_*, or ~/.roam) of the cluster.
roamctl_cmd() {
  local here; here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
  if [ -n "${ROAMCTL:-}" ]; then
    echo "$ROAMCTL"
  elif [ -x "$here/../../roam" ] && [ "$TARGET" = local ]; then
    echo "$here/../../roam ctl"
  elif [ -x "$here/../bin/roamctl" ]; then
    echo "$here/../bin/roamctl"
  else
    echo roamctl
  fi
}
