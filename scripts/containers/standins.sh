#!/usr/bin/env bash
# Builds local stand-ins for the public base images the Dockerfile and docker-compose.yml name
# (no container registry is reachable here), tagged with exactly those names. An image that
# already exists is kept, so later runs reuse them from the daemon's data root.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
DOCKER=${DOCKER:-/usr/bin/docker}
export DOCKER_BUILDKIT=0
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
have() { "$DOCKER" image inspect "$1" >/dev/null 2>&1; }

if ! have orghub-standin/bookworm; then
  echo "stand-ins: Debian bookworm minbase (mmdebstrap)"
  # Slim like debian:bookworm-slim: no docs, man pages, locales or apt lists in the image.
  mmdebstrap --quiet --variant=minbase \
    --dpkgopt='path-exclude=/usr/share/doc/*' --dpkgopt='path-include=/usr/share/doc/*/copyright' \
    --dpkgopt='path-exclude=/usr/share/man/*' --dpkgopt='path-exclude=/usr/share/locale/*' \
    --aptopt='Acquire::Languages "none"' \
    --customize-hook='rm -rf "$1"/var/lib/apt/lists/* "$1"/var/cache/apt/*' \
    bookworm "$work/rootfs.tar" http://deb.debian.org/debian
  "$DOCKER" import "$work/rootfs.tar" orghub-standin/bookworm >/dev/null
  rm -f "$work/rootfs.tar"
fi

build() { # tag dockerfile [context]
  local tag=$1 file=$2 ctx=${3:-$here/standins}
  have "$tag" && return 0
  echo "stand-ins: $tag"
  "$DOCKER" build -q -t "$tag" -f "$here/standins/$file" "$ctx" >/dev/null
}

if ! have node:20-bookworm-slim; then
  mkdir -p "$work/node"
  cp "$(readlink -f "$(command -v node)")" "$work/node/node"
  cp -a "$(dirname "$(readlink -f "$(command -v npm)")")/.." "$work/node/npm"
  build orghub-standin/node-layers node.Dockerfile "$work/node"
  # debian:bookworm-slim has no perl beyond perl-base (minbase pulls 46 MB of it in): drop it
  # and flatten, so the image-size check measures about what the official base weighs.
  cid=$("$DOCKER" create orghub-standin/node-layers sh -c \
    'dpkg --purge --force-depends libperl5.36 perl-modules-5.36 perl >/dev/null 2>&1; rm -rf /var/cache/debconf/*-old')
  "$DOCKER" start -a "$cid" >/dev/null
  "$DOCKER" export "$cid" | "$DOCKER" import --change 'CMD ["node"]' - node:20-bookworm-slim >/dev/null
  "$DOCKER" rm "$cid" >/dev/null
  "$DOCKER" rmi orghub-standin/node-layers >/dev/null
fi
build postgres:16 postgres.Dockerfile
build redis:7 redis.Dockerfile
build nginx:1.27 nginx.Dockerfile
