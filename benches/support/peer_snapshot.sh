#!/usr/bin/env bash
# What an operator runs instead of the cockpit for one look at the door:
# both tasks' status, the appmap and each database's latest heartbeats,
# the four calls in parallel. benches/live.sh runs it under `watch -n 2`.
# Usage: peer_snapshot.sh FWD BWD APPMAP PG_PORT DB_A DB_B
set -u
FWD=$1 BWD=$2 APPMAP=$3 PG_PORT=$4 DB_A=$5 DB_B=$6
SQL="SELECT heartbeat_id, last_update_dt, last_update_site FROM customer_orders.heartbeat ORDER BY last_update_dt DESC LIMIT 5"
{
  aws dms describe-replication-tasks --filters "Name=replication-task-id,Values=$FWD,$BWD" \
    --query 'ReplicationTasks[].[ReplicationTaskIdentifier,Status]' --output text > "$TMPDIR/peer.tasks" &
  aws dynamodb scan --table-name "$APPMAP" --output text > "$TMPDIR/peer.appmap" &
  psql "host=127.0.0.1 port=$PG_PORT dbname=$DB_A user=postgres" -Atc "$SQL" > "$TMPDIR/peer.a" &
  psql "host=127.0.0.1 port=$PG_PORT dbname=$DB_B user=postgres" -Atc "$SQL" > "$TMPDIR/peer.b" &
  wait
} 2>&1
cat "$TMPDIR/peer.tasks" "$TMPDIR/peer.appmap" "$TMPDIR/peer.a" "$TMPDIR/peer.b"
