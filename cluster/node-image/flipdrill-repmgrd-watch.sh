#!/bin/bash
# flipdrill-repmgrd-watch: un-sticks repmgrd when it waits forever on a frozen upstream.
#
# Every monitor interval repmgrd on a standby pings its upstream with a new connection, then asks
# it pg_is_in_recovery() over the connection it keeps open. A primary whose processes freeze
# between the two (docker pause, SIGSTOP, a stuck storage stack) never answers that query, and its
# kernel still acknowledges every packet, so neither tcp_user_timeout nor keepalives end the
# connection, and libpq has no limit of its own on a query: repmgrd waits until the primary thaws,
# and neither logs nor fails over meanwhile. Restarting repmgrd does not help (it refuses to start
# while its upstream does not answer).
#
# So, once a second on a standby: when the upstream has answered no new connection for
# WATCH_SECS and repmgrd has written nothing to its log for as long, the connections from this
# node to the upstream's PostgreSQL are closed (ss -K). The query repmgrd waits on returns an
# error, and repmgrd goes on as it does when it finds its upstream gone: it checks again, then
# fails over. Closing them when repmgrd is not stuck does no harm: it, and the WAL receiver, only
# had a connection to a server that does not answer. Each stall is acted on once.
#
# The watch's own looks are bounded by `timeout`: its probe can be caught by the same freeze
# (connected, its query sent, the server frozen before it answers; or, in the mid-query drill, its
# backend frozen with repmgrd's, which it matches), and libpq would then wait on it as long as
# repmgrd does. Unbounded, one mid-query freeze in ten of a bench run was never failed over, the
# watch silent throughout.
#
# Runs as root (ss -K needs CAP_NET_ADMIN), started by flipdrill-node after repmgrd.
set -uo pipefail
FLIPDRILL_LOG_TAG=flipdrill-repmgrd-watch
# shellcheck source=flipdrill-lib.sh
. /usr/local/lib/flipdrill/flipdrill-lib.sh
# Run as root: the settings are parsed out of the file, never sourced.
parse_settings

WATCH_SECS=${FLIPDRILL_REPMGRD_WATCH_SECS:-3}
REPMGRD_LOG="$LOG_DIR/repmgrd.log"
# At most PROBE_SECS for any look, whatever the server does; then killed.
PROBE_SECS=3
bounded() { as_postgres timeout --kill-after=1 "$PROBE_SECS" "$@"; }
local_sql() { bounded "$PGBIN/psql" -X -qAt -d repmgr -c "$1" 2>/dev/null; }

stalled_since=''
log_size=''
log_moved=$SECONDS
acted=''
while sleep 1; do
  # repmgrd's log: when it last grew (by this loop's own clock, not the file's mtime: a node's
  # clock may be set off by the clock-skew fault).
  size=$(stat -c %s "$REPMGRD_LOG" 2>/dev/null || echo 0)
  if [ "$size" != "$log_size" ]; then
    log_size=$size
    log_moved=$SECONDS
  fi
  pgrep -x repmgrd >/dev/null || { stalled_since=''; acted=''; continue; }
  [ "$(local_sql 'SELECT pg_is_in_recovery()')" = t ] || { stalled_since=''; acted=''; continue; }
  upstream=$(local_sql "SELECT u.node_name FROM repmgr.nodes n JOIN repmgr.nodes u ON u.node_id = n.upstream_node_id WHERE n.node_id = ${NODE_ID:-0}")
  [ -n "$upstream" ] || continue
  if bounded "$PGBIN/psql" -X -qAt "host=$upstream port=5432 user=repmgr dbname=repmgr connect_timeout=2 tcp_user_timeout=1000" -c 'SELECT 1' >/dev/null 2>&1; then
    stalled_since=''
    acted=''
    continue
  fi
  : "${stalled_since:=$SECONDS}"
  [ -z "$acted" ] || continue
  if [ $((SECONDS - stalled_since)) -ge "$WATCH_SECS" ] && [ $((SECONDS - log_moved)) -ge "$WATCH_SECS" ]; then
    address=$(getent hosts "$upstream" | awk '{ print $1; exit }')
    [ -n "$address" ] || continue
    closed=$(ss -K -tnH dst "$address" dport = :5432 2>/dev/null | wc -l)
    acted=yes
    log "repmgrd silent for $((SECONDS - log_moved)) s while $upstream ($address) answers no new connection: closed $closed connection(s) to it, so a query waiting on a frozen server returns"
  fi
done
