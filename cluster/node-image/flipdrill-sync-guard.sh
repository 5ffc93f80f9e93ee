#!/bin/bash
# flipdrill-sync-guard: keeps synchronous replication on exactly while a standby streams from this
# primary. Run by repmgrd's event notifications (a child node connecting or disconnecting, a
# promotion) and by the promote hook; it looks at the current state, not at the event, so running
# it twice or late is harmless.
#
# Why: with synchronous_standby_names set and no standby, every commit waits forever. Losing the
# standby would stop all writes. Like Patroni's (non-strict) synchronous mode, the primary goes on
# alone, asynchronously, and turns synchronous replication back on when a standby streams again.
# flipdrill reports the degradation.
set -euo pipefail
[ "${FLIPDRILL_SYNC_REPLICATION:-on}" = "on" ] || exit 0
PSQL=(/usr/lib/postgresql/15/bin/psql -X -qAt -v ON_ERROR_STOP=1 -d postgres)

[ "$("${PSQL[@]}" -c 'SELECT pg_is_in_recovery()')" = "f" ] || exit 0
# Only a streaming standby can confirm commits: turning synchronous replication on for one still
# in 'startup' or 'catchup' would make every commit wait out its catch-up (measured: a 5 s write
# stall when an old primary rejoins). repmgr reports a new child before it streams, so when one is
# connected but not streaming yet, check again in the background until it streams (at most 60 s).
connected=$("${PSQL[@]}" -c "SELECT count(*) FROM pg_stat_replication WHERE state IN ('startup', 'catchup', 'streaming')")
streaming=$("${PSQL[@]}" -c "SELECT count(*) FROM pg_stat_replication WHERE state = 'streaming'")
current=$("${PSQL[@]}" -c 'SHOW synchronous_standby_names')
want=''
[ "$streaming" -gt 0 ] && want='*'
if [ "$streaming" -eq 0 ] && [ "$connected" -gt 0 ] && [ -z "${FLIPDRILL_GUARD_RECHECK:-}" ]; then
  (
    export FLIPDRILL_GUARD_RECHECK=1
    for _ in $(seq 1 120); do
      sleep 0.5
      if [ "$("${PSQL[@]}" -c "SELECT count(*) FROM pg_stat_replication WHERE state = 'streaming'")" -gt 0 ]; then
        exec "$0" recheck
      fi
    done
  ) </dev/null >/dev/null 2>&1 &
fi
[ "$current" = "$want" ] && exit 0
"${PSQL[@]}" -c "ALTER SYSTEM SET synchronous_standby_names = '$want'" -c 'SELECT pg_reload_conf()' >/dev/null
echo "$(date -u +%Y-%m-%dT%H:%M:%S.%3NZ) flipdrill-sync-guard: synchronous_standby_names '$current' -> '$want' ($streaming streaming, $connected connected, event ${1:-none})" >>/var/log/flipdrill/repmgrd.log
