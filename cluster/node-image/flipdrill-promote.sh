#!/bin/bash
# flipdrill-promote: repmgr's promote_command on every node.
# 1. Promote this standby with repmgr (which records the standby_promote event).
# 2. Turn synchronous replication off on the promoted node: its standbys are gone or have not
#    followed yet, and a synchronous primary with no standby would block every commit. The
#    node that rejoins as a standby turns it back on.
# The floating endpoint is not moved here for the Docker alias: containers have no access to the
# Docker engine, so flipdrill's endpoint controller moves it once the database reports the new
# primary. The DigitalOcean and virtual-IP endpoints move from this hook.
set -euo pipefail
PGBIN=/usr/lib/postgresql/15/bin

"$PGBIN/repmgr" -f /etc/repmgr.conf standby promote --log-to-file
"$PGBIN/psql" -X -qAt -v ON_ERROR_STOP=1 -d postgres \
  -c "ALTER SYSTEM SET synchronous_standby_names = ''" -c "SELECT pg_reload_conf()" >/dev/null
