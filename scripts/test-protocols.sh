#!/usr/bin/env bash
# Runs every suite on the protocols `npm test` does not (it runs meta): binary (through memjs),
# text through twemproxy, and meta over TLS (memcached -Z with a CA made at setup).
set -uo pipefail
cd "$(dirname "$0")/.."
# Every protocol runs even when one fails, so that one run shows them all; the exit code says if any did.
failed=0
for protocol in binary text tls; do
  echo "== suites on ${protocol}"
  MEMCACHED_PROTOCOL="$protocol" npx vitest run --typecheck.enabled=false || failed=1
done
exit "$failed"
