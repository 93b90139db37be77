#!/usr/bin/env python3
"""An HTTP stand-in in front of moto that answers DescribeTableStatistics.

    python3 benches/support/stats_standin.py LISTEN_PORT MOTO_URL [TABLES]

moto does not implement DescribeTableStatistics (it answers NotImplemented),
so a snapshot "with the statistics call answered" needs someone to answer
it. This proxy answers that one call itself with TABLES (default 10) tables
of plausible counters for whichever task ARN was asked, in the shape of the
DMS API (TableStatistics, Marker absent: one page), and forwards every other
request to moto unchanged. It is a benchmark aid only: the cockpit's own
tests use aws-smithy-mocks for this call.

Prints `ready PORT` on stdout once it listens.
"""
import http.server
import json
import socketserver
import sys
import time
import urllib.error
import urllib.request

TARGET_PREFIX = "AmazonDMSv20160101."


def table_stats(n):
    now = time.time()
    return [
        {
            "SchemaName": "customer_orders",
            "TableName": f"table_{i:03d}",
            "Inserts": 100 + i,
            "Deletes": i % 3,
            "Updates": 10 * i,
            "Ddls": 0,
            "FullLoadRows": 1000 + i,
            "FullLoadCondtnlChkFailedRows": 0,
            "FullLoadErrorRows": 0,
            "FullLoadStartTime": now - 3600,
            "FullLoadEndTime": now - 3500,
            "LastUpdateTime": now - 5,
            "TableState": "Table completed",
            "ValidationPendingRecords": 0,
            "ValidationFailedRecords": 0,
            "ValidationSuspendedRecords": 0,
            "ValidationState": "Not enabled",
        }
        for i in range(n)
    ]


def main():
    listen_port = int(sys.argv[1])
    moto = sys.argv[2].rstrip("/")
    tables = int(sys.argv[3]) if len(sys.argv) > 3 else 10

    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args):
            pass

        def _send(self, code, headers, body):
            self.send_response(code)
            for k, v in headers:
                if k.lower() not in ("content-length", "transfer-encoding", "connection"):
                    self.send_header(k, v)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def _forward(self, method, body):
            req = urllib.request.Request(moto + self.path, data=body, method=method)
            for k, v in self.headers.items():
                if k.lower() not in ("host", "content-length", "connection"):
                    req.add_header(k, v)
            try:
                with urllib.request.urlopen(req) as resp:
                    self._send(resp.status, resp.getheaders(), resp.read())
            except urllib.error.HTTPError as e:
                self._send(e.code, e.headers.items(), e.read())

        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            target = self.headers.get("X-Amz-Target", "")
            if target == TARGET_PREFIX + "DescribeTableStatistics":
                arn = json.loads(body or b"{}").get("ReplicationTaskArn", "")
                answer = {"ReplicationTaskArn": arn, "TableStatistics": table_stats(tables)}
                self._send(200, [("Content-Type", "application/x-amz-json-1.1")],
                           json.dumps(answer).encode())
                return
            self._forward("POST", body)

        def do_GET(self):
            self._forward("GET", None)

    class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
        daemon_threads = True
        allow_reuse_address = True

    server = Server(("127.0.0.1", listen_port), Handler)
    print(f"ready {server.server_address[1]}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
