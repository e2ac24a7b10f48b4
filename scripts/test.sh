#!/usr/bin/env bash
# Everything `npm test` runs: typecheck, unit and integration tests, then the suites that need
# system packages (installed through apt when missing). Exits non-zero on the first failure.
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n== %s\n' "$*" >&2; }

step "typecheck"
npx tsc -p tsconfig.json

step "lint (type-aware: unawaited promises in socket handlers and the like)"
npx eslint .

step "redis-server and redis-cli (the Redis contract and multi-node suites run a real one, and a Redis Cluster)"
if ! command -v redis-server >/dev/null 2>&1 || ! command -v redis-cli >/dev/null 2>&1; then
  echo "redis-server is missing: installing it through apt" >&2
  apt_get() { if [ "$(id -u)" -eq 0 ]; then apt-get "$@"; else sudo apt-get "$@"; fi; }
  apt_get update -qq
  DEBIAN_FRONTEND=noninteractive apt_get install -y -qq redis-server >/dev/null
fi
redis-server --version >&2

step "python3-websockets (the conformance kit certifies the Python example speaker)"
if ! /usr/bin/python3 -c 'import websockets' >/dev/null 2>&1; then
  echo "python3-websockets is missing: installing it through apt" >&2
  apt_get() { if [ "$(id -u)" -eq 0 ]; then apt-get "$@"; else sudo apt-get "$@"; fi; }
  apt_get update -qq
  DEBIAN_FRONTEND=noninteractive apt_get install -y -qq python3 python3-websockets >/dev/null
fi
/usr/bin/python3 -c 'import websockets; print("websockets", websockets.__version__)' >&2

step "alert rules (promtool, from Debian's prometheus package)"
if ! command -v promtool >/dev/null 2>&1; then
  echo "promtool is missing: installing prometheus through apt" >&2
  apt_get() { if [ "$(id -u)" -eq 0 ]; then apt-get "$@"; else sudo apt-get "$@"; fi; }
  apt_get update -qq
  DEBIAN_FRONTEND=noninteractive apt_get install -y -qq --no-install-recommends prometheus >/dev/null
fi
promtool check rules ops/prometheus/alerts.yml
promtool test rules ops/prometheus/alerts.test.yml

step "unit and integration tests"
npx vitest run

step "viewer typecheck and build"
npm run typecheck -w viewer
npx tsx viewer/build-if-stale.ts

step "browser tests (Playwright driving Debian's Chromium)"
if [ ! -x /usr/bin/chromium ]; then
  echo "chromium is missing: installing it through apt" >&2
  apt_get() { if [ "$(id -u)" -eq 0 ]; then apt-get "$@"; else sudo apt-get "$@"; fi; }
  apt_get update -qq
  DEBIAN_FRONTEND=noninteractive apt_get install -y -qq chromium >/dev/null
fi
npm run test:browser
