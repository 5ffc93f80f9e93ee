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
# Passwords and keys come at container creation, never from the image: each as a variable, or as
# a file that <NAME>_FILE names (flipdrill writes them root-only into /run/flipdrill-secrets before
# the container starts, so `docker inspect` shows no secret; compose may mount Docker secrets).
set -euo pipefail

for secret in POSTGRES_PASSWORD REPMGR_PASSWORD APP_DB_PASSWORD FLIPDRILL_SSH_PRIVATE_KEY FLIPDRILL_TLS_KEY DIGITALOCEAN_TOKEN; do
  secret_file="${secret}_FILE"
  [ -n "${!secret_file:-}" ] || continue
  if [ -n "${!secret:-}" ]; then echo "flipdrill-node: both $secret and $secret_file are set; use one" >&2; exit 2; fi
  if [ ! -f "${!secret_file}" ] || [ ! -r "${!secret_file}" ]; then echo "flipdrill-node: $secret_file ${!secret_file} is not a readable file" >&2; exit 2; fi
  # Not exported: only this script needs them (it writes what the hooks read into their own files).
  printf -v "$secret" '%s' "$(<"${!secret_file}")"
done
unset secret secret_file

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
: "${RECONNECT_INTERVAL:=0}"
: "${FLIPDRILL_SYNC_REPLICATION:=on}"
: "${PRIMARY_WAIT_SECS:=120}"
: "${PEER_NODES:=}"
# The cluster's two networks: who may connect at all (pg_hba.conf).
: "${BACK_CIDR:?BACK_CIDR is required (the replication network, e.g. 10.213.1.0/24)}"
: "${FRONT_CIDR:?FRONT_CIDR is required (the application network, e.g. 10.213.2.0/24)}"
export PGDATA="${PGDATA:-/var/lib/postgresql/data}"
# shellcheck source=flipdrill-lib.sh
. /usr/local/lib/flipdrill/flipdrill-lib.sh
FLIPDRILL_LOG_TAG=flipdrill-node
CONF_SRC=/usr/share/flipdrill/conf

# What the configuration files' placeholders take in a container (Ansible sets them on machines).
: "${NODE_HOST:=$NODE_NAME}"
: "${PG_START_COMMAND:=$PGBIN/pg_ctl -D $PGDATA -l $LOG_DIR/postgresql.log -w start}"
# A stopped PostgreSQL is no primary: it gives up the virtual IP at once (a switchover stops the
# old primary this way; without this it would hold the address beside the new one until it rejoins).
: "${PG_STOP_COMMAND:=$PGBIN/pg_ctl -D $PGDATA -m fast -w stop && sudo -n /usr/local/bin/flipdrill-vip down}"
: "${PG_RESTART_COMMAND:=$PGBIN/pg_ctl -D $PGDATA -l $LOG_DIR/postgresql.log -m fast -w restart}"
: "${PG_RELOAD_COMMAND:=$PGBIN/pg_ctl -D $PGDATA reload}"

# Replace every {{ flipdrill_key }} with the environment variable KEY; a placeholder left over is
# one this renderer does not know (the file and Ansible changed without it): refuse to start.
render() {
  local src=$1 dst=$2 content key placeholder
  content=$(<"$src")
  for key in NODE_NAME NODE_ID NODE_HOST NODE_PRIORITY PGDATA MONITOR_INTERVAL_SECS RECONNECT_ATTEMPTS RECONNECT_INTERVAL \
    PG_START_COMMAND PG_STOP_COMMAND PG_RESTART_COMMAND PG_RELOAD_COMMAND BACK_CIDR FRONT_CIDR; do
    placeholder="{{ flipdrill_${key,,} }}"
    # Quoted: an unquoted replacement turns each & into the placeholder (bash 5.2's patsub_replacement).
    content=${content//"$placeholder"/"${!key}"}
  done
  if [[ $content =~ \{\{[^}]*\}\} ]]; then die "$src has a placeholder flipdrill-node does not fill: ${BASH_REMATCH[0]}"; fi
  printf '%s\n' "$content" >"$dst"
}

# The settings the hooks read (see flipdrill-lib.sh): what this container was started with.
write_settings() {
  local key
  install -m 0640 -o root -g postgres /dev/null "$FLIPDRILL_SETTINGS"
  for key in NODE_NAME NODE_ID NODE_ROLE PEER_NODES FLIPDRILL_SYNC_REPLICATION FLIPDRILL_VIP FLIPDRILL_VIP_SUBNET \
    FLIPDRILL_FLOATING_IP FLIPDRILL_DO_API_URL FLIPDRILL_METADATA_URL; do
    [ -n "${!key:-}" ] && printf '%s=%q\n' "$key" "${!key}" >>"$FLIPDRILL_SETTINGS"
  done
  # The DigitalOcean token: root's alone (postgres, and so any database superuser through COPY ...
  # TO PROGRAM, cannot read it), and only where the promote hook moves the IP: not on the witness.
  rm -f "$FLIPDRILL_DO_TOKEN_FILE"
  if [ -n "${DIGITALOCEAN_TOKEN:-}" ] && [ "$NODE_ROLE" != witness ]; then
    install -m 0600 -o root -g root /dev/null "$FLIPDRILL_DO_TOKEN_FILE"
    printf '%s\n' "$DIGITALOCEAN_TOKEN" >"$FLIPDRILL_DO_TOKEN_FILE"
  fi
  return 0
}

sql_literal() { printf "'%s'" "${1//\'/\'\'}"; }

psql_local() { as_postgres "$PGBIN/psql" -X -v ON_ERROR_STOP=1 -qAt -d postgres "$@"; }
psql_primary() { as_postgres "$PGBIN/psql" -X -v ON_ERROR_STOP=1 -qAt -h "$PRIMARY_HOST" -U repmgr -d repmgr "$@"; }

start_postgres() {
  if as_postgres "$PGBIN/pg_ctl" -D "$PGDATA" status >/dev/null 2>&1; then log "postgres is running already"; return 0; fi
  local before
  before=$(wc -l <"$LOG_DIR/postgresql.log" 2>/dev/null || echo 0)
  if ! as_postgres "$PGBIN/pg_ctl" -D "$PGDATA" -l "$LOG_DIR/postgresql.log" -w -t 60 start >/dev/null; then
    # Say why, in the container's own output (a failed start is removed with its files): from
    # this start's lines only.
    tail -n +"$((before + 1))" "$LOG_DIR/postgresql.log" | tail -n 20
    die "postgres did not start: $(tail -n +"$((before + 1))" "$LOG_DIR/postgresql.log" | grep -E 'FATAL|PANIC' | tail -n 1)"
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
  local pwfile rc=0
  pwfile=$(mktemp)
  chown postgres:postgres "$pwfile" && chmod 0600 "$pwfile"
  printf '%s\n' "$POSTGRES_PASSWORD" >"$pwfile"
  as_postgres "$PGBIN/initdb" -D "$PGDATA" --username=postgres --pwfile="$pwfile" \
    --auth-local=peer --auth-host=scram-sha-256 --encoding=UTF8 --locale=C.UTF-8 >/dev/null || rc=$?
  # Gone whether initdb worked or not.
  rm -f "$pwfile"
  [ "$rc" = 0 ] || die "initdb failed (exit $rc)"
  finish_config
}

# postgresql.conf includes the node's own settings; pg_hba.conf is the same on every node.
after_clone() { finish_config; }
finish_config() {
  # As postgres: the data directory is postgres's, and root must not follow a link planted there.
  grep -q "include_if_exists = '/etc/flipdrill/postgresql.flipdrill.conf'" "$PGDATA/postgresql.conf" ||
    as_postgres sh -c 'echo "include_if_exists = '"'"'/etc/flipdrill/postgresql.flipdrill.conf'"'"'" >>"$1"' _ "$PGDATA/postgresql.conf"
  render "$CONF_SRC/pg_hba.conf" /run/flipdrill/pg_hba.conf
  install -o postgres -g postgres -m 0600 /run/flipdrill/pg_hba.conf "$PGDATA/pg_hba.conf"
  rm -f /run/flipdrill/pg_hba.conf
  if [ -n "${FLIPDRILL_TLS_CERT:-}" ]; then
    # Like RDS with rds.force_ssl: the app's user is refused on a connection without TLS.
    sed -i "0,/^host    all/s//hostnossl all             $APP_DB_USER   all             reject\n&/" "$PGDATA/pg_hba.conf"
  fi
}

# TLS with the certificate flipdrill issued this node from the cluster's own CA (FLIPDRILL_TLS_CERT
# and FLIPDRILL_TLS_KEY); the app verifies it against that CA. Without them the node serves no TLS.
setup_tls() {
  [ -n "${FLIPDRILL_TLS_CERT:-}" ] && [ -n "${FLIPDRILL_TLS_KEY:-}" ] || return 0
  # A root-owned folder (postgres may read, not add or replace), and only the two files handed to postgres.
  install -d -o root -g postgres -m 0750 /etc/flipdrill/tls
  rm -f /etc/flipdrill/tls/server.crt /etc/flipdrill/tls/server.key
  install -o postgres -g postgres -m 0644 /dev/null /etc/flipdrill/tls/server.crt
  install -o postgres -g postgres -m 0600 /dev/null /etc/flipdrill/tls/server.key
  printf '%s\n' "$FLIPDRILL_TLS_CERT" >/etc/flipdrill/tls/server.crt
  printf '%s\n' "$FLIPDRILL_TLS_KEY" >/etc/flipdrill/tls/server.key
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

# repmgr registers a standby only once it is attached to the primary in state "streaming"; with
# several standbys cloning at once, one may still be in "catchup" when it asks ("local node not
# attached to primary node 1", seen with 2 standbys). Ask again until it streams, for 60 s.
register_standby() {
  local deadline=$((SECONDS + 60)) output
  until output=$(as_postgres "$PGBIN/repmgr" -f /etc/repmgr.conf standby register --wait-start=30 2>&1); do
    [ $SECONDS -lt $deadline ] || { printf '%s\n' "$output" | tail -n 3; die "repmgr standby register failed for 60 s"; }
    log "not registered yet ($(printf '%s' "$output" | grep -m1 -E 'ERROR' || echo 'repmgr failed')): asking again"
    sleep 1
  done
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
  # Written as postgres, in postgres's home: root never follows a link planted there.
  as_postgres install -d -m 0700 "$PG_HOME/.ssh"
  printf '%s\n' "$FLIPDRILL_SSH_PRIVATE_KEY" | as_postgres sh -c 'umask 077 && cat >"$1"' _ "$PG_HOME/.ssh/id_ecdsa"
  printf '%s\n' "$FLIPDRILL_SSH_PUBLIC_KEY" | as_postgres sh -c 'umask 077 && cat >"$1"' _ "$PG_HOME/.ssh/id_ecdsa.pub"
  printf '%s\n' "$FLIPDRILL_SSH_PUBLIC_KEY" | as_postgres sh -c 'umask 077 && cat >"$1"' _ "$PG_HOME/.ssh/authorized_keys"
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
# A data directory on a file system of its own (the disk-full fault's, root's at its top): postgres
# gets the directory itself, empty, as initdb and a clone want it.
[ -d "$PGDATA" ] || install -d -o postgres -g postgres -m 0700 "$PGDATA"
# Root owns the folders that root-run scripts read from (the settings) and write to (the logs);
# postgres gets its two log files and nothing else there, so it cannot replace what root reads.
install -d -o root -g root -m 0755 "$LOG_DIR" /etc/flipdrill /run/flipdrill
for f in postgresql.log repmgrd.log; do
  [ -L "$LOG_DIR/$f" ] && rm -f "$LOG_DIR/$f"
  touch "$LOG_DIR/$f" && chown -h postgres:postgres "$LOG_DIR/$f"
done
rm -f /run/flipdrill/ready
render "$CONF_SRC/postgresql.flipdrill.conf" /etc/flipdrill/postgresql.flipdrill.conf
render "$CONF_SRC/repmgr.conf" /etc/repmgr.conf
write_settings
setup_tls
# Read by postgres, owned by root.
chown root:postgres /etc/repmgr.conf /etc/flipdrill/postgresql.flipdrill.conf
chmod 0640 /etc/repmgr.conf /etc/flipdrill/postgresql.flipdrill.conf
# repmgr connects to its peers over TCP as the repmgr role; scram needs the password from .pgpass
# (backslashes and colons escaped, as libpq reads it), written as postgres in its own home.
pgpass_password=${REPMGR_PASSWORD//\\/\\\\}
printf '*:*:*:repmgr:%s\n' "${pgpass_password//:/\\:}" | as_postgres sh -c 'umask 077 && cat >"$1"' _ "$PG_HOME/.pgpass"

start_sshd

tail -n 0 -F "$LOG_DIR/postgresql.log" "$LOG_DIR/repmgrd.log" 2>/dev/null &
TAIL_PID=$!
trap stop_all TERM INT

# A node that starts again (its data directory exists: after a kill, a stop, a failover) must end
# up running, rejoined or as it was, or stay up saying why: it never just exits, so its logs stay
# and a later try can succeed (a machine under load can time out one rejoin).
restart_node() {
  local other=""
  # A clone that did not finish (a try before this one) leaves no PG_VERSION: clone again.
  if [ ! -s "$PGDATA/PG_VERSION" ]; then
    other=$(other_primary || true)
    [ -n "$other" ] || die "the data directory is incomplete (a clone that did not finish), and no other node is primary to clone from"
    log "the data directory is incomplete (a clone that did not finish): cloning afresh from $other"
    clone_from "$other"
    settle_local_record
    return 0
  fi
  finish_config
  if [ "$NODE_ROLE" != "witness" ] && was_primary; then other=$(other_primary || true); fi
  if [ -n "$other" ]; then
    rejoin "$other"
  else
    log "data directory exists: starting as before"
    start_postgres
    # A try after a failed one: a standby that does not follow the primary it has (a rejoin that
    # could never stream) is cloned afresh from it.
    if [ "${attempt:-1}" -gt 1 ] && [ "$NODE_ROLE" != "witness" ] &&
      [ "$(as_postgres "$PGBIN/psql" -X -qAt -d postgres -c 'SELECT pg_is_in_recovery()')" = "t" ]; then
      other=$(other_primary || true)
      if [ -n "$other" ] && ! streams_from "$other" 15; then
        log "this standby does not stream $other's timeline: cloning afresh from $other"
        clone_from "$other"
      fi
    fi
  fi
  settle_local_record
}

# repmgrd needs its own record to say what the node is (see wait_for_local_record).
settle_local_record() {
  [ "$NODE_ROLE" != "witness" ] || return 0
  if [ "$(as_postgres "$PGBIN/psql" -X -qAt -d postgres -c 'SELECT pg_is_in_recovery()')" = "t" ]; then wait_for_local_record standby; else wait_for_local_record primary; fi
}

if [ -s "$PGDATA/PG_VERSION" ]; then
  attempt=1
  while :; do
    set +e
    ( set -e; restart_node )
    rc=$?
    set -e
    [ "$rc" = 0 ] && break
    log "starting again did not work (attempt $attempt, exit $rc; the reason is above): trying again in 5 s"
    attempt=$((attempt + 1))
    sleep 5
  done
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
    register_standby
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
  settle_local_record
fi
run_repmgrd
# A data node's repmgrd can wait forever on a primary that froze mid-query: see flipdrill-repmgrd-watch.
if [ "$NODE_ROLE" != "witness" ]; then
  /usr/local/bin/flipdrill-repmgrd-watch &
fi
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
