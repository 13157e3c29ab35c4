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

if [ -z "${MEMCACHED_SERVERS:-}" ] && ! command -v memcached >/dev/null 2>&1; then
  if command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
    echo "[setup] installing memcached (apt-get install -y memcached)"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq memcached >/dev/null
  else
    echo "[setup] memcached is not installed: sudo apt-get install -y memcached, brew install memcached," >&2
    echo "[setup] or docker compose up -d and MEMCACHED_SERVERS=127.0.0.1:11211" >&2
    exit 1
  fi
fi

# twemproxy carries the text-protocol tests (test/twemproxy.test.ts, npm run test:protocols).
if ! command -v nutcracker >/dev/null 2>&1; then
  if command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
    echo "[setup] installing twemproxy (apt-get install -y nutcracker)"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nutcracker >/dev/null
  else
    echo "[setup] twemproxy is not installed: sudo apt-get install -y nutcracker (brew install twemproxy)" >&2
    exit 1
  fi
fi
