#!/usr/bin/env bash
# The remote benchmark's network, all inside three network namespaces this script creates:
#
#   mcpsb-client              mcpsb-bridge                          mcpsb-server
#   to-bridge 10.200.0.1/30 ─ from-client [delay-bridge] from-server ─ to-bridge 10.200.0.2/30
#
# One Ethernet segment on a private /30 that exists only inside them. The bridge namespace has
# no addresses: bench's delay-bridge joins its two veth ends and holds each frame for the
# one-way delay (this kernel has no sch_netem). Offloads are off on every veth so frames are
# real MTU-sized frames with their checksums filled in, as a packet socket must forward them.
# Nothing outside these namespaces is touched: each veth pair is created inside the bridge
# namespace with its peer placed straight into the client's or the server's.
#
# Usage: bench/remote/net.sh up     (removes any leftovers first; on failure removes what it made)
#        bench/remote/net.sh down   (ends the processes left inside, removes the namespaces)
#        bench/remote/net.sh show   (the names and addresses, KEY=VALUE, for the harness)
# up and down need root.
set -euo pipefail

CLIENT_NS=mcpsb-client
BRIDGE_NS=mcpsb-bridge
SERVER_NS=mcpsb-server
CLIENT_ADDR=10.200.0.1
SERVER_ADDR=10.200.0.2
PREFIX=30
BRIDGE_IFACES="from-client from-server"

show() {
	echo "CLIENT_NS=$CLIENT_NS"
	echo "BRIDGE_NS=$BRIDGE_NS"
	echo "SERVER_NS=$SERVER_NS"
	echo "CLIENT_ADDR=$CLIENT_ADDR"
	echo "SERVER_ADDR=$SERVER_ADDR"
	echo "BRIDGE_IFACES=$BRIDGE_IFACES"
}

# Ends what still runs in a namespace (left by a killed run), politely then not, in bounded time.
end_processes() {
	local ns=$1 pids tries
	pids=$(ip netns pids "$ns" 2>/dev/null || true)
	[ -n "$pids" ] || return 0
	# shellcheck disable=SC2086 # one argument per pid
	kill -TERM $pids 2>/dev/null || true
	for tries in $(seq 50); do
		pids=$(ip netns pids "$ns" 2>/dev/null || true)
		[ -n "$pids" ] || return 0
		sleep 0.1
	done
	# shellcheck disable=SC2086
	kill -KILL $pids 2>/dev/null || true
}

down() {
	local ns
	for ns in "$CLIENT_NS" "$BRIDGE_NS" "$SERVER_NS"; do
		[ -e "/run/netns/$ns" ] || continue
		end_processes "$ns"
		ip netns del "$ns"
	done
}

offloads_off() {
	# tx: checksums filled in by the sender; tso/gso/gro: no frames above the MTU.
	ip netns exec "$1" ethtool -K "$2" tx off rx off tso off gso off gro off >/dev/null 2>&1 ||
		ip netns exec "$1" ethtool -K "$2" tx off tso off gso off gro off
}

up() {
	down
	trap 'down' ERR
	local ns
	for ns in "$CLIENT_NS" "$BRIDGE_NS" "$SERVER_NS"; do
		ip netns add "$ns"
		# No IPv6: its router solicitations and DAD would be the only other frames on the link.
		ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
		ip -n "$ns" link set lo up
	done
	ip -n "$BRIDGE_NS" link add from-client type veth peer name to-bridge netns "$CLIENT_NS"
	ip -n "$BRIDGE_NS" link add from-server type veth peer name to-bridge netns "$SERVER_NS"
	offloads_off "$BRIDGE_NS" from-client
	offloads_off "$BRIDGE_NS" from-server
	offloads_off "$CLIENT_NS" to-bridge
	offloads_off "$SERVER_NS" to-bridge
	ip -n "$CLIENT_NS" addr add "$CLIENT_ADDR/$PREFIX" dev to-bridge
	ip -n "$SERVER_NS" addr add "$SERVER_ADDR/$PREFIX" dev to-bridge
	ip -n "$BRIDGE_NS" link set from-client up
	ip -n "$BRIDGE_NS" link set from-server up
	ip -n "$CLIENT_NS" link set to-bridge up
	ip -n "$SERVER_NS" link set to-bridge up
	trap - ERR
}

need_root() {
	if [ "$(id -u)" != 0 ]; then
		echo "net.sh: $1 needs root (network namespaces)" >&2
		exit 1
	fi
}

case "${1:-}" in
up) need_root up && up ;;
down) need_root down && down ;;
show) show ;;
*)
	echo "usage: $0 up|down|show" >&2
	exit 2
	;;
esac
