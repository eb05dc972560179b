"""Loaded by the Agora worker the bench starts (bench/gc_log on its PYTHONPATH): times every
garbage collection and writes them to $BENCH_GC_LOG when the process exits. Bench only."""

import atexit
import gc
import json
import os
import time

_path = os.environ.get("BENCH_GC_LOG")
if _path:
    _pauses: list[tuple[float, int, float]] = []  # (start, generation, milliseconds)
    _started = [0.0]

    def _timed(phase: str, info: dict) -> None:
        now = time.monotonic()
        if phase == "start":
            _started[0] = now
        else:
            _pauses.append((_started[0], info["generation"], (now - _started[0]) * 1000))

    gc.callbacks.append(_timed)

    @atexit.register
    def _write() -> None:
        with open(_path, "w") as out:
            json.dump(_pauses, out)
