#!/usr/bin/env bash
# Prepare a mirror (SPAN destination) NIC for the collector, or with --check only report on it.
#
#   prepare-mirror-nic.sh IFACE            make IFACE a silent listener (needs root), print each step
#   prepare-mirror-nic.sh --check IFACE    change nothing; print each property; exit 1 if any is wrong
#
# A silent listener: link up, promiscuous, no IPv4 address (flushed), IPv6 disabled on the interface
# (sysctl, so no link-local address and no router/neighbour solicitations), ARP off, and the NIC's
# offloads off (GRO, LRO, GSO, TSO, rx-vlan-offload) so the capture sees frames as they were on the
# wire with their VLAN tags. Offloads need ethtool; without it they are reported and left alone.
# Running it again changes nothing that is already right (idempotent).
#
# Exit status: 0 all good (or everything applied), 1 something is not as it should be (--check) or
# could not be applied, 2 usage error or no such interface.
set -uo pipefail

PATH=$PATH:/usr/sbin:/usr/bin:/sbin:/bin
ETHTOOL=${ETHTOOL:-ethtool}     # the tests point it elsewhere to play a box without ethtool
OFFLOADS=(gro lro gso tso rx-vlan-offload)

usage() {
    echo "usage: $0 [--check] IFACE" >&2
    exit 2
}

check=0
iface=""
for arg in "$@"; do
    case "$arg" in
        --check) check=1 ;;
        -h|--help) sed -n '2,15p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        -*) usage ;;
        *) [ -z "$iface" ] || usage; iface="$arg" ;;
    esac
done
[ -n "$iface" ] || usage

if ! ip link show dev "$iface" >/dev/null 2>&1; then
    echo "$iface: no such interface" >&2
    exit 2
fi
if [ "$check" -eq 0 ] && [ "$(id -u)" -ne 0 ]; then
    echo "$0: must run as root to change $iface (use --check to only report)" >&2
    exit 2
fi

failed=0
# report NAME OK|FAIL|CHANGED|SKIP DETAIL
report() {
    printf '%-8s %-18s %s\n' "$2" "$1" "$3"
    [ "$2" = FAIL ] && failed=1
    return 0
}

flags() { ip -o link show dev "$iface" | sed -n 's/^[0-9]*: [^<]*<\([^>]*\)>.*/\1/p'; }
has_flag() { flags | tr ',' '\n' | grep -qx "$1"; }

# -- link up ------------------------------------------------------------------------------------
if has_flag UP; then
    report link OK "up"
elif [ "$check" -eq 1 ]; then
    report link FAIL "down (ip link set dev $iface up)"
else
    ip link set dev "$iface" up && report link CHANGED "set up" || report link FAIL "could not set up"
fi

# -- promiscuous --------------------------------------------------------------------------------
if has_flag PROMISC; then
    report promiscuous OK "on"
elif [ "$check" -eq 1 ]; then
    report promiscuous FAIL "off (ip link set dev $iface promisc on)"
else
    ip link set dev "$iface" promisc on && report promiscuous CHANGED "turned on" \
        || report promiscuous FAIL "could not turn on"
fi

# -- ARP ----------------------------------------------------------------------------------------
if has_flag NOARP; then
    report arp OK "off"
elif [ "$check" -eq 1 ]; then
    report arp FAIL "on (ip link set dev $iface arp off)"
else
    ip link set dev "$iface" arp off && report arp CHANGED "turned off" || report arp FAIL "could not turn off"
fi

# -- IPv6 off (before looking at addresses: disabling it removes the link-local one) ---------------
v6_sysctl="/proc/sys/net/ipv6/conf/$iface/disable_ipv6"
if [ ! -e "$v6_sysctl" ]; then
    report ipv6 OK "not available in this kernel"
elif [ "$(cat "$v6_sysctl")" = 1 ]; then
    report ipv6 OK "disabled"
elif [ "$check" -eq 1 ]; then
    report ipv6 FAIL "enabled (sysctl -w net.ipv6.conf.$iface.disable_ipv6=1)"
else
    sysctl -qw "net.ipv6.conf.$iface.disable_ipv6=1" && report ipv6 CHANGED "disabled" \
        || report ipv6 FAIL "could not disable"
fi

# -- no addresses -------------------------------------------------------------------------------
addresses() { ip -o addr show dev "$iface" | awk '{print $4}' | paste -sd ' ' -; }
present="$(addresses)"
if [ -z "$present" ]; then
    report addresses OK "none"
elif [ "$check" -eq 1 ]; then
    report addresses FAIL "$present (ip addr flush dev $iface)"
else
    ip -4 addr flush dev "$iface"
    ip -6 addr flush dev "$iface" 2>/dev/null
    left="$(addresses)"
    if [ -z "$left" ]; then
        report addresses CHANGED "removed $present"
    else
        report addresses FAIL "still has $left"
    fi
fi

# -- offloads -----------------------------------------------------------------------------------
if ! command -v "$ETHTOOL" >/dev/null 2>&1; then
    report offloads SKIP "ethtool is not installed: offloads (${OFFLOADS[*]}) NOT checked or changed (apt-get install ethtool, then run this again)"
    echo "warning: ethtool is missing; GRO/LRO may merge mirrored frames and hide VLAN tags" >&2
    offloads_unknown=1
else
    features="$("$ETHTOOL" -k "$iface" 2>/dev/null)"
    # ethtool -k names: generic-receive-offload, large-receive-offload, generic-segmentation-offload,
    # tcp-segmentation-offload, rx-vlan-offload
    declare -A long=([gro]=generic-receive-offload [lro]=large-receive-offload
                     [gso]=generic-segmentation-offload [tso]=tcp-segmentation-offload
                     [rx-vlan-offload]=rx-vlan-offload)
    for name in "${OFFLOADS[@]}"; do
        line="$(printf '%s\n' "$features" | grep -m1 "^${long[$name]}:")"
        state="$(printf '%s' "$line" | awk '{print $2}')"
        if [ -z "$line" ]; then
            report "$name" OK "not offered by this NIC"
        elif [ "$state" = off ]; then
            report "$name" OK "off"
        elif printf '%s' "$line" | grep -q '\[fixed\]'; then
            report "$name" OK "$state [fixed]: the driver does not allow changing it"
        elif [ "$check" -eq 1 ]; then
            report "$name" FAIL "$state (ethtool -K $iface $name off)"
        else
            if "$ETHTOOL" -K "$iface" "$name" off >/dev/null 2>&1; then
                report "$name" CHANGED "turned off"
            else
                report "$name" FAIL "could not turn off"
            fi
        fi
    done
fi

if [ "$failed" -ne 0 ]; then
    [ "$check" -eq 1 ] && echo "$iface is not ready for capture: run $0 $iface" >&2
    exit 1
fi
if [ -n "${offloads_unknown:-}" ]; then
    echo "$iface is ready for capture, offloads not checked (no ethtool)"
else
    echo "$iface is ready for capture"
fi
exit 0
