#!/usr/bin/env python3
"""The peer the heartbeat benchmark compares against: the original kind of
heartbeat client, one process per insert.

    python3 benches/support/peer_heartbeat.py APPMAP_TABLE SITE

Looks SITE up in the appmap (a DynamoDB Query on `site`), connects to the
PostgreSQL database the item names (password from DMSC_BENCH_PASSWORD),
inserts (nextval, now in UTC, SITE) and selects the latest 5 rows, then
exits. AWS settings come from the environment (AWS_ENDPOINT_URL for moto).
"""
import os
import sys

import boto3
import psycopg2

table, site = sys.argv[1], sys.argv[2]
items = boto3.client("dynamodb").query(
    TableName=table,
    KeyConditionExpression="site = :s",
    ExpressionAttributeValues={":s": {"S": site}},
)["Items"]
item = {k: v["S"] for k, v in items[0].items() if "S" in v}
conn = psycopg2.connect(
    host=item["endpoint"],
    port=int(item["port"]),
    dbname=item["dbname"],
    user=item["username"],
    password=os.environ.get("DMSC_BENCH_PASSWORD"),
)
with conn, conn.cursor() as cur:
    cur.execute(
        "INSERT INTO customer_orders.heartbeat (heartbeat_id, last_update_dt, last_update_site) "
        "VALUES (nextval('customer_orders.seq_heartbeat'), (now() AT TIME ZONE 'UTC'), %s)",
        (site,),
    )
    cur.execute(
        "SELECT heartbeat_id, last_update_dt, last_update_site FROM customer_orders.heartbeat "
        "ORDER BY last_update_dt DESC LIMIT 5"
    )
    for row in cur.fetchall():
        print(*row)
conn.close()
