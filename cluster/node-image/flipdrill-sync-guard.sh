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
# Every connected standby counts, not only 'streaming' ones: repmgr reports a new child while it is
# still in 'startup' or 'catchup', and the guard would otherwise turn synchronous replication off
# just as a standby arrives. Commits then wait until it has caught up. A standby that died stops
# counting once its WAL sender notices (wal_sender_timeout).
streaming=$("${PSQL[@]}" -c "SELECT count(*) FROM pg_stat_replication WHERE state IN ('startup', 'catchup', 'streaming')")
current=$("${PSQL[@]}" -c 'SHOW synchronous_standby_names')
want=''
[ "$streaming" -gt 0 ] && want='*'
[ "$current" = "$want" ] && exit 0
"${PSQL[@]}" -c "ALTER SYSTEM SET synchronous_standby_names = '$want'" -c 'SELECT pg_reload_conf()' >/dev/null
echo "$(date -u +%Y-%m-%dT%H:%M:%S.%3NZ) flipdrill-sync-guard: synchronous_standby_names '$current' -> '$want' ($streaming standbys connected, event ${1:-none})" >>/var/log/flipdrill/repmgrd.log
