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
# 4. With a DigitalOcean floating IP, move it here: repmgr runs no promote_command in a
#    switchover, and the tutorial's hook never moved the IP on one. The same for a virtual IP (the
#    old primary gives it up when it rejoins: see flipdrill-sync-guard).
# The floating endpoint is not moved from here for the Docker alias (containers have no Docker API
# access): flipdrill's endpoint controller follows the database's own answer to "who is primary".
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
/usr/local/bin/flipdrill-flip-here switchover
if [ -n "${FLIPDRILL_VIP:-}" ]; then sudo -n /usr/local/bin/flipdrill-vip up || echo "flipdrill-switchover: could not take the virtual IP" >&2; fi
