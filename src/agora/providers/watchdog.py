"""One timer per streamed reply instead of one per read: the read fails when nothing came for the whole timeout.

aiohttp's read timeout re-arms a timer on every read; at 1,000 streams of 50 tokens a second
that is 50,000 timer handles made and cancelled a second (docs/benchmarks.md). The watchdog
wakes four times per timeout instead and looks whether the stream read anything since.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable


class Silent(TimeoutError):
    """The model server sent nothing for the whole timeout while streaming."""


class Watchdog:
    """Counts a stream's reads (`reads += 1`, by its reader); calls `fail(Silent)` once none came for `timeout` s.

    A stream that read anything since the last wake is alive, so a silent server is noticed
    after 1 to 1.25 timeouts.
    """

    CHECKS_PER_TIMEOUT = 4

    def __init__(self, timeout: float) -> None:
        self.timeout = timeout
        self.reads = 0
        self.fired: Silent | None = None
        self._seen = -1
        self._quiet = 0
        self._handle: asyncio.TimerHandle | None = None
        self._fail: Callable[[BaseException], None] | None = None

    def start(self, fail: Callable[[BaseException], None]) -> None:
        self._fail = fail
        if self.timeout and self.timeout > 0:
            self._handle = asyncio.get_running_loop().call_later(self.timeout / self.CHECKS_PER_TIMEOUT, self._check)

    def _check(self) -> None:
        if self.reads != self._seen:
            self._seen, self._quiet = self.reads, 0
        else:
            self._quiet += 1
            if self._quiet >= self.CHECKS_PER_TIMEOUT:
                self._handle = None
                self.fired = Silent(f"nothing read for {self.timeout:g} s")
                if self._fail is not None:
                    self._fail(self.fired)
                return
        self._handle = asyncio.get_running_loop().call_later(self.timeout / self.CHECKS_PER_TIMEOUT, self._check)

    def stop(self) -> None:
        if self._handle is not None:
            self._handle.cancel()
            self._handle = None
