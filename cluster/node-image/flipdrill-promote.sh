#!/bin/bash
# flipdrill-promote: repmgr's promote_command on every node.
# 1. Turn synchronous replication off before promoting. A standby that was cloned or rewound from
#    a synchronous primary carries synchronous_standby_names='*' in postgresql.auto.conf; promoted
#    with it, the node has no standby to wait for, and repmgr's own metadata update after
#    pg_promote() would wait forever. (ALTER SYSTEM works on a standby: it only writes a file.)
# 2. Promote with repmgr (which records the standby_promote event).
# 3. Let the sync guard turn synchronous replication on again if a standby already streams.
# 4. With a DigitalOcean floating IP (FLIPDRILL_FLOATING_IP set), move it to this droplet
#    (flipdrill-flip-here); with a virtual IP (FLIPDRILL_VIP), take it (flipdrill-vip, via sudo). The Docker alias is not moved here: containers have no access to the
#    Docker engine, so flipdrill's endpoint controller moves it once the database reports the new
#    primary.
set -euo pipefail
# Settings (FLIPDRILL_VIP, FLIPDRILL_FLOATING_IP, ...) from /etc/flipdrill/node.env: see flipdrill-lib.sh.
. /usr/local/lib/flipdrill/flipdrill-lib.sh && load_settings
PSQL=(/usr/lib/postgresql/15/bin/psql -X -qAt -v ON_ERROR_STOP=1 -d postgres)
"${PSQL[@]}" -c "ALTER SYSTEM SET synchronous_standby_names = ''" -c 'SELECT pg_reload_conf()' >/dev/null
/usr/lib/postgresql/15/bin/repmgr -f /etc/repmgr.conf standby promote --log-to-file
/usr/local/bin/flipdrill-sync-guard promote
/usr/local/bin/flipdrill-flip-here promote
if [ -n "${FLIPDRILL_VIP:-}" ]; then sudo -n /usr/local/bin/flipdrill-vip up || echo "flipdrill-promote: could not take the virtual IP" >&2; fi
