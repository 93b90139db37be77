#!/usr/bin/env python3
"""A TCP proxy on 127.0.0.1 that puts a database "far away".

    python3 benches/support/delay_proxy.py LISTEN_PORT TARGET_PORT DELAY_MS

Every chunk the client sends reaches the server DELAY_MS later (order kept),
so each request/answer round trip costs DELAY_MS more than it would: a query
that needs two round trips takes 2 x DELAY_MS, one that needs one takes
1 x DELAY_MS. Answers travel back at once. Connecting costs one delay too
(the server speaks only after the client's first message).

It prints `ready PORT` on stdout once it listens. Stop it with SIGTERM.
"""
import asyncio
import sys
import time


async def pump_delayed(reader, writer, delay):
    """Client -> server: each chunk is released `delay` seconds after it arrived."""
    queue = asyncio.Queue()

    async def release():
        while True:
            due, data = await queue.get()
            if data is None:
                break
            wait = due - time.monotonic()
            if wait > 0:
                await asyncio.sleep(wait)
            writer.write(data)
            await writer.drain()
        writer.close()

    releaser = asyncio.create_task(release())
    try:
        while True:
            data = await reader.read(65536)
            if not data:
                break
            await queue.put((time.monotonic() + delay, data))
    except (ConnectionError, OSError):
        pass
    await queue.put((0, None))
    try:
        await releaser
    except (ConnectionError, OSError):
        pass


async def pump(reader, writer):
    try:
        while True:
            data = await reader.read(65536)
            if not data:
                break
            writer.write(data)
            await writer.drain()
    except (ConnectionError, OSError):
        pass
    try:
        writer.close()
    except (ConnectionError, OSError):
        pass


async def main():
    listen_port, target_port, delay_ms = (int(a) for a in sys.argv[1:4])
    delay = delay_ms / 1000.0

    async def handle(c_reader, c_writer):
        try:
            s_reader, s_writer = await asyncio.open_connection("127.0.0.1", target_port)
        except OSError:
            c_writer.close()
            return
        await asyncio.gather(
            pump_delayed(c_reader, s_writer, delay),
            pump(s_reader, c_writer),
        )

    server = await asyncio.start_server(handle, "127.0.0.1", listen_port)
    port = server.sockets[0].getsockname()[1]
    print(f"ready {port}", flush=True)
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    try:
        asyncio.run(main())
    except KeyboardInterrupt:
        pass
