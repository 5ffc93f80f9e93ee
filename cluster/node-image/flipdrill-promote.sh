#!/bin/bash
# flipdrill-promote: repmgr's promote_command on every node.
# 1. Turn synchronous replication off before promoting. A standby that was cloned or rewound from
#    a synchronous primary carries synchronous_standby_names='*' in postgresql.auto.conf; promoted
#    with it, the node has no standby to wait for, and repmgr's own metadata update after
#    pg_promote() would wait forever. (ALTER SYSTEM works on a standby: it only writes a file.)
# 2. Promote with repmgr, and take the floating endpoint (the DigitalOcean floating IP or the
#    virtual IP) the moment PostgreSQL leaves recovery. repmgr asks pg_promote() not to wait, then
#    looks again a second later (promote_check_interval, at least 1 s) before it records the
#    standby_promote event, whose notification runs flipdrill-sync-guard, which takes the endpoint
#    too (a no-op by then; in a switchover, where repmgr runs no promote_command, it is the one
#    that does). The Docker alias is moved by the cluster's endpoint agent once the database
#    reports the new primary.
# 3. Let the sync guard turn synchronous replication on again if a standby already streams.
set -euo pipefail
# Settings (FLIPDRILL_VIP, FLIPDRILL_FLOATING_IP, ...) from /etc/flipdrill/node.env: see flipdrill-lib.sh.
. /usr/local/lib/flipdrill/flipdrill-lib.sh && load_settings
PSQL=(/usr/lib/postgresql/15/bin/psql -X -qAt -v ON_ERROR_STOP=1 -d postgres)
"${PSQL[@]}" -c "ALTER SYSTEM SET synchronous_standby_names = ''" -c 'SELECT pg_reload_conf()' >/dev/null
waiter=
if [ -n "${FLIPDRILL_VIP:-}${FLIPDRILL_FLOATING_IP:-}" ]; then
  # One session on this node, looking every 20 ms, for at most 60 s.
  ( PGOPTIONS='-c statement_timeout=60000' "${PSQL[@]}" -c 'DO $$ BEGIN WHILE pg_is_in_recovery() LOOP PERFORM pg_sleep(0.02); END LOOP; END $$' >/dev/null 2>&1 && take_endpoint promote ) &
  waiter=$!
fi
rc=0
/usr/lib/postgresql/15/bin/repmgr -f /etc/repmgr.conf standby promote --log-to-file || rc=$?
if [ -n "$waiter" ]; then
  # Promoted: the endpoint is being taken (or taken); wait for it. Not promoted: stop looking.
  if [ "$rc" = 0 ]; then wait "$waiter" || true; else pkill -P "$waiter" 2>/dev/null || true; wait "$waiter" 2>/dev/null || true; fi
fi
[ "$rc" = 0 ] || exit "$rc"
/usr/local/bin/flipdrill-sync-guard promote
