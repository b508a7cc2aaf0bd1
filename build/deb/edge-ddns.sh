#!/bin/sh
# /usr/bin/edge-ddns: runs the edge-ddns bundle on the first JavaScript runtime found.
# node (Node.js >= 18), then nodejs (the name some distributions use), then bun.
# EDGE_DDNS_RUNTIME=/path/to/runtime picks one explicitly.
# The systemd units set NODE_OPTIONS=--jitless (their MemoryDenyWriteExecute= forbids V8's JIT);
# exec keeps the runtime as the unit's main process, so signals reach it directly.
set -u

# The bundle sits in ../lib/edge-ddns/ next to this script's bin/ (/usr/lib/edge-ddns/ when
# installed), so an unpacked copy of the package works too.
self=$(readlink -f -- "$0" 2>/dev/null) || self=$0
prefix=${self%/bin/*}
[ "$prefix" != "$self" ] || prefix=/usr
bundle=$prefix/lib/edge-ddns/edge-ddns.mjs

if [ ! -r "$bundle" ]; then
  echo "edge-ddns: cannot read $bundle (is the edge-ddns package installed completely?)" >&2
  exit 127
fi

# Node 20 under --jitless prints "Warning: disabling flag --expose_wasm due to conflicting flags"
# at every start (WebAssembly needs the JIT); --no-expose-wasm says the same thing without the
# warning. It is a V8 flag NODE_OPTIONS does not accept, hence here. Bun takes neither.
start() {
  runtime=$1
  shift
  case "${runtime##*/} ${NODE_OPTIONS:-}" in
    node*--jitless*) exec "$runtime" --no-expose-wasm "$bundle" "$@" ;;
  esac
  exec "$runtime" "$bundle" "$@"
}

if [ -n "${EDGE_DDNS_RUNTIME:-}" ]; then
  start "$EDGE_DDNS_RUNTIME" "$@"
fi
for runtime in node nodejs bun; do
  if command -v "$runtime" >/dev/null 2>&1; then
    start "$runtime" "$@"
  fi
done

echo "edge-ddns: no JavaScript runtime found: neither node, nodejs nor bun is in PATH ($PATH)." >&2
echo "edge-ddns: install Node.js 18 or newer (apt install nodejs) or Bun, or set EDGE_DDNS_RUNTIME." >&2
exit 127
