"""moto server for dms-cockpit's tests, with one fix: epoch-second dates.

moto's DMS sends ReplicationTaskCreationDate, ReplicationTaskStartDate, the
dates inside ReplicationTaskStats and InstanceCreateTime as ISO strings. AWS
sends epoch seconds (the JSON 1.1 protocol's timestamp format), and the Rust
SDK rightly rejects the string form. This wrapper converts those fields in
moto's to_dict before they leave the server, so the cockpit's adapter is
tested against the format AWS really uses.

A second fix: moto's threaded server runs DynamoDB writes concurrently
without a lock, so two TransactWriteItems with the same conditions could
both pass their checks before either wrote. AWS applies a transaction
atomically; the wrapper serialises moto's DynamoDB writes under one lock so
the conditional-flip tests test the adapter, not moto's race.

A third: moto builds a task's ARN from the identifier a person gave it
(`…:task:my-task`); AWS ends it in a generated resource id (`…:task:
2PVREMWNPGYJCVU2IBPTOYTIV4`), and CloudWatch metrics and task log streams are
keyed on that id, not the name. The wrapper gives each task an ARN ending in
a random id of the same shape, so a reader keyed on the name fails here as it
would on AWS.

A fourth: a protocol bridge for CloudWatch. The Rust SDK's CloudWatch client
speaks Smithy RPC v2 CBOR (POST /service/GraniteServiceVersion20100801/
operation/<Op>, CBOR bodies); moto serves CloudWatch only over its query and
JSON 1.0 protocols and has no plan for CBOR (getmoto/moto#9195). The bridge
re-encodes such a request as the same operation in JSON 1.0 (X-Amz-Target
GraniteServiceVersion20100801.<Op>), lets moto answer it, and re-encodes the
answer as CBOR (timestamps as CBOR tag 1, as the protocol requires). Only the
encoding changes: moto stores and selects the metric data. Nothing else is
changed.

Usage: python3 moto_server.py PORT   (listens on 127.0.0.1 only)
"""

import io
import json
import random
import string
import sys
import threading
from datetime import datetime, timezone

import cbor2
from moto.dms import models as dms_models
from moto.dynamodb import models as dynamodb_models
from moto.moto_server import threaded_moto_server
from moto.moto_server.werkzeug_app import DomainDispatcherApplication
from moto.server import ThreadedMotoServer


def _epoch(value):
    if isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value)
            # moto writes naive UTC (its utcnow()); naive .timestamp() would
            # read it in the machine's zone.
            if parsed.tzinfo is None:
                parsed = parsed.replace(tzinfo=timezone.utc)
            return parsed.timestamp()
        except ValueError:
            return value
    return value


def _fix_dates(d):
    for key in ("ReplicationTaskCreationDate", "ReplicationTaskStartDate", "InstanceCreateTime"):
        if d.get(key) is not None:
            d[key] = _epoch(d[key])
        elif key in d:
            del d[key]
    stats = d.get("ReplicationTaskStats")
    if isinstance(stats, dict):
        for key in list(stats):
            if key.endswith("Date"):
                if stats[key] is None:
                    del stats[key]
                else:
                    stats[key] = _epoch(stats[key])
    return d


def _patch(cls):
    original = cls.to_dict

    def to_dict(self, *args, **kwargs):
        return _fix_dates(original(self, *args, **kwargs))

    cls.to_dict = to_dict


_patch(dms_models.FakeReplicationTask)


def _aws_shaped_arn(cls):
    original = cls.__init__

    def __init__(self, *args, **kwargs):
        original(self, *args, **kwargs)
        resource_id = "".join(random.choice(string.ascii_uppercase + string.digits) for _ in range(26))
        self.arn = self.arn.rsplit(":", 1)[0] + ":" + resource_id

    cls.__init__ = __init__


_aws_shaped_arn(dms_models.FakeReplicationTask)
_patch(dms_models.FakeReplicationInstance)

_DYNAMODB_WRITES = threading.RLock()


def _serialise(cls, name):
    original = getattr(cls, name)

    def locked(self, *args, **kwargs):
        with _DYNAMODB_WRITES:
            return original(self, *args, **kwargs)

    setattr(cls, name, locked)


for _name in ("put_item", "update_item", "delete_item", "transact_write_items"):
    _serialise(dynamodb_models.DynamoDBBackend, _name)


_CBOR_PREFIX = "/service/GraniteServiceVersion20100801/operation/"
# CloudWatch's timestamp members; in JSON 1.0 they are epoch seconds.
_TIMESTAMPS = {
    "Timestamp",
    "Timestamps",
    "StartTime",
    "EndTime",
    "StateUpdatedTimestamp",
    "StateTransitionedTimestamp",
    "AlarmConfigurationUpdatedTimestamp",
    "LastModified",
}


def _to_json(value):
    if isinstance(value, datetime):
        return value.timestamp()
    if isinstance(value, dict):
        return {k: _to_json(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_to_json(v) for v in value]
    if isinstance(value, bytes):
        raise ValueError("blob members are not bridged")
    return value


def _when(value):
    if isinstance(value, (int, float)):
        return datetime.fromtimestamp(value, tz=timezone.utc)
    if isinstance(value, str):
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)
    return value


def _to_cbor(value, key=None):
    if isinstance(value, dict):
        return {k: _to_cbor(v, k) for k, v in value.items()}
    if isinstance(value, list):
        return [_to_cbor(v, key) for v in value]
    if key in _TIMESTAMPS:
        return _when(value)
    return value


class CborBridge(DomainDispatcherApplication):
    """moto's WSGI app, with CloudWatch's RPC v2 CBOR re-encoded as JSON 1.0."""

    def __call__(self, environ, start_response):
        path = environ.get("PATH_INFO", "")
        if not path.startswith(_CBOR_PREFIX):
            return super().__call__(environ, start_response)
        operation = path[len(_CBOR_PREFIX):]
        length = int(environ.get("CONTENT_LENGTH") or 0)
        raw = environ["wsgi.input"].read(length) if length else b""
        request = cbor2.loads(raw) if raw else {}
        body = json.dumps(_to_json(request)).encode()
        environ = dict(environ)
        environ["PATH_INFO"] = "/"
        environ["CONTENT_TYPE"] = "application/x-amz-json-1.0"
        environ["HTTP_X_AMZ_TARGET"] = f"GraniteServiceVersion20100801.{operation}"
        environ["CONTENT_LENGTH"] = str(len(body))
        environ["wsgi.input"] = io.BytesIO(body)
        answer = {}

        def capture(status, headers, exc_info=None):
            answer["status"] = status
            answer["headers"] = headers

        chunks = super().__call__(environ, capture)
        text = b"".join(chunks)
        if hasattr(chunks, "close"):
            chunks.close()
        try:
            decoded = json.loads(text) if text.strip() else {}
        except ValueError:
            # Not JSON (moto's HTML error page): pass it on as it is.
            start_response(answer["status"], answer["headers"])
            return [text]
        out = cbor2.dumps(_to_cbor(decoded), datetime_as_timestamp=True, timezone=timezone.utc)
        headers = [
            (k, v)
            for k, v in answer["headers"]
            if k.lower() not in ("content-type", "content-length")
        ]
        headers += [
            ("Content-Type", "application/cbor"),
            ("Smithy-Protocol", "rpc-v2-cbor"),
            ("Content-Length", str(len(out))),
        ]
        start_response(answer["status"], headers)
        return [out]


threaded_moto_server.DomainDispatcherApplication = CborBridge


def main():
    port = int(sys.argv[1]) if len(sys.argv) > 1 else 5000
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    print(f"moto listening on 127.0.0.1:{port}", flush=True)
    try:
        server._thread.join()
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()


if __name__ == "__main__":
    main()
