#!/bin/bash
# flipdrill-promote: repmgr's promote_command on every node.
# 1. Turn synchronous replication off before promoting. A standby that was cloned or rewound from
#    a synchronous primary carries synchronous_standby_names='*' in postgresql.auto.conf; promoted
#    with it, the node has no standby to wait for, and repmgr's own metadata update after
#    pg_promote() would wait forever. (ALTER SYSTEM works on a standby: it only writes a file.)
# 2. Promote with repmgr. It records the standby_promote event, whose notification runs
#    flipdrill-sync-guard on this node, which takes the floating endpoint: the DigitalOcean
#    floating IP (flipdrill-flip-here) or the virtual IP (flipdrill-vip, via sudo). The same
#    happens in a switchover, where repmgr runs no promote_command. The Docker alias is moved by
#    the cluster's endpoint agent once the database reports the new primary.
# 3. Let the sync guard turn synchronous replication on again if a standby already streams.
set -euo pipefail
# Settings (FLIPDRILL_VIP, FLIPDRILL_FLOATING_IP, ...) from /etc/flipdrill/node.env: see flipdrill-lib.sh.
. /usr/local/lib/flipdrill/flipdrill-lib.sh && load_settings
PSQL=(/usr/lib/postgresql/15/bin/psql -X -qAt -v ON_ERROR_STOP=1 -d postgres)
"${PSQL[@]}" -c "ALTER SYSTEM SET synchronous_standby_names = ''" -c 'SELECT pg_reload_conf()' >/dev/null
/usr/lib/postgresql/15/bin/repmgr -f /etc/repmgr.conf standby promote --log-to-file
/usr/local/bin/flipdrill-sync-guard promote
