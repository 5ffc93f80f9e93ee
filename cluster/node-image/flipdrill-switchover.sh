#!/bin/bash
# flipdrill-switchover: a planned switchover that makes this node (a standby) the primary.
# Run it on the standby, as postgres: `flipdrill-switchover`. Extra arguments go to repmgr
# (for example --dry-run).
#
# 1. Synchronous replication off here first, as in flipdrill-promote: a standby cloned or rewound
#    from a synchronous primary carries synchronous_standby_names='*', and once promoted it would
#    wait forever for a standby to confirm repmgr's own metadata update. repmgr does not run
#    promote_command during a switchover, so the promote hook cannot do it.
# 2. `repmgr standby switchover --siblings-follow`: repmgr pauses repmgrd everywhere, stops the
#    primary cleanly over SSH (a shutdown checkpoint every standby has received), promotes this
#    node, makes the old primary rejoin as its standby and the other nodes follow, then unpauses.
# 3. The sync guard turns synchronous replication on again once the old primary streams.
# The floating endpoint moves when the promotion does, not here: repmgr records standby_promote,
# whose notification runs flipdrill-sync-guard on this node, which moves a DigitalOcean floating
# IP or takes the virtual IP (the old primary gives the virtual IP up when it is a standby again:
# see flipdrill-sync-guard). The Docker alias is moved by the cluster's endpoint agent.
set -euo pipefail
# Settings (FLIPDRILL_VIP, FLIPDRILL_FLOATING_IP, ...) from /etc/flipdrill/node.env: see flipdrill-lib.sh.
. /usr/local/lib/flipdrill/flipdrill-lib.sh && load_settings
[ "$(id -un)" = "postgres" ] || { echo "flipdrill-switchover: run it as postgres (docker exec -u postgres ...)" >&2; exit 2; }
PSQL=(/usr/lib/postgresql/15/bin/psql -X -qAt -v ON_ERROR_STOP=1 -d postgres)
if [ "$("${PSQL[@]}" -c 'SELECT pg_is_in_recovery()')" != "t" ]; then
  echo "flipdrill-switchover: $(hostname) is already a primary; run this on the standby that should become primary" >&2
  exit 3
fi
"${PSQL[@]}" -c "ALTER SYSTEM SET synchronous_standby_names = ''" -c 'SELECT pg_reload_conf()' >/dev/null
/usr/lib/postgresql/15/bin/repmgr -f /etc/repmgr.conf standby switchover --siblings-follow "$@"
/usr/local/bin/flipdrill-sync-guard switchover
