# flipdrill-lib: shell functions shared by the container entrypoint (flipdrill-node), the hooks,
# and flipdrill-start on machines provisioned by Ansible. Sourced, never run.
#
# Settings: /etc/flipdrill/node.env (KEY=value lines, root-owned, readable by postgres). The
# entrypoint writes it from the container's environment; Ansible writes it on VMs and droplets.
# Hooks read it rather than their own environment: repmgr runs some of them over SSH, where the
# environment is empty, and flipdrill-vip runs as root and must not take settings from its caller.
# It holds no secret: the DigitalOcean token is in /etc/flipdrill/do-token, root's alone, on the
# data nodes only; the promote hook (postgres) moves the floating IP through
# `sudo flipdrill-flip-here promote`, which reads it as root.
#
# Scripts that run as root parse the file (parse_settings, read_setting), never source it: a line
# in it is then never run as a command.

FLIPDRILL_SETTINGS=/etc/flipdrill/node.env
FLIPDRILL_DO_TOKEN_FILE=/etc/flipdrill/do-token
PGBIN=/usr/lib/postgresql/15/bin
PG_HOME=/var/lib/postgresql
LOG_DIR=/var/log/flipdrill

# For postgres's hooks only: sourced, as postgres. A root script uses parse_settings.
load_settings() {
  if [ "$(id -u)" = 0 ]; then parse_settings; return; fi
  if [ -r "$FLIPDRILL_SETTINGS" ]; then
    set -a
    # shellcheck disable=SC1090
    . "$FLIPDRILL_SETTINGS"
    set +a
  fi
}

log() { echo "$(date -u +%Y-%m-%dT%H:%M:%S.%3NZ) ${FLIPDRILL_LOG_TAG:-flipdrill}[${NODE_NAME:-?}] $*"; }
die() { log "FATAL: $*"; exit 1; }

# FAKETIME_SHARED (a fake-clock node): libfaketime's shared state, made by a root process and
# unreadable to postgres, which would refuse to start on it: postgres's processes make their own.
as_postgres() {
  if [ "$(id -u)" = 0 ]; then env -u FAKETIME_SHARED HOME="$PG_HOME" setpriv --reuid=postgres --regid=postgres --init-groups -- "$@"; else "$@"; fi
}

# Did this data directory belong to a primary when it stopped (cleanly or not)?
was_primary() {
  local state
  state=$(LC_ALL=C "$PGBIN/pg_controldata" "$PGDATA" | sed -n 's/^Database cluster state: *//p')
  # "in crash recovery": a primary that went down again before its crash recovery finished (its
  # disk failing, a second crash); a standby's recovery is "in archive recovery".
  [ "$state" = "in production" ] || [ "$state" = "shut down" ] || [ "$state" = "in crash recovery" ]
}

# The peer that is primary now, if any (PEER_NODES: the other data nodes' hosts, as in their
# repmgr conninfo). A peer that
# answers as primary but is not yet registered as one is still being promoted (repmgr updates its
# metadata a moment after pg_promote()): wait for it, or `node rejoin` would take this node for
# the primary.
other_primary() {
  local peer state deadline=$((SECONDS + 30))
  while :; do
    local promoting=""
    for peer in ${PEER_NODES//,/ }; do
      state=$(as_postgres "$PGBIN/psql" -X -qAt -h "$peer" -U repmgr -d repmgr -c \
        "SELECT CASE WHEN pg_is_in_recovery() THEN 'standby'
                     WHEN EXISTS (SELECT 1 FROM repmgr.nodes WHERE type = 'primary' AND active
                                    AND starts_with(conninfo, 'host=$peer ')) THEN 'primary'
                     ELSE 'promoting' END" 2>/dev/null || true)
      [ "$state" = "primary" ] && { echo "$peer"; return 0; }
      [ "$state" = "promoting" ] && promoting=$peer
    done
    [ -n "$promoting" ] && [ $SECONDS -lt $deadline ] || return 1
    sleep 0.5
  done
}

# repmgrd reads this node's record from the local database; after a clone or a rejoin the update
# to it may not have been replayed yet, and repmgrd exits ("registered as a primary but running as
# a standby"). Wait until the local copy says what the node is.
wait_for_local_record() {
  local type=$1 deadline=$((SECONDS + 30)) repaired=""
  until [ "$(as_postgres "$PGBIN/psql" -X -qAt -d repmgr -c "SELECT type FROM repmgr.nodes WHERE node_id = $NODE_ID" 2>/dev/null)" = "$type" ]; do
    if [ $SECONDS -ge $deadline ]; then
      # A standby whose record still says otherwise (a rejoin that streamed but did not finish
      # updating it, seen on a loaded machine): register it again on the primary, once, and wait.
      if [ "$type" = standby ] && [ -z "$repaired" ]; then
        repaired=1
        log "this node's repmgr record does not say standby after 30 s: registering it again (repmgr standby register --force)"
        as_postgres "$PGBIN/repmgr" -f /etc/repmgr.conf standby register --force --log-to-file || true
        deadline=$((SECONDS + 30))
        continue
      fi
      die "this node's repmgr record does not say $type after 30 s"
    fi
    sleep 0.2
  done
}

# One setting from the settings file, as the value written there (printf %q of plain values),
# without sourcing it: for scripts that run as root.
# Take the floating endpoint on a node that is primary now: the DigitalOcean floating IP
# (flipdrill-flip-here; nothing without one) and the virtual IP (flipdrill-vip, through sudo).
# Run by postgres from the promote script and the sync guard, maybe at once: one at a time, and
# the second finds the work done (the IP already on this droplet, the address already held).
take_endpoint() {
  (
    flock -w 60 9 || { echo "$(date -u +%Y-%m-%dT%H:%M:%S.%3NZ) take_endpoint: the lock was held 60 s" >>/var/log/flipdrill/repmgrd.log; exit 1; }
    # As root, through sudo: only root reads the token.
    if [ -n "${FLIPDRILL_FLOATING_IP:-}" ]; then
      sudo -n /usr/local/bin/flipdrill-flip-here "$1" || echo "$(date -u +%Y-%m-%dT%H:%M:%S.%3NZ) take_endpoint: could not run flipdrill-flip-here" >>/var/log/flipdrill/repmgrd.log
    fi
    if [ -n "${FLIPDRILL_VIP:-}" ]; then
      sudo -n /usr/local/bin/flipdrill-vip up || echo "$(date -u +%Y-%m-%dT%H:%M:%S.%3NZ) take_endpoint: could not take the virtual IP" >>/var/log/flipdrill/repmgrd.log
    fi
  ) 9>>/run/postgresql/flipdrill-endpoint.lock
}

read_setting() {
  [ -r "$FLIPDRILL_SETTINGS" ] || return 0
  local value
  value=$(sed -n "s/^$1=//p" "$FLIPDRILL_SETTINGS" | tail -n 1)
  # Undo the quoting the writers use, as text (never eval): Ansible's quote ('...', a quote inside
  # as '"'"') or printf %q (a backslash before each special character).
  if [[ $value == \'*\' && ${#value} -ge 2 ]]; then
    value=${value:1:${#value}-2}
    value=${value//\'\"\'\"\'/\'}
  else
    value=$(printf '%s' "$value" | sed 's/\\\(.\)/\1/g')
  fi
  printf '%s\n' "$value"
}

# Every setting the scripts use, parsed out of the file (for scripts that run as root).
parse_settings() {
  local key
  for key in NODE_NAME NODE_ID NODE_ROLE PGDATA PG_CONF_DIR PEER_NODES FLIPDRILL_SYNC_REPLICATION FLIPDRILL_VIP FLIPDRILL_VIP_SUBNET \
    FLIPDRILL_FLOATING_IP FLIPDRILL_DO_API_URL FLIPDRILL_METADATA_URL; do
    printf -v "$key" '%s' "$(read_setting "$key")"
    # shellcheck disable=SC2163
    [ -n "${!key}" ] && export "$key" || unset "$key"
  done
  return 0
}

# Rejoin an old primary as a standby of the node that replaced it: pg_rewind first, a fresh clone
# if that does not get it streaming. Why the fallback: after a SIGKILL with synchronous
# replication the standby has every WAL record, so pg_rewind finds nothing to rewind ("0 files
# copied"), yet the end-of-recovery checkpoint it writes lies past the fork point, and the node
# can never follow the new timeline ("new timeline 2 forked off current database system timeline 1
# before current recovery point"). Measured on PG 15 with repmgr 5.3.3.
# The caller defines start_postgres, and after_clone (what a fresh data directory needs).
rejoin() {
  local other=$1
  log "this node was a primary, but $other is primary now: rejoining as its standby (repmgr node rejoin --force-rewind)"
  if as_postgres "$PGBIN/repmgr" -f /etc/repmgr.conf node rejoin \
    -d "host=$other port=5432 user=repmgr dbname=repmgr connect_timeout=2" --force-rewind --log-to-file; then
    # repmgr can report success for a node that will never follow: its recovery point lies past
    # the new timeline's fork ("new timeline N forked off current database system timeline N-1
    # before current recovery point", seen after a kill under load). Check it streams.
    if streams_from "$other" 30; then
      log "rejoined as a standby of $other"
      return 0
    fi
    log "node rejoin finished, but this node does not stream $other's timeline after 30 s (see postgresql.log): cloning afresh from $other"
  else
    log "node rejoin did not get this node streaming from $other (see repmgrd.log): cloning afresh from $other"
  fi
  clone_from "$other"
}

# Does this standby stream from $1 on $1's current timeline, within $2 seconds?
streams_from() {
  local other=$1 deadline=$((SECONDS + $2)) want got
  want=$(as_postgres "$PGBIN/psql" -X -qAt -h "$other" -U repmgr -d repmgr -c \
    "SELECT ('x' || substr(pg_walfile_name(pg_current_wal_lsn()), 1, 8))::bit(32)::int" 2>/dev/null || true)
  [ -n "$want" ] || return 1
  while [ $SECONDS -lt $deadline ]; do
    got=$(as_postgres "$PGBIN/psql" -X -qAt -d postgres -c "SELECT received_tli FROM pg_stat_wal_receiver WHERE status = 'streaming'" 2>/dev/null || true)
    [ "$got" = "$want" ] && return 0
    sleep 0.5
  done
  return 1
}

# A fresh copy of $1's data directory, registered as its standby.
clone_from() {
  local other=$1
  as_postgres "$PGBIN/pg_ctl" -D "$PGDATA" -m immediate -w stop >/dev/null 2>&1 || true
  find "$PGDATA" -mindepth 1 -delete
  as_postgres "$PGBIN/repmgr" -f /etc/repmgr.conf -h "$other" -U repmgr -d repmgr standby clone --fast-checkpoint --force >/dev/null
  after_clone
  start_postgres
  # Its output stays in the node's log: when it fails, that is the reason a retry follows.
  as_postgres "$PGBIN/repmgr" -f /etc/repmgr.conf standby register --force --wait-start=30
  log "cloned and registered as a standby of $other"
}
