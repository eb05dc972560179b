"""What the message guardrails add to a turn with the built-in provider, and what they flag among ordinary messages: docs/moderation.md.

The demo catalogue's conversation starters stand for people's messages (short), its GPTs' instructions for replies
(a few hundred words). Each is screened as a turn screens it (agora.moderation.messages.ModerationGuard.screen, policy
`flag` for every category), one at a time, after one warm-up call that loads the classifier (its cost is printed too).
Run: .venv/bin/python bench/message_guardrails.py
"""

from __future__ import annotations

import statistics
import time

from agora.config import Settings
from agora.demo.catalogue import entries
from agora.moderation.messages import ModerationGuard


def timed(guard: ModerationGuard, settings: Settings, texts: list[str], *, reply: bool) -> tuple[list[float], int]:
    times, flagged = [], 0
    for text in texts:
        started = time.perf_counter()
        verdict = guard.screen(settings, text, reply=reply)
        times.append((time.perf_counter() - started) * 1000)
        flagged += verdict is not None
    return times, flagged


def report(name: str, texts: list[str], times: list[float], flagged: int) -> None:
    ordered = sorted(times)
    words = statistics.mean(len(text.split()) for text in texts)
    print(f"{name}: {len(texts)} texts, {words:.0f} words on average; p50 {ordered[len(ordered) // 2]:.2f} ms, "
          f"p95 {ordered[int(len(ordered) * 0.95)]:.2f} ms, p99 {ordered[int(len(ordered) * 0.99)]:.2f} ms, max {ordered[-1]:.2f} ms; "
          f"flagged {flagged} ({100 * flagged / len(texts):.1f} %)")


def main() -> None:
    settings = Settings(_env_file=None, moderation_messages="flag")
    guard = ModerationGuard()
    catalogue = list(entries())
    messages = [starter for entry in catalogue for starter in entry.content.starters if starter.strip()]
    replies = [entry.content.instructions for entry in catalogue if entry.content.instructions.strip()]
    started = time.perf_counter()
    guard.screen(settings, "warm-up", reply=False)
    print(f"first call (loads the classifier): {(time.perf_counter() - started) * 1000:.0f} ms")
    report("messages (demo starters)", messages, *timed(guard, settings, messages, reply=False))
    report("replies (demo instructions)", replies, *timed(guard, settings, replies, reply=True))


if __name__ == "__main__":
    main()
