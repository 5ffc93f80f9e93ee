#!/bin/bash
# flipdrill-vip up|down|status: the virtual IP, a secondary address on this node's application
# network interface, held by exactly the primary.
#   up      add it (if absent) and announce it with gratuitous ARP, so clients' ARP caches move
#           to this node at once instead of waiting for the old entry to go stale
#   down    remove it (a node that is not primary: at boot, after a rejoin or a demotion)
#   status  print "held" or "not held"
# Runs as root (repmgr's hooks run it through sudo, which allows this script and nothing else).
# Its settings come from the root-owned /etc/flipdrill/node.env, never from the caller:
#   FLIPDRILL_VIP           the address with its prefix, e.g. 10.213.2.254/24
#   FLIPDRILL_VIP_SUBNET    the application network, e.g. 10.213.2.0/24 (finds the interface)
set -euo pipefail
# The two settings are parsed out of the file, never sourced: this runs as root.
. /usr/local/lib/flipdrill/flipdrill-lib.sh
VIP=$(read_setting FLIPDRILL_VIP)
SUBNET=$(read_setting FLIPDRILL_VIP_SUBNET)
[ -n "$VIP" ] || exit 0
[[ "$VIP" =~ ^[0-9]{1,3}(\.[0-9]{1,3}){3}/[0-9]{1,2}$ ]] || { echo "flipdrill-vip: FLIPDRILL_VIP must be address/prefix, not '$VIP'" >&2; exit 2; }
[[ "$SUBNET" =~ ^[0-9]{1,3}(\.[0-9]{1,3}){3}/[0-9]{1,2}$ ]] || { echo "flipdrill-vip: FLIPDRILL_VIP_SUBNET must be a CIDR, not '$SUBNET'" >&2; exit 2; }
address=${VIP%/*}
note() { echo "$(date -u +%Y-%m-%dT%H:%M:%S.%3NZ) flipdrill-vip: $*" >>/var/log/flipdrill/repmgrd.log; }

# The interface with an address in the application subnet (first three octets; the subnets here are /24 or smaller).
interface() {
  local prefix=${SUBNET%.*}
  ip -o -4 addr show | awk -v p="$prefix." '$4 ~ "^"p && $4 !~ "^'"$address"'/" {print $2; exit}'
}
held() { ip -o -4 addr show | awk '{print $4}' | grep -qx "$VIP"; }

case "${1:-}" in
up)
  dev=$(interface)
  [ -n "$dev" ] || { note "no interface on $SUBNET (fenced?): cannot take $address"; exit 1; }
  if ! held; then
    ip addr add "$VIP" dev "$dev"
    note "took $address on $dev"
  fi
  # Gratuitous ARP, three times: the network may drop one.
  arping -q -U -c 3 -w 2 -I "$dev" "$address" >/dev/null 2>&1 || true
  ;;
down)
  while held; do
    dev=$(ip -o -4 addr show | awk -v v="$VIP" '$4 == v {print $2; exit}')
    ip addr del "$VIP" dev "$dev"
    note "gave up $address (on $dev)"
  done
  ;;
status)
  if held; then echo held; else echo "not held"; fi
  ;;
*)
  echo "usage: flipdrill-vip up|down|status" >&2
  exit 2
  ;;
esac
