#!/bin/bash
# flipdrill-vip-guard: on machines with the virtual IP, the node gives the address up itself when
# its PostgreSQL is not a primary that answers (killed, stopped, frozen, a standby): three misses in
# a row, half a second apart. The promote hook takes the address on the new primary; this makes
# sure the old one lets go, so clients' ARP caches lead to one node only (keepalived's check
# script, reduced to this one check). Runs as root from /etc/init.d/flipdrill-vip-guard, not as
# postgres: a fault that stops everything of postgres's leaves the guard running.
set -uo pipefail
unset FLIPDRILL_VIP
. /usr/local/lib/flipdrill/flipdrill-lib.sh && load_settings
[ -n "${FLIPDRILL_VIP:-}" ] || exit 0
misses=0
while :; do
  if [ "$(runuser -u postgres -- timeout 1 psql -XqAt -d postgres -c 'SELECT NOT pg_is_in_recovery()' 2>/dev/null)" = t ]; then
    misses=0
  else
    misses=$((misses + 1))
  fi
  if [ "$misses" -ge 3 ] && [ "$(/usr/local/bin/flipdrill-vip status 2>/dev/null)" = held ]; then
    /usr/local/bin/flipdrill-vip down || true
  fi
  sleep 0.5
done
