"""Database outages for tests, made for real: a TCP proxy to PostgreSQL that can be cut, a held SQLite write lock.

`DatabaseProxy` forwards a loopback port to PostgreSQL; `cut()` closes every connection
through it and refuses new ones (what a database restart or a network failure looks like to
Agora), `restore()` lets them through again. `hold_sqlite_writes` keeps SQLite's write lock
from another connection, so every writer waits, then fails "database is locked".
"""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy.engine import make_url

from tests.conftest import free_port


class DatabaseProxy:
    def __init__(self, url: str) -> None:
        parsed = make_url(url)
        self.target = (parsed.host or "127.0.0.1", parsed.port or 5432)
        self.port = free_port()
        self.url = parsed.set(host="127.0.0.1", port=self.port).render_as_string(hide_password=False)
        self._open = True
        self._writers: set[asyncio.StreamWriter] = set()
        self._loop = asyncio.new_event_loop()
        started = threading.Event()
        threading.Thread(target=self._serve, args=(started,), daemon=True, name="database-proxy").start()
        started.wait(10)

    def _serve(self, started: threading.Event) -> None:
        asyncio.set_event_loop(self._loop)
        self._loop.run_until_complete(asyncio.start_server(self._accept, "127.0.0.1", self.port))
        started.set()
        self._loop.run_forever()

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if not self._open:
            writer.close()
            return
        try:
            up_reader, up_writer = await asyncio.open_connection(*self.target)
        except OSError:
            writer.close()
            return
        self._writers |= {writer, up_writer}
        await asyncio.gather(_pipe(reader, up_writer), _pipe(up_reader, writer), return_exceptions=True)
        self._writers -= {writer, up_writer}

    def cut(self) -> None:
        """Close every connection through the proxy and refuse new ones."""
        def close_all() -> None:
            self._open = False
            for writer in list(self._writers):
                writer.transport.abort()
        self._loop.call_soon_threadsafe(close_all)

    def restore(self) -> None:
        self._loop.call_soon_threadsafe(setattr, self, "_open", True)


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
    finally:
        writer.close()


@contextmanager
def hold_sqlite_writes(path: str) -> Iterator[None]:
    """Hold SQLite's write lock on the database file at `path` until the block ends."""
    locker = sqlite3.connect(path, isolation_level=None)
    locker.execute("BEGIN IMMEDIATE")
    try:
        yield
    finally:
        locker.execute("ROLLBACK")
        locker.close()
