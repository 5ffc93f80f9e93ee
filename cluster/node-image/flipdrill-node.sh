#!/bin/bash
# flipdrill-node: the entrypoint of the one node image, in three roles.
#   primary  initdb, create the repmgr, superuser and app roles, register as primary
#   standby  wait for the registered primary, `repmgr standby clone --fast-checkpoint`, register
#   witness  initdb, wait for the registered primary, `repmgr witness register`
# then every role runs repmgrd. A node whose data directory already exists (a restarted container)
# starts as it was, except an old primary that finds another node primary now: it rejoins as that
# node's standby with `repmgr node rejoin --force-rewind` (pg_rewind) instead of coming back as a
# second primary. Until it reports being a standby, the floating endpoint keeps it fenced.
# Synchronous replication is managed by flipdrill-sync-guard on the primary.
#
# Passwords come from the environment at container creation, never from the image.
set -euo pipefail

: "${NODE_NAME:?NODE_NAME is required}"
: "${NODE_ID:?NODE_ID is required}"
: "${NODE_ROLE:?NODE_ROLE is required (primary, standby or witness)}"
: "${PRIMARY_HOST:?PRIMARY_HOST is required}"
: "${POSTGRES_PASSWORD:?POSTGRES_PASSWORD is required}"
: "${REPMGR_PASSWORD:?REPMGR_PASSWORD is required}"
: "${APP_DB_USER:=flipdrill_app}"
: "${APP_DB_NAME:=flipdrill}"
# More databases the app owns (comma-separated), each created empty; the app migrates them.
: "${APP_EXTRA_DB_NAMES:=}"
: "${APP_DB_PASSWORD:?APP_DB_PASSWORD is required}"
: "${NODE_PRIORITY:=100}"
: "${MONITOR_INTERVAL_SECS:=1}"
: "${RECONNECT_ATTEMPTS:=2}"
: "${RECONNECT_INTERVAL:=1}"
: "${FLIPDRILL_SYNC_REPLICATION:=on}"
: "${PRIMARY_WAIT_SECS:=120}"
: "${PEER_NODES:=}"
export PGDATA="${PGDATA:-/var/lib/postgresql/data}"

PGBIN=/usr/lib/postgresql/15/bin
CONF_SRC=/usr/share/flipdrill/conf
LOG_DIR=/var/log/flipdrill
PG_HOME=/var/lib/postgresql

log() { echo "$(date -u +%Y-%m-%dT%H:%M:%S.%3NZ) flipdrill-node[$NODE_NAME] $*"; }
die() { log "FATAL: $*"; exit 1; }

as_postgres() { env HOME="$PG_HOME" setpriv --reuid=postgres --regid=postgres --init-groups -- "$@"; }

# Replace every {{KEY}} with the value of the environment variable KEY.
render() {
  local src=$1 dst=$2 content key
  content=$(<"$src")
  for key in NODE_NAME NODE_ID NODE_PRIORITY PGDATA MONITOR_INTERVAL_SECS RECONNECT_ATTEMPTS RECONNECT_INTERVAL; do
    content=${content//"{{$key}}"/${!key}}
  done
  printf '%s\n' "$content" >"$dst"
}

sql_literal() { printf "'%s'" "${1//\'/\'\'}"; }

psql_local() { as_postgres "$PGBIN/psql" -X -v ON_ERROR_STOP=1 -qAt -d postgres "$@"; }
psql_primary() { as_postgres "$PGBIN/psql" -X -v ON_ERROR_STOP=1 -qAt -h "$PRIMARY_HOST" -U repmgr -d repmgr "$@"; }

start_postgres() {
  if ! as_postgres "$PGBIN/pg_ctl" -D "$PGDATA" -l "$LOG_DIR/postgresql.log" -w -t 60 start >/dev/null; then
    # Say why, in the container's own output: a failed start is removed with its files.
    tail -n 20 "$LOG_DIR/postgresql.log"
    die "postgres did not start: $(grep -E 'FATAL|PANIC' "$LOG_DIR/postgresql.log" | tail -n 1)"
  fi
  log "postgres started"
}

stop_all() {
  log "stopping (signal received)"
  if [ -f /run/postgresql/repmgrd.pid ]; then kill "$(cat /run/postgresql/repmgrd.pid)" 2>/dev/null || true; fi
  as_postgres "$PGBIN/pg_ctl" -D "$PGDATA" -m fast -w -t 30 stop >/dev/null 2>&1 || true
  kill "${TAIL_PID:-}" 2>/dev/null || true
  exit 0
}

initdb_local() {
  local pwfile
  pwfile=$(mktemp)
  printf '%s\n' "$POSTGRES_PASSWORD" >"$pwfile"
  chown postgres:postgres "$pwfile"
  as_postgres "$PGBIN/initdb" -D "$PGDATA" --username=postgres --pwfile="$pwfile" \
    --auth-local=peer --auth-host=scram-sha-256 --encoding=UTF8 --locale=C.UTF-8 >/dev/null
  rm -f "$pwfile"
  finish_config
}

# postgresql.conf includes the node's own settings; pg_hba.conf is the same on every node.
finish_config() {
  grep -q "include_if_exists = '/etc/flipdrill/postgresql.flipdrill.conf'" "$PGDATA/postgresql.conf" ||
    echo "include_if_exists = '/etc/flipdrill/postgresql.flipdrill.conf'" >>"$PGDATA/postgresql.conf"
  install -o postgres -g postgres -m 0600 "$CONF_SRC/pg_hba.conf" "$PGDATA/pg_hba.conf"
  if [ -n "${FLIPDRILL_TLS_CERT:-}" ]; then
    # Like RDS with rds.force_ssl: the app's user is refused on a connection without TLS.
    sed -i "/^host    all/i hostnossl all             $APP_DB_USER   all             reject" "$PGDATA/pg_hba.conf"
  fi
}

# TLS with the certificate flipdrill issued this node from the cluster's own CA (FLIPDRILL_TLS_CERT
# and FLIPDRILL_TLS_KEY); the app verifies it against that CA. Without them the node serves no TLS.
setup_tls() {
  [ -n "${FLIPDRILL_TLS_CERT:-}" ] && [ -n "${FLIPDRILL_TLS_KEY:-}" ] || return 0
  install -d -o postgres -g postgres -m 0700 /etc/flipdrill/tls
  printf '%s\n' "$FLIPDRILL_TLS_CERT" >/etc/flipdrill/tls/server.crt
  printf '%s\n' "$FLIPDRILL_TLS_KEY" >/etc/flipdrill/tls/server.key
  chown postgres:postgres /etc/flipdrill/tls/server.* && chmod 0600 /etc/flipdrill/tls/server.key
  cat >>/etc/flipdrill/postgresql.flipdrill.conf <<'CONF'

# TLS (flipdrill's per-cluster CA); see setup_tls in flipdrill-node.
ssl = on
ssl_cert_file = '/etc/flipdrill/tls/server.crt'
ssl_key_file = '/etc/flipdrill/tls/server.key'
ssl_min_protocol_version = 'TLSv1.2'
CONF
  log "TLS on (the app's user must use it)"
}

create_repmgr_role() {
  psql_local <<SQL
CREATE ROLE repmgr WITH LOGIN SUPERUSER REPLICATION PASSWORD $(sql_literal "$REPMGR_PASSWORD");
CREATE DATABASE repmgr OWNER repmgr;
ALTER ROLE repmgr SET search_path TO repmgr, public;
SQL
}

create_app_role() {
  psql_local <<SQL
CREATE ROLE $APP_DB_USER WITH LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE PASSWORD $(sql_literal "$APP_DB_PASSWORD");
CREATE DATABASE $APP_DB_NAME OWNER $APP_DB_USER;
SQL
  local extra
  for extra in ${APP_EXTRA_DB_NAMES//,/ }; do
    psql_local -c "CREATE DATABASE $extra OWNER $APP_DB_USER"
  done
}

wait_for_registered_primary() {
  local deadline=$((SECONDS + PRIMARY_WAIT_SECS))
  until [ "$(psql_primary -c "SELECT count(*) FROM repmgr.nodes WHERE type = 'primary' AND active" 2>/dev/null)" = "1" ]; do
    [ $SECONDS -lt $deadline ] || die "no registered primary at $PRIMARY_HOST after ${PRIMARY_WAIT_SECS}s"
    sleep 0.5
  done
  log "primary $PRIMARY_HOST is registered"
}

# Did this data directory belong to a primary when it stopped (cleanly or not)?
was_primary() {
  local state
  state=$(LC_ALL=C "$PGBIN/pg_controldata" "$PGDATA" | sed -n 's/^Database cluster state: *//p')
  [ "$state" = "in production" ] || [ "$state" = "shut down" ]
}

# The peer that is primary now, if any (PEER_NODES: the other data nodes). A peer that answers as
# primary but is not yet registered as one is still being promoted (repmgr updates its metadata
# a moment after pg_promote()): wait for it, or `node rejoin` would take this node for the primary.
other_primary() {
  local peer state deadline=$((SECONDS + 30))
  while :; do
    local promoting=""
    for peer in ${PEER_NODES//,/ }; do
      state=$(as_postgres "$PGBIN/psql" -X -qAt -h "$peer" -U repmgr -d repmgr -c \
        "SELECT CASE WHEN pg_is_in_recovery() THEN 'standby'
                     WHEN EXISTS (SELECT 1 FROM repmgr.nodes WHERE node_name = '$peer' AND type = 'primary' AND active) THEN 'primary'
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
  local type=$1 deadline=$((SECONDS + 30))
  until [ "$(as_postgres "$PGBIN/psql" -X -qAt -d repmgr -c "SELECT type FROM repmgr.nodes WHERE node_id = $NODE_ID" 2>/dev/null)" = "$type" ]; do
    [ $SECONDS -lt $deadline ] || die "this node's repmgr record does not say $type after 30 s"
    sleep 0.2
  done
}

# Rejoin an old primary as a standby of the node that replaced it: pg_rewind first, a fresh clone
# if that does not get it streaming. Why the fallback: after a SIGKILL with synchronous
# replication the standby has every WAL record, so pg_rewind finds nothing to rewind ("0 files
# copied"), yet the end-of-recovery checkpoint it writes lies past the fork point, and the node
# can never follow the new timeline ("new timeline 2 forked off current database system timeline 1
# before current recovery point"). Measured on PG 15 with repmgr 5.3.3.
rejoin() {
  local other=$1
  log "this node was a primary, but $other is primary now: rejoining as its standby (repmgr node rejoin --force-rewind)"
  if as_postgres "$PGBIN/repmgr" -f /etc/repmgr.conf node rejoin \
    -d "host=$other port=5432 user=repmgr dbname=repmgr connect_timeout=2" --force-rewind --log-to-file; then
    log "rejoined as a standby of $other"
    return 0
  fi
  log "node rejoin did not get this node streaming from $other (see repmgrd.log): cloning afresh from $other"
  as_postgres "$PGBIN/pg_ctl" -D "$PGDATA" -m immediate -w stop >/dev/null 2>&1 || true
  find "$PGDATA" -mindepth 1 -delete
  as_postgres "$PGBIN/repmgr" -f /etc/repmgr.conf -h "$other" -U repmgr -d repmgr standby clone --fast-checkpoint --force >/dev/null
  finish_config
  start_postgres
  as_postgres "$PGBIN/repmgr" -f /etc/repmgr.conf standby register --force --wait-start=30 >/dev/null
  log "cloned and registered as a standby of $other"
}

# SSH between the nodes, as postgres, for `repmgr standby switchover`. The cluster's key pair comes
# from the environment (flipdrill makes one per cluster); without it the node runs no sshd and a
# switchover is refused by repmgr's own SSH check. Host keys are made per container: peers do not
# pin them (StrictHostKeyChecking=no in repmgr.conf's ssh_options): the nodes live on a network
# the project created, and a recreated node would otherwise be refused.
start_sshd() {
  if [ -z "${FLIPDRILL_SSH_PRIVATE_KEY:-}" ] || [ -z "${FLIPDRILL_SSH_PUBLIC_KEY:-}" ]; then
    log "no FLIPDRILL_SSH_PRIVATE_KEY/FLIPDRILL_SSH_PUBLIC_KEY: no sshd, so no repmgr standby switchover from or to this node"
    return 0
  fi
  install -d -o postgres -g postgres -m 0700 "$PG_HOME/.ssh"
  printf '%s\n' "$FLIPDRILL_SSH_PRIVATE_KEY" >"$PG_HOME/.ssh/id_ecdsa"
  printf '%s\n' "$FLIPDRILL_SSH_PUBLIC_KEY" >"$PG_HOME/.ssh/id_ecdsa.pub"
  printf '%s\n' "$FLIPDRILL_SSH_PUBLIC_KEY" >"$PG_HOME/.ssh/authorized_keys"
  chown postgres:postgres "$PG_HOME/.ssh"/* && chmod 0600 "$PG_HOME/.ssh"/*
  install -d -m 0755 /run/sshd
  ssh-keygen -A >/dev/null
  # Debian creates postgres with a locked password ('!'), and sshd without PAM refuses locked
  # accounts even for key logins. '*' still allows no password, but does not lock.
  usermod -p '*' postgres
  # Keys only, postgres only, no PAM (a minimal image has no PAM configuration for sshd).
  # It listens on the replication network's address only (FLIPDRILL_SSH_LISTEN; the node's name
  # resolves to whichever network Docker wrote first into /etc/hosts).
  local address=${FLIPDRILL_SSH_LISTEN:-}
  if /usr/sbin/sshd -E "$LOG_DIR/sshd.log" -o UsePAM=no -o PasswordAuthentication=no \
    -o KbdInteractiveAuthentication=no -o PermitRootLogin=no -o AllowUsers=postgres \
    ${address:+-o "ListenAddress=$address"}; then
    log "sshd started on ${address:-every address} (switchover access for the cluster's key)"
  else
    # Not fatal: failover does not need SSH, only a switchover does, and it says so when it fails.
    log "sshd did not start (see $LOG_DIR/sshd.log): no switchover from or to this node"
  fi
}

# Start repmgrd and make sure it stays up: a node without it is never promoted, and nothing else
# would notice. /run survives a container restart, so a stale PID file from the previous run can
# name a live process of this one (PIDs are small in a container) and repmgrd would refuse to start.
run_repmgrd() {
  rm -f /run/postgresql/repmgrd.pid
  as_postgres "$PGBIN/repmgrd" -f /etc/repmgr.conf --daemonize=false >>"$LOG_DIR/repmgrd.log" 2>&1 &
  # $! is the background job (a subshell around setpriv), not repmgrd itself: it tells whether the
  # start failed; the PID file (the stale one is gone) tells when repmgrd is running.
  local job=$! pid deadline=$((SECONDS + 15))
  while :; do
    pid=$(cat /run/postgresql/repmgrd.pid 2>/dev/null || true)
    if [ -n "$pid" ] && grep -qa repmgrd "/proc/$pid/cmdline" 2>/dev/null; then break; fi
    kill -0 "$job" 2>/dev/null || die "repmgrd exited at start (see $LOG_DIR/repmgrd.log)"
    [ $SECONDS -lt $deadline ] || die "repmgrd did not write its PID file within 15 s"
    sleep 0.2
  done
  log "repmgrd started (pid $pid)"
}

# --- preparation common to every role -------------------------------------------------------
install -d -o postgres -g postgres -m 2775 /run/postgresql
install -d -o postgres -g postgres -m 0755 "$LOG_DIR" /etc/flipdrill /run/flipdrill
touch "$LOG_DIR/postgresql.log" "$LOG_DIR/repmgrd.log" && chown postgres:postgres "$LOG_DIR"/*.log
rm -f /run/flipdrill/ready
render "$CONF_SRC/postgresql.flipdrill.conf" /etc/flipdrill/postgresql.flipdrill.conf
render "$CONF_SRC/repmgr.conf" /etc/repmgr.conf
setup_tls
chown postgres:postgres /etc/repmgr.conf /etc/flipdrill/postgresql.flipdrill.conf
# repmgr connects to its peers over TCP as the repmgr role; scram needs the password from .pgpass.
printf '*:*:*:repmgr:%s\n' "${REPMGR_PASSWORD//:/\\:}" >"$PG_HOME/.pgpass"
chown postgres:postgres "$PG_HOME/.pgpass" && chmod 0600 "$PG_HOME/.pgpass"

start_sshd

tail -n 0 -F "$LOG_DIR/postgresql.log" "$LOG_DIR/repmgrd.log" 2>/dev/null &
TAIL_PID=$!
trap stop_all TERM INT

if [ -s "$PGDATA/PG_VERSION" ]; then
  finish_config
  other=""
  if [ "$NODE_ROLE" != "witness" ] && was_primary; then other=$(other_primary || true); fi
  if [ -n "$other" ]; then
    rejoin "$other"
  else
    log "data directory exists: starting as before"
    start_postgres
  fi
else
  case "$NODE_ROLE" in
  primary)
    initdb_local
    start_postgres
    create_repmgr_role
    create_app_role
    as_postgres "$PGBIN/repmgr" -f /etc/repmgr.conf primary register >/dev/null
    log "registered as primary"
    ;;
  standby)
    wait_for_registered_primary
    as_postgres "$PGBIN/repmgr" -f /etc/repmgr.conf -h "$PRIMARY_HOST" -U repmgr -d repmgr \
      standby clone --fast-checkpoint >/dev/null
    finish_config
    start_postgres
    as_postgres "$PGBIN/repmgr" -f /etc/repmgr.conf standby register --wait-start=30 >/dev/null
    log "registered as standby of $PRIMARY_HOST"
    ;;
  witness)
    initdb_local
    start_postgres
    create_repmgr_role
    wait_for_registered_primary
    as_postgres "$PGBIN/repmgr" -f /etc/repmgr.conf -h "$PRIMARY_HOST" -U repmgr -d repmgr witness register >/dev/null
    log "registered as witness"
    ;;
  *)
    die "NODE_ROLE must be primary, standby or witness, not '$NODE_ROLE'"
    ;;
  esac
fi

if [ "$NODE_ROLE" != "witness" ]; then
  if [ "$(as_postgres "$PGBIN/psql" -X -qAt -d postgres -c 'SELECT pg_is_in_recovery()')" = "t" ]; then wait_for_local_record standby; else wait_for_local_record primary; fi
fi
run_repmgrd
# The virtual IP is the primary's alone: taken here by a node that starts as primary, given up by
# any other (an old primary that rejoined).
if [ -n "${FLIPDRILL_VIP:-}" ] && [ "$NODE_ROLE" != "witness" ]; then
  if [ "$(as_postgres "$PGBIN/psql" -X -qAt -d postgres -c 'SELECT pg_is_in_recovery()')" = "f" ]; then
    /usr/local/bin/flipdrill-vip up || log "could not take the virtual IP"
  else
    /usr/local/bin/flipdrill-vip down || true
  fi
fi
touch /run/flipdrill/ready
log "ready"
# Stay PID 1: wait on a sleep so the TERM trap runs promptly (bash defers traps during a foreground child).
while true; do
  sleep 3600 &
  wait $! || true
done
