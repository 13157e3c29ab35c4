#!/usr/bin/env bash
# `npm run check:package`: packs the package as npm would publish it (which builds it, through
# `prepare`), then lints the tarball: publint (package.json fields, exports, files) and Are The Types
# Wrong (types and runtime agree for every entry point under node10, node16 CJS/ESM and bundler).
# Leaves the tarball path in $PACK_DIR/tarball for scripts/check-consumers.sh when PACK_DIR is set.
set -euo pipefail
cd "$(dirname "$0")/.."

pack_dir="${PACK_DIR:-$(mktemp -d /tmp/memjs-namespaces-pack.XXXXXX)}"
mkdir -p "$pack_dir"
tarball="$pack_dir/$(npm pack --silent --pack-destination "$pack_dir" | tail -n 1)"
echo "$tarball" >"$pack_dir/tarball"
echo "[check:package] packed $tarball"

npx --no-install attw "$tarball"
npx --no-install publint run "$tarball" --strict
