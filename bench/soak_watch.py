"""What bench/soak.py watches beside the load: the memory of every server process, and the
consoles' and dashboards' WebSockets."""

from __future__ import annotations

import asyncio
import json
import statistics
import threading
import time
from collections import Counter

SAMPLE_EVERY = 3.0  # seconds between RSS samples
ANALYZE_EVERY = 30  # seconds between ANALYZEs (Statistics)


class Memory(threading.Thread):
    """The RSS of each server process and its children, every SAMPLE_EVERY seconds."""

    def __init__(self, servers: dict[str, int]) -> None:
        super().__init__(daemon=True)
        self.servers = servers
        self.samples: dict[str, list[tuple[float, int]]] = {}
        self.done = threading.Event()
        self.began = time.monotonic()

    def run(self) -> None:
        import psutil

        while True:
            now = time.monotonic() - self.began
            for name, pid in self.servers.items():
                try:
                    root = psutil.Process(pid)
                    family = [(name, root)] + [
                        (f"{name} worker {child.pid}", child) for child in root.children(True)
                    ]
                    for label, process in family:
                        self.samples.setdefault(label, []).append((now, process.memory_info().rss))
                except psutil.NoSuchProcess:
                    self.samples.setdefault(f"{name} (gone)", []).append((now, 0))
            if self.done.wait(SAMPLE_EVERY):
                return

    def growth(self, warm_up: float) -> dict[str, tuple[float, float, float]]:
        """Per process: (RSS at the end of the warm-up, at the end, growth %), each the median
        of three samples so one sample's noise is not a trend."""
        table = {}
        for label, samples in self.samples.items():
            after = [rss for t, rss in samples if t >= warm_up]
            if len(after) < 2 or not after[0]:
                continue
            start = statistics.median(after[:3])
            end = statistics.median(after[-3:])
            table[label] = (start, end, (end - start) / start * 100)
        return table


class Sockets(threading.Thread):
    """Consoles on /ws/helpline/ and dashboards on /ws/dashboard/, held for the whole run."""

    def __init__(self, targets: list[tuple[str, dict[str, str]]]) -> None:
        super().__init__(daemon=True)
        self.targets = targets
        self.events: Counter[str] = Counter()
        self.failed: list[str] = []
        self.opened = 0
        self.ready = threading.Event()
        self.loop: asyncio.AbstractEventLoop | None = None
        self.stopping: asyncio.Event | None = None

    def run(self) -> None:
        asyncio.run(self.main())

    def stop(self) -> None:
        if self.loop and self.stopping:
            self.loop.call_soon_threadsafe(self.stopping.set)
        self.join(30)

    async def main(self) -> None:
        import aiohttp

        self.loop = asyncio.get_running_loop()
        self.stopping = asyncio.Event()
        async with aiohttp.ClientSession() as session:
            sockets = []
            for url, headers in self.targets:
                try:
                    sockets.append(await session.ws_connect(url, headers=headers, heartbeat=None))
                    self.opened += 1
                except Exception as exc:  # counted as an error of the run
                    self.failed.append(f"connect {url}: {exc!r}"[:200])
            self.ready.set()
            readers = [asyncio.create_task(self.read(s)) for s in sockets]
            await self.stopping.wait()
            for socket in sockets:
                await socket.close()
            await asyncio.gather(*readers)

    async def read(self, socket) -> None:  # type: ignore[no-untyped-def]
        from aiohttp import WSMsgType

        async for message in socket:
            if message.type == WSMsgType.TEXT:
                self.events[json.loads(message.data).get("type", "?")] += 1
        if not self.stopping.is_set():  # type: ignore[union-attr]
            self.failed.append(f"closed by the server: {socket.close_code}")


class Statistics(threading.Thread):
    """ANALYZE every ANALYZE_EVERY seconds, as PostgreSQL's autovacuum would in production. This
    machine's PostgreSQL runs with autovacuum off; without fresh statistics a queue grown from
    empty during the run is planned as if it were still empty, and the console's repeat-contact
    check took 16-19 s a page instead of about 0.3 s (measured on the first soak's database)."""

    def __init__(self, database_url: str) -> None:
        super().__init__(daemon=True)
        self.database_url = database_url
        self.done = threading.Event()

    def run(self) -> None:
        import psycopg

        while not self.done.wait(ANALYZE_EVERY):
            with psycopg.connect(self.database_url, autocommit=True) as conn:
                conn.execute("ANALYZE")
