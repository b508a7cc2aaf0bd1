#!/bin/sh
# shellcheck shell=sh
#
# /usr/bin/edge-ddns: the edge-ddns command line on the router (check, detect, plan, run, status).
# Runs the bundle on the runtime the service uses (option runtime in /etc/config/edge-ddns: auto
# means node, then bun; or node, bun, or a path) with the same memory flags as the init script.

edge_ddns_bundle=/usr/lib/edge-ddns/edge-ddns.mjs
edge_ddns_runtime=$(uci -q get edge-ddns.main.runtime 2>/dev/null) || edge_ddns_runtime=
case "$edge_ddns_runtime" in
	'' | auto) edge_ddns_runtime=$(command -v node) || edge_ddns_runtime=$(command -v bun) || edge_ddns_runtime= ;;
	node | bun) edge_ddns_runtime=$(command -v "$edge_ddns_runtime") || edge_ddns_runtime= ;;
	*) ;;
esac
if [ -z "$edge_ddns_runtime" ] || [ ! -x "$edge_ddns_runtime" ]; then
	echo "edge-ddns: no JavaScript runtime: neither node nor bun is in PATH; install node (OpenWrt 24.10: opkg install node) or copy node or bun to the router and set option runtime in /etc/config/edge-ddns to its path" >&2
	exit 127
fi

case "${edge_ddns_runtime##*/}" in
	bun*)
		export BUN_RUNTIME_TRANSPILER_CACHE_PATH=0
		exec "$edge_ddns_runtime" --smol "$edge_ddns_bundle" "$@"
		;;
	*)
		# The init script explains each flag.
		exec "$edge_ddns_runtime" --max-old-space-size=32 --max-semi-space-size=1 --jitless --no-expose-wasm "$edge_ddns_bundle" "$@"
		;;
esac
