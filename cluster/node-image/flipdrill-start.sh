#!/bin/bash
# flipdrill-start: bring this node's database back after a crash or a stop, on a machine that
# Ansible provisioned (in a container, the entrypoint does the same when the container starts).
# Run as root; flipdrill's drills run it over SSH to heal a killed or stopped node.
#   - an old primary that finds a peer primary now rejoins as its standby (rejoin, flipdrill-lib)
#     instead of coming back as a second primary
#   - any other node starts as it was
# Then repmgrd starts, and a node that is not primary gives up the virtual IP.
set -euo pipefail
# shellcheck source=flipdrill-lib.sh
. /usr/local/lib/flipdrill/flipdrill-lib.sh
# Run as root: the settings are parsed out of the file, never sourced.
parse_settings
FLIPDRILL_LOG_TAG=flipdrill-start
: "${PGDATA:?PGDATA is not in $FLIPDRILL_SETTINGS (provision the node with the flipdrill playbook)}"
: "${NODE_ROLE:?NODE_ROLE is not in $FLIPDRILL_SETTINGS}"
[ "$(id -u)" = 0 ] || die "run flipdrill-start as root"
cd /

# Debian's own tooling: under systemd, pg_ctlcluster run as root hands over to systemctl.
start_postgres() { pg_ctlcluster 15 main start || die "postgres did not start: $(grep -E 'FATAL|PANIC' /var/log/postgresql/postgresql-15-main.log 2>/dev/null | tail -n 1)"; log "postgres started"; }
after_clone() { :; }
running() { as_postgres "$PGBIN/pg_ctl" -D "$PGDATA" status >/dev/null 2>&1; }

if running; then
  log "postgres is running already"
else
  other=""
  if [ "$NODE_ROLE" != "witness" ] && was_primary; then other=$(other_primary || true); fi
  if [ -n "$other" ]; then rejoin "$other"; else start_postgres; fi
fi
in_recovery=$(as_postgres "$PGBIN/psql" -X -qAt -d postgres -c 'SELECT pg_is_in_recovery()')
if [ "$NODE_ROLE" != "witness" ]; then
  if [ "$in_recovery" = "t" ]; then wait_for_local_record standby; else wait_for_local_record primary; fi
fi
service repmgrd start >/dev/null
log "repmgrd started"
if [ "$in_recovery" = "t" ]; then /usr/local/bin/flipdrill-vip down || true; fi
log "ready"
