#!/usr/bin/env bash
# Runs before `npm test` and `npm run demo` (npm's pre-scripts), so that both work on a fresh clone:
# installs the dependencies when node_modules is missing, and memcached when it is missing and
# this machine can install it (Debian/Ubuntu as root). Does nothing when both are there.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ ! -d node_modules ]; then
  echo "[setup] installing dependencies (npm ci)"
  npm ci --no-audit --no-fund
fi

# Installs a Debian package when this machine can (apt-get, as root); else says how, and fails.
install_or_explain() {
  local package="$1" hint="$2"
  if command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
    echo "[setup] installing ${package} (apt-get install -y ${package})"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$package" >/dev/null
  else
    echo "[setup] ${package} is not installed: ${hint}" >&2
    exit 1
  fi
}

if [ -z "${MEMCACHED_SERVERS:-}" ] && ! command -v memcached >/dev/null 2>&1; then
  install_or_explain memcached "sudo apt-get install -y memcached, brew install memcached, or docker compose up -d and MEMCACHED_SERVERS=127.0.0.1:11211"
fi

# twemproxy carries the text-protocol tests (test/twemproxy.test.ts, npm run test:protocols).
if ! command -v nutcracker >/dev/null 2>&1; then
  install_or_explain nutcracker "sudo apt-get install -y nutcracker (brew install twemproxy)"
fi
