#!/usr/bin/env bash
# roamctl on the host against the compose cluster, as its admin: copies the CA certificate and the
# admin certificate and key out of the pki volume once (not the CA's key), then runs roamctl with
# both masters' published ports, so it follows the leader.
#   deploy/docker/roamctl-compose.sh host ls
# COMPOSE_PROJECT_NAME (default: deploy), ROAM_MASTER1_PORT/ROAM_MASTER2_PORT as given to compose.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
project="${COMPOSE_PROJECT_NAME:-deploy}"
dir="${ROAM_COMPOSE_PKI:-$HOME/.roam-compose/$project}"
roamctl="${ROAM_HOME:-$root/deploy/target/roam/roam}/bin/roamctl"
if [ ! -f "$dir/admin.key" ]; then
  pki="$(docker ps -aq --filter "label=com.docker.compose.project=$project" --filter label=com.docker.compose.service=pki)"
  [ -n "$pki" ] || { echo "roamctl-compose: no pki container in compose project $project; is the cluster up?" >&2; exit 1; }
  (umask 077; mkdir -p "$dir")
  for f in ca.crt admin.crt admin.key; do docker cp "$pki:/var/lib/roam/pki/$f" "$dir/$f"; done
  chmod 600 "$dir/admin.key"
fi
exec env ROAM_TLS_CA="$dir/ca.crt" ROAM_TLS_CERT="$dir/admin.crt" ROAM_TLS_KEY="$dir/admin.key" "$roamctl" \
  --master "127.0.0.1:${ROAM_MASTER1_PORT:-7711},127.0.0.1:${ROAM_MASTER2_PORT:-7712}" "$@"
