#!/bin/bash
# flipdrill-promote: repmgr's promote_command on every node.
# 1. Promote this standby with repmgr (which records the standby_promote event).
# 2. Let the sync guard relax synchronous replication: the promoted node has no standby streaming
#    from it yet, and a synchronous primary with no standby would block every commit.
# The floating endpoint is not moved here for the Docker alias: containers have no access to the
# Docker engine, so flipdrill's endpoint controller moves it once the database reports the new
# primary. The DigitalOcean and virtual-IP endpoints move from this hook.
set -euo pipefail
/usr/lib/postgresql/15/bin/repmgr -f /etc/repmgr.conf standby promote --log-to-file
/usr/local/bin/flipdrill-sync-guard promote
