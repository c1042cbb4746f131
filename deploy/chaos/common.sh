# Shared by the chaos scripts. Local mode (default): the cluster of `./roam up`, found through its pid
# files in $ROAM_RUN_DIR/pids (default ./run/pids). Rack mode: ROAM_SSH="user@" prefix and the host
# name as the ssh target; the agent runs under systemd as roam-agent.
set -euo pipefail
RUN_DIR="${ROAM_RUN_DIR:-$(pwd)/run}"
say() { printf '%s chaos: %s\n' "$(date +%H:%M:%S)" "$*"; }
die() { printf 'chaos: %s\n' "$*" >&2; exit 1; }
rack() { [ -n "${ROAM_SSH:-}" ]; }
agent_pid() { # host
  local f="$RUN_DIR/pids/$1.pid"
  [ -f "$f" ] || die "no pid file $f: is './roam up' running here (or set ROAM_RUN_DIR)? For a rack set ROAM_SSH"
  local pid; pid=$(cat "$f")
  kill -0 "$pid" 2>/dev/null || die "$1 (pid $pid) is not running"
  echo "$pid"
}
