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
the conditional-flip tests test the adapter, not moto's race. Nothing else
is changed.

Usage: python3 moto_server.py PORT   (listens on 127.0.0.1 only)
"""

import sys
import threading
from datetime import datetime, timezone

from moto.dms import models as dms_models
from moto.dynamodb import models as dynamodb_models
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
