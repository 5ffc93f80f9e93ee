#!/bin/bash
# flipdrill-sync-guard: keeps synchronous replication on exactly while a standby streams from this
# primary. Run by repmgrd's event notifications (a child node connecting or disconnecting, a
# promotion, a switchover) and by the promote and switchover scripts; for replication it looks at
# the current state, not at the event, so running it twice or late is harmless.
#
# It also hands the floating endpoint over: a standby gives the virtual IP up; a primary takes the
# endpoint on the standby_promote event only (below), an idempotent step, so a late or repeated
# run is harmless there too.
#
# Why: with synchronous_standby_names set and no standby, every commit waits forever. Losing the
# standby would stop all writes. Like Patroni's (non-strict) synchronous mode, the primary goes on
# alone, asynchronously, and turns synchronous replication back on when a standby streams again.
# flipdrill reports the degradation.
#
# Except when this primary may be the one that is cut off. Patroni only goes asynchronous while
# it holds the leader lock; repmgr has no lock, so the guard asks the witness instead: when the
# standby is gone and the witness does not answer either, this node is probably partitioned
# from both, the standby is probably being promoted, and accepting writes alone would acknowledge
# writes that the new timeline never sees. Measured with the partition-primary-one-way scenario
# (the app still reaches the old primary until the endpoint fences it, about 2 s after its standby
# disconnects): without this check 130 acknowledged writes were lost; with it, none. It stays
# synchronous, so those writes wait instead (unknown outcome), and checks again in the background.
#
# And when a standby still answers. A primary that was frozen (a VM paused, a long stall) finds on
# waking that its standby disconnected while it slept; the standby may be being promoted right
# then, repmgrd having given up on the frozen primary. Going asynchronous at that moment releases
# the commits that waited through the freeze, acknowledged, while the new primary's timeline
# starts before them. Measured with the flapping-primary scenario: 4 acknowledged writes lost in
# one run of two. So the primary goes on alone only when no other data node answers at all (a
# dead standby, as in kill-standby); a standby that answers is alive, and will stream again or be
# promoted, and either way its commits must wait. A node that answers as a primary has replaced
# this one.
set -euo pipefail
# Settings (FLIPDRILL_VIP, FLIPDRILL_FLOATING_IP, ...) from /etc/flipdrill/node.env: see flipdrill-lib.sh.
. /usr/local/lib/flipdrill/flipdrill-lib.sh && load_settings
PSQL=(/usr/lib/postgresql/15/bin/psql -X -qAt -v ON_ERROR_STOP=1 -d postgres)
note() { echo "$(date -u +%Y-%m-%dT%H:%M:%S.%3NZ) flipdrill-sync-guard: $*" >>/var/log/flipdrill/repmgrd.log; }

# Run this guard again in the background every half second, for at most a minute, until $1 holds.
recheck_until() {
  [ -z "${FLIPDRILL_GUARD_RECHECK:-}" ] || return 0
  (
    export FLIPDRILL_GUARD_RECHECK=1
    for _ in $(seq 1 120); do
      sleep 0.5
      if eval "$1"; then exec "$0" recheck; fi
    done
  ) </dev/null >/dev/null 2>&1 &
}

# Only this cluster's own nodes count as standbys, and only they may confirm commits: a
# `repmgr standby clone` runs pg_basebackup, whose WAL stream (with a replication slot) is a
# walsender in state 'streaming' too. Counted, it turned synchronous replication on while the only
# standby was being cloned; matched by '*', it became the synchronous standby, and since it reports
# its flush position only every 10 s, commits stalled (seen: 16 s of writes down in a loaded
# fail-back soak). Walsenders are matched by application_name, which repmgr sets to the node name.
PSQL_REPMGR=(/usr/lib/postgresql/15/bin/psql -X -qAt -v ON_ERROR_STOP=1 -d repmgr)
OTHER_DATA_NODES="SELECT node_name FROM repmgr.nodes WHERE type <> 'witness' AND node_name <> current_setting('cluster_name')"
OUR_STANDBYS="application_name IN ($OTHER_DATA_NODES)"
streaming_count() { "${PSQL_REPMGR[@]}" -c "SELECT count(*) FROM pg_stat_replication WHERE state = 'streaming' AND $OUR_STANDBYS"; }
# synchronous_standby_names names them (as quoted identifiers): FIRST 1, as '*' was.
standby_names() { "${PSQL_REPMGR[@]}" -c "SELECT 'FIRST 1 (' || string_agg(quote_ident(node_name), ', ' ORDER BY node_name) || ')' FROM ($OTHER_DATA_NODES) AS n"; }

witness_answers() {
  local witness
  witness=$(/usr/lib/postgresql/15/bin/psql -X -qAt -d repmgr -c "SELECT node_name FROM repmgr.nodes WHERE type = 'witness' AND active LIMIT 1" 2>/dev/null || true)
  # No witness registered: nothing to ask; behave like Patroni's non-strict mode.
  [ -n "$witness" ] || return 0
  /usr/lib/postgresql/15/bin/psql -X -qAt "host=$witness port=5432 user=repmgr dbname=repmgr connect_timeout=2" -c 'SELECT 1' >/dev/null 2>&1
}

# Does another data node answer? Prints how the first that does answers (standby or primary).
peer_answers() {
  local peer state
  for peer in $("${PSQL_REPMGR[@]}" -c "$OTHER_DATA_NODES" 2>/dev/null || true); do
    state=$(/usr/lib/postgresql/15/bin/psql -X -qAt "host=$peer port=5432 user=repmgr dbname=repmgr connect_timeout=2 tcp_user_timeout=1000" -c 'SELECT pg_is_in_recovery()' 2>/dev/null || true)
    case "$state" in
    t) echo "$peer answers as a standby"; return 0 ;;
    f) echo "$peer answers as a primary"; return 0 ;;
    esac
  done
  return 1
}

in_recovery=$("${PSQL[@]}" -c 'SELECT pg_is_in_recovery()')
if [ "$in_recovery" != "f" ]; then
  # A standby (an old primary that rejoined, after a failover or a switchover) must not keep the
  # virtual IP. The guard runs on its node_rejoin event and, after a switchover (which records no
  # rejoin), on repmgrd's repmgrd_standby_reconnect ("node has become a standby"). flipdrill-vip
  # reads its own settings and does nothing when there is no virtual IP.
  sudo -n /usr/local/bin/flipdrill-vip down 2>/dev/null || true
  exit 0
fi
# A promotion, failover or switchover alike (repmgr records standby_promote for both, though it
# runs promote_command only in a failover): this node takes the floating endpoint at once. In a
# switchover that is seconds before repmgr has the old primary rejoin and returns. With a
# DigitalOcean floating IP, flipdrill-flip-here moves it (and does nothing without one); with a
# virtual IP, flipdrill-vip takes it. The Docker alias is the endpoint agent's to move.
# (In a failover the promote script took it already, as soon as PostgreSQL left recovery: this
# finds it done.)
if [ "${1:-}" = "standby_promote" ]; then take_endpoint promote; fi
[ "${FLIPDRILL_SYNC_REPLICATION:-on}" = "on" ] || exit 0
# Only a streaming standby can confirm commits: turning synchronous replication on for one still
# in 'startup' or 'catchup' would make every commit wait out its catch-up (measured: a 5 s write
# stall when an old primary rejoins). repmgr reports a new child before it streams, so when one is
# connected but not streaming yet, check again until it streams.
connected=$("${PSQL_REPMGR[@]}" -c "SELECT count(*) FROM pg_stat_replication WHERE state IN ('startup', 'catchup', 'streaming') AND $OUR_STANDBYS")
streaming=$(streaming_count)
current=$("${PSQL[@]}" -c 'SHOW synchronous_standby_names')
want=''
[ "$streaming" -gt 0 ] && want=$(standby_names)
if [ "$streaming" -eq 0 ] && [ "$connected" -gt 0 ]; then recheck_until '[ "$(streaming_count)" -gt 0 ]'; fi
[ "$current" = "$want" ] && exit 0
if [ -z "$want" ] && answer=$(peer_answers); then
  note "no standby streams, but $answer: it will stream again or it is being promoted; staying synchronous (event ${1:-none})"
  recheck_until '[ "$(streaming_count)" -gt 0 ] || ! peer_answers >/dev/null'
  exit 0
fi
if [ -z "$want" ] && ! witness_answers; then
  note "no standby streams and the witness does not answer: this primary may be the isolated one; staying synchronous (event ${1:-none})"
  recheck_until '[ "$(streaming_count)" -gt 0 ] || witness_answers'
  exit 0
fi
"${PSQL[@]}" -c "ALTER SYSTEM SET synchronous_standby_names = '${want//\'/\'\'}'" -c 'SELECT pg_reload_conf()' >/dev/null
note "synchronous_standby_names '$current' -> '$want' ($streaming streaming, $connected connected, event ${1:-none})"
