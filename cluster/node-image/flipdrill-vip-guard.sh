#!/bin/bash
# flipdrill-vip-guard: on machines with the virtual IP, the node gives the address up itself when
# its PostgreSQL is not a running primary (killed, stopped, frozen, or a standby): three looks in a
# row, half a second apart. The promote hook takes the address on the new primary; this makes sure
# the old one lets go, so clients' ARP caches lead to one node only (keepalived's check script,
# reduced to this one check). Runs as root from /etc/init.d/flipdrill-vip-guard, not as postgres:
# a fault that stops everything of postgres's leaves the guard running.
#
# A look costs no connection and no new process but the address check: the postmaster's PID file,
# its process state in /proc (T: frozen), and standby.signal in the data directory.
set -uo pipefail
. /usr/local/lib/flipdrill/flipdrill-lib.sh
[ -n "$(read_setting FLIPDRILL_VIP)" ] || exit 0
PGDATA=$(read_setting PGDATA)
PGDATA=${PGDATA:-/var/lib/postgresql/15/main}

running_primary() {
  local pid state
  [ -f "$PGDATA/standby.signal" ] && return 1
  read -r pid <"$PGDATA/postmaster.pid" 2>/dev/null || return 1
  [[ "$pid" =~ ^[0-9]+$ ]] || return 1
  [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = postgres ] || return 1
  state=$(awk '{print $3}' "/proc/$pid/stat" 2>/dev/null) || return 1
  [ "$state" != T ] && [ "$state" != t ] && [ "$state" != Z ]
}

misses=0
while :; do
  if running_primary; then misses=0; else misses=$((misses + 1)); fi
  # At the third miss, then every 10 s while it lasts (a standby misses all the time).
  if { [ "$misses" -eq 3 ] || { [ "$misses" -gt 3 ] && [ $((misses % 20)) -eq 0 ]; }; } &&
    [ "$(/usr/local/bin/flipdrill-vip status 2>/dev/null)" = held ]; then
    /usr/local/bin/flipdrill-vip down || true
  fi
  sleep 0.5
done
