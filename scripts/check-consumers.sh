#!/usr/bin/env bash
# `npm run check:consumers`: installs the packed package into a scratch project under /tmp, as a user
# would, and runs it against a throwaway memcached on 127.0.0.1 from
#   - plain ES modules and plain CommonJS (which must get the CommonJS build);
#   - TypeScript under `nodenext` (ESM and CJS files), `node16`, `node18` and `node10` (CJS files)
#     and `bundler`: strict, skipLibCheck off, and without @types/node, so the public declarations
#     must not need Node.
# Usage: scripts/check-consumers.sh [tarball]   (packs the package when no tarball is given)
# Needs the npm registry (memjs, xxhash-wasm and keyv are installed from it; npm's cache is reused).
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
here="$repo/scripts/consumers"
tsc="$repo/node_modules/typescript/bin/tsc"

scratch="$(mktemp -d /tmp/memjs-namespaces-consumers.XXXXXX)"
memcached_pid=""
cleanup() {
  if [ -n "$memcached_pid" ]; then kill "$memcached_pid" 2>/dev/null || true; fi
  rm -rf "$scratch"
}
trap cleanup EXIT

tarball="${1:-}"
if [ -z "$tarball" ]; then
  tarball="$scratch/$(cd "$repo" && npm pack --silent --pack-destination "$scratch" | tail -n 1)"
fi
echo "[consumers] tarball: $tarball"

cd "$scratch"
echo '{ "name": "consumer", "private": true, "type": "module" }' >package.json
npm install --silent --no-audit --no-fund --prefer-offline --no-package-lock "$tarball" keyv@5
cp "$here/esm.mjs" "$here/cjs.cjs" .

# TypeScript consumers: one source, compiled as each kind of user would.
compile() { # name, module, moduleResolution, source file
  mkdir -p "$1"
  cp "$here/exercise.ts" "$1/$4"
  cat >"$1/tsconfig.json" <<JSON
{
  "compilerOptions": {
    "target": "ES2022",
    "lib": ["ES2022"],
    "module": "$2",
    "moduleResolution": "$3",
    "types": [],
    "strict": true,
    "skipLibCheck": false,
    "noEmit": false,
    "outDir": "out"
  },
  "files": ["$4"]
}
JSON
  node "$tsc" -p "$1/tsconfig.json"
}
compile ts-nodenext NodeNext NodeNext exercise.ts
compile ts-nodenext-cjs NodeNext NodeNext exercise.cts
compile ts-node16-cjs Node16 Node16 exercise.cts
compile ts-node18-cjs Node18 Node16 exercise.cts
compile ts-node10-cjs CommonJS Node10 exercise.cts
compile ts-bundler ESNext Bundler exercise.ts

if [ -z "${MEMCACHED_SERVERS:-}" ]; then
  port="$(node -e "const s=require('net').createServer().listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})")"
  as_root=()
  if [ "$(id -u)" = 0 ]; then as_root=(-u root); fi # memcached refuses root without -u
  memcached -l 127.0.0.1 -p "$port" -U 0 -m 16 "${as_root[@]}" &
  memcached_pid=$!
  export MEMCACHED_SERVERS="127.0.0.1:$port"
  # Wait until it accepts connections (bounded).
  node -e "
    const net = require('net'); const deadline = Date.now() + 5000;
    (function attempt() {
      const socket = net.connect($port, '127.0.0.1', () => { socket.end(); });
      socket.on('error', () => { if (Date.now() > deadline) process.exit(1); setTimeout(attempt, 20); });
    })();"
fi

node --enable-source-maps esm.mjs
node cjs.cjs 2>cjs.stderr
if [ -s cjs.stderr ]; then cat cjs.stderr >&2; echo "[consumers] CommonJS printed warnings" >&2; exit 1; fi
CONSUMER=ts-nodenext node ts-nodenext/out/exercise.js
CONSUMER=ts-nodenext-cjs node ts-nodenext-cjs/out/exercise.cjs
CONSUMER=ts-node16-cjs node ts-node16-cjs/out/exercise.cjs
CONSUMER=ts-node18-cjs node ts-node18-cjs/out/exercise.cjs
CONSUMER=ts-node10-cjs node ts-node10-cjs/out/exercise.cjs
CONSUMER=ts-bundler node ts-bundler/out/exercise.js
echo "[consumers] all consumers ran"
