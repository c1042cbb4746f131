#!/usr/bin/env bash
# Makes the base image the Dockerfile starts FROM (debian:bookworm-slim) available to the engine:
# nothing to do when it is already there; otherwise `docker pull`; and where no registry can be
# reached, build it from Debian's packages with debootstrap and `docker import` it under the same
# tag, so the Dockerfile is the same everywhere (elsewhere users pull the real image).
# Usage: deploy/docker/base-image.sh [IMAGE]   (needs root for debootstrap)
set -euo pipefail
image="${1:-debian:bookworm-slim}"
suite="${image#*:}"; suite="${suite%-slim}"
mirror="${DEBIAN_MIRROR:-http://deb.debian.org/debian}"

if docker image inspect "$image" >/dev/null 2>&1; then
  echo "base image $image: already present"
  exit 0
fi
if timeout 60 docker pull -q "$image" >/dev/null 2>&1; then
  echo "base image $image: pulled"
  exit 0
fi
command -v debootstrap >/dev/null || { echo "base image $image: cannot pull it and debootstrap is not installed (apt-get install debootstrap)" >&2; exit 1; }
[ "$(id -u)" = 0 ] || { echo "base image $image: cannot pull it, and building it with debootstrap needs root" >&2; exit 1; }

dir="$(mktemp -d /tmp/roam-base.XXXXXX)"
trap 'rm -rf "$dir"' EXIT
echo "base image $image: no registry reachable; building it with debootstrap ($suite from $mirror)"
debootstrap --variant=minbase "$suite" "$dir/root" "$mirror" > "$dir/debootstrap.log" 2>&1 \
  || { tail -20 "$dir/debootstrap.log" >&2; echo "base image $image: debootstrap failed (log above)" >&2; exit 1; }
# Slim it like the real -slim image: no apt lists, docs or man pages.
rm -rf "$dir/root"/var/lib/apt/lists/* "$dir/root"/var/cache/apt/*.bin "$dir/root"/usr/share/doc/* \
  "$dir/root"/usr/share/man/* "$dir/root"/usr/share/info/*
tar -C "$dir/root" -c . | docker import -c 'CMD ["bash"]' - "$image" >/dev/null
echo "base image $image: built with debootstrap and imported"
