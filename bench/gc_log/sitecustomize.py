"""Loaded by the Agora worker the bench starts (bench/gc_log on its PYTHONPATH): times every
garbage collection and writes them to $BENCH_GC_LOG as they come (at most every half
second: uvicorn ends on the SIGTERM it received, so no exit hook runs). Bench only."""

import gc
import json
import os
import time

_path = os.environ.get("BENCH_GC_LOG")
if _path:
    _pauses: list[tuple[float, int, float]] = []  # (start, generation, milliseconds)
    _state = {"started": 0.0, "written": 0.0}

    def _timed(phase: str, info: dict) -> None:
        now = time.monotonic()
        if phase == "start":
            _state["started"] = now
            return
        _pauses.append((_state["started"], info["generation"], (now - _state["started"]) * 1000))
        if now - _state["written"] > 0.5:
            _state["written"] = now
            with open(_path, "w") as out:
                json.dump(_pauses, out)

    gc.callbacks.append(_timed)
