#!/usr/bin/env bash
# Runs every suite on the protocols `npm test` does not (it runs meta): binary (through memjs),
# text through twemproxy, and meta over TLS (memcached -Z with a CA made at setup).
set -euo pipefail
cd "$(dirname "$0")/.."
for protocol in binary text tls; do
  echo "== suites on ${protocol}"
  MEMCACHED_PROTOCOL="$protocol" npx vitest run --typecheck.enabled=false
done
