#!/usr/bin/env python3
"""A TCP proxy that delays every chunk by a fixed time in each direction:
a link between two sites, on loopback. For make bench only.

Usage: delayproxy.py LISTEN_PORT TARGET_PORT DELAY_MS [READY_FILE]
"""
import asyncio
import sys
import time


async def pipe(reader, writer, delay):
    q = asyncio.Queue()

    async def send():
        while True:
            due, data = await q.get()
            if data is None:
                writer.close()
                return
            wait = due - time.monotonic()
            if wait > 0:
                await asyncio.sleep(wait)
            writer.write(data)
            await writer.drain()

    sender = asyncio.ensure_future(send())
    try:
        while True:
            data = await reader.read(65536)
            q.put_nowait((time.monotonic() + delay, data or None))
            if not data:
                break
    except ConnectionError:
        q.put_nowait((0, None))
    await sender


async def main():
    lport, tport, delay = int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3]) / 1000

    async def conn(cr, cw):
        try:
            ur, uw = await asyncio.open_connection("127.0.0.1", tport)
        except OSError:
            cw.close()
            return
        await asyncio.gather(pipe(cr, uw, delay), pipe(ur, cw, delay),
                             return_exceptions=True)

    srv = await asyncio.start_server(conn, "127.0.0.1", lport)
    if len(sys.argv) > 4:
        with open(sys.argv[4], "w") as f:
            f.write(str(lport))
    async with srv:
        await srv.serve_forever()


asyncio.run(main())
