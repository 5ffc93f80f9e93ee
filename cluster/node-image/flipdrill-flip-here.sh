#!/bin/bash
# flipdrill-flip-here: move the DigitalOcean floating IP to this node's droplet, after a promotion
# or a switchover ($1 says which). Does nothing without FLIPDRILL_FLOATING_IP. The move waits out
# rate limits and pending events, polls the action, checks the result (flipdrill-flip).
#
# A failure is logged and reported with exit 0: the database is promoted already, and repmgr
# should record that truthfully; the app cannot reach this primary until the IP moves, which the
# log line says, and `flipdrill-flip assign` can be run again by hand.
#
# Runs as root: the promote hook (postgres) runs it through sudo, with "promote" and nothing else;
# only root reads the token (/etc/flipdrill/do-token, on the data nodes alone), which flipdrill-flip
# reads from that file itself: it is never in node.env, nor in an environment postgres can see.
set -uo pipefail
[ "$(id -u)" = 0 ] || { echo "flipdrill-flip-here: run as root (the hooks use: sudo -n /usr/local/bin/flipdrill-flip-here promote)" >&2; exit 2; }
# Settings (FLIPDRILL_FLOATING_IP, ...) parsed out of /etc/flipdrill/node.env, never sourced: see flipdrill-lib.sh.
. /usr/local/lib/flipdrill/flipdrill-lib.sh && parse_settings
[ -n "${FLIPDRILL_FLOATING_IP:-}" ] || exit 0
export DIGITALOCEAN_TOKEN_FILE="$FLIPDRILL_DO_TOKEN_FILE"
unset DIGITALOCEAN_TOKEN
LOG=/var/log/flipdrill/repmgrd.log
echo "$(date -u +%Y-%m-%dT%H:%M:%S.%3NZ) flipdrill-flip-here: moving ${FLIPDRILL_FLOATING_IP} to this droplet (${1:-by hand})" >>"$LOG"
export PATH="/usr/local/bin:$PATH"
if result=$(node /usr/local/lib/flipdrill/flipdrill-flip.cjs assign 2>>"$LOG"); then
  echo "$(date -u +%Y-%m-%dT%H:%M:%S.%3NZ) flipdrill-flip-here: done: $result" >>"$LOG"
else
  echo "$(date -u +%Y-%m-%dT%H:%M:%S.%3NZ) flipdrill-flip-here: FAILED to move ${FLIPDRILL_FLOATING_IP} here (see above); run as root: flipdrill-flip-here" >>"$LOG"
fi
exit 0
