#!/usr/bin/env bash
# Proves that `npm install && npm test` passes on a machine with only Node.js: runs both with a
# PATH holding nothing but node, npm, npx and the core tools of a minimal Debian (a temporary
# directory of symlinks), without DATABASE_URL/REDIS_URL, with CHROMIUM_PATH and PG_BIN
# pointing nowhere, so redis-server, PostgreSQL, Chromium, promtool and docker are all absent.
# It asserts that the run is green and that each suite needing a missing program printed its
# one skip line. A full test run: minutes. Usage: bash scripts/bare-machine-check.sh
set -uo pipefail
cd "$(dirname "$0")/.."

BIN=$(mktemp -d /tmp/orghub-bare-bin.XXXXXX)
LOG=$(mktemp /tmp/orghub-bare-log.XXXXXX)
trap 'rm -rf "$BIN"' EXIT

NODE_DIR=$(dirname "$(command -v node)")
for tool in node npm npx; do ln -s "$NODE_DIR/$tool" "$BIN/$tool"; done
# What Debian's essential packages (coreutils, dash, bash, grep, sed, tar, gzip, util-linux,
# bsdutils, findutils) give every machine, node:20-bookworm-slim included.
for tool in sh bash env cat ls mkdir rmdir rm cp mv ln chmod chown touch tar gzip sed grep \
  head tail tr cut sort uniq wc date sleep uname id dirname basename readlink realpath \
  mktemp true false test expr find xargs tee script which; do
  p=$(command -v "$tool" 2>/dev/null) && ln -s "$p" "$BIN/$tool"
done
for absent in redis-server redis-cli chromium psql pg_dump pg_restore promtool docker; do
  if [ -e "$BIN/$absent" ]; then echo "bare-machine-check: $absent leaked into $BIN"; exit 1; fi
done

echo "bare-machine-check: PATH=$BIN ($(ls "$BIN" | wc -l) programs), log in $LOG"
started=$(date +%s)
# The network settings pass through (a bare machine behind this proxy needs them too).
passthrough=()
for v in HTTP_PROXY HTTPS_PROXY NO_PROXY http_proxy https_proxy no_proxy NODE_EXTRA_CA_CERTS \
  npm_config_cafile npm_config_registry; do
  [ -n "${!v:-}" ] && passthrough+=("$v=${!v}")
done
env -i HOME="${HOME:-/tmp}" PATH="$BIN" TERM=dumb LANG=C.UTF-8 "${passthrough[@]}" \
  CHROMIUM_PATH=/nonexistent/chromium PG_BIN=/nonexistent/postgresql/bin \
  npm_config_update_notifier=false \
  sh -c 'npm install --no-audit --no-fund && npm test' >"$LOG" 2>&1
status=$?
elapsed=$(($(date +%s) - started))

fail() {
  echo "bare-machine-check: FAILED: $*"
  tail -40 "$LOG"
  exit 1
}
[ "$status" -eq 0 ] || fail "npm install && npm test exited $status after ${elapsed}s"
for line in 'browser suite (test/browser/' 'Redis broker contract' 'Redis Cluster (' \
  'fault suite skipped: no PostgreSQL binaries' 'promtool check skipped'; do
  grep -qF "$line" "$LOG" || fail "no skip line containing \"$line\""
done
echo "bare-machine-check: green in ${elapsed}s; skip lines:"
grep -E ' skipped: ' "$LOG" | sed 's/^[[:space:]]*/  /' | sort -u
grep -E '^ +(Test Files|Tests) ' "$LOG" | sed 's/\x1b\[[0-9;]*m//g'
