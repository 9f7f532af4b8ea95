#!/usr/bin/env bash
# npm run test:containers: builds the OrgHub image and brings docker-compose.yml up for real on
# 127.0.0.1:18080, checks it through nginx (scripts/containers/smoke.ts), and tears it all down,
# even on failure. Installs Debian's docker.io / docker-compose / mmdebstrap when missing and
# starts a private dockerd when none is running (stopping only that one).
set -euo pipefail
cd "$(dirname "$0")/.."
export DOCKER_BUILDKIT=0 COMPOSE_DOCKER_CLI_BUILD=0
DOCKER=/usr/bin/docker
PROJECT=orghub-containers-test
ROOT_DIR=${ORGHUB_DOCKER_ROOT:-/var/tmp/orghub-docker}
MAX_IMAGE_MB=300

skip() { echo "container tests skipped: $*"; exit 0; }
if [ "$(id -u)" != 0 ]; then skip "needs root (to install docker.io and start dockerd); run as root or via .ci/run"; fi
if ! command -v apt-get >/dev/null && ! [ -x "$DOCKER" ]; then skip "no apt-get to install docker.io; install Docker 20.10+ and docker-compose"; fi

if ! [ -x "$DOCKER" ] || ! command -v docker-compose >/dev/null || ! command -v mmdebstrap >/dev/null; then
  echo "installing docker.io, docker-compose and mmdebstrap (apt-get)"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq docker.io docker-compose mmdebstrap >/dev/null
fi

started_dockerd=""
stop_dockerd() {
  if [ -n "$started_dockerd" ]; then
    kill "$started_dockerd" 2>/dev/null || true
    wait "$started_dockerd" 2>/dev/null || true
  fi
}
if ! "$DOCKER" info >/dev/null 2>&1; then
  echo "starting dockerd (data root $ROOT_DIR/data)"
  mkdir -p "$ROOT_DIR"
  /usr/sbin/dockerd --data-root "$ROOT_DIR/data" --exec-root "$ROOT_DIR/exec" \
    --pidfile "$ROOT_DIR/dockerd.pid" >"$ROOT_DIR/dockerd.log" 2>&1 &
  started_dockerd=$!
  for _ in $(seq 1 60); do "$DOCKER" info >/dev/null 2>&1 && break; sleep 1; done
fi

env_file=$(mktemp)
compose() { docker-compose -p "$PROJECT" --env-file "$env_file" "$@"; }
cleanup() {
  local rc=$?
  if [ $rc != 0 ]; then compose logs --no-color --tail=80 2>/dev/null || true; fi
  compose down -v --remove-orphans >/dev/null 2>&1 || true
  rm -f "$env_file"
  stop_dockerd
  exit $rc
}
trap cleanup EXIT

scripts/containers/standins.sh

echo "building the OrgHub image"
start=$(date +%s)
"$DOCKER" build -q -t orghub:1.0.0 \
  --build-arg EXTRA_CA_CERTS="$(node scripts/containers/extra-ca.mjs)" . >/dev/null
echo "image built in $(($(date +%s) - start)) s"
size=$("$DOCKER" image inspect -f '{{.Size}}' orghub:1.0.0)
echo "image size: $((size / 1000000)) MB (limit $MAX_IMAGE_MB MB)"
[ "$size" -lt $((MAX_IMAGE_MB * 1000000)) ] || { echo "image is over $MAX_IMAGE_MB MB"; exit 1; }

cat >"$env_file" <<ENV
JWT_SECRET=$(head -c 48 /dev/urandom | base64 | tr -d '\n/+=')
ADMIN_TOKEN=$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')
POSTGRES_PASSWORD=$(head -c 18 /dev/urandom | od -An -tx1 | tr -d ' \n')
ORGHUB_PORT=127.0.0.1:18080
PUBLIC_URL=http://127.0.0.1:18080
ENV

echo "docker-compose up"
compose up -d --no-build

# Facts only the containers know, for smoke.ts to assert.
export ORGHUB_URL=http://127.0.0.1:18080
ADMIN_TOKEN=$(sed -n 's/^ADMIN_TOKEN=//p' "$env_file")
export ADMIN_TOKEN
ORGHUB_NODE_USER=$(compose exec -T orghub-1 id -u | tr -d '\r')
REDIS_AOF=$(compose exec -T redis redis-cli config get appendonly | tr -d '\r' | tail -1)
export ORGHUB_NODE_USER REDIS_AOF
export ORGHUB_RESTART="docker-compose -p $PROJECT --env-file $env_file restart orghub-1"
export ORGHUB_COMPOSE="docker-compose -p $PROJECT --env-file $env_file"
npx tsx scripts/containers/smoke.ts
echo "container tests passed in $(($(date +%s) - start)) s after the stand-ins"
