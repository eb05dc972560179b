"""Who is writing a reply: the worker process streaming it, and until when its lease holds.

A reply being written (`streaming`) names its worker ("host:pid:nonce") and a lease that
worker renews while it streams (chat.stops' poller, every RENEW_SECONDS). A worker killed
mid-reply (kill -9, a crash, a lost machine) renews nothing, so its replies are orphans once
their lease runs out, and at once when the worker ran on this machine and its process is
gone. An orphan blocks nothing: the next message, regenerate or stop marks it failed.
"""

from __future__ import annotations

import os
import secrets
import socket
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import update
from sqlalchemy.orm import Session

from agora.chat.models import Message
from agora.db import utcnow

LEASE_SECONDS = 15
RENEW_SECONDS = 5
HOST = socket.gethostname()
# Replies older than this with no owner were written before owners existed (migration 0021).
UNOWNED_ABANDONED_AFTER = timedelta(minutes=10)
_me: tuple[int, str] | None = None


def me() -> str:
    """This worker process's name; a new one after a fork (a pid names a process, the nonce one life of it)."""
    global _me  # noqa: PLW0603 - one name per process, made on first use so that a forked worker makes its own
    if _me is None or _me[0] != os.getpid():
        _me = (os.getpid(), f"{HOST}:{os.getpid()}:{secrets.token_hex(4)}")
    return _me[1]


def lease_until() -> datetime:
    return utcnow() + timedelta(seconds=LEASE_SECONDS)


def renew(session: Session, reply_ids: list[int]) -> None:
    """Extend this worker's lease on the replies it is writing."""
    session.execute(update(Message).where(Message.id.in_(reply_ids), Message.owner == me()).values(lease_until=lease_until()))


def orphaned(reply: Message) -> bool:
    """Whether nobody is writing this `streaming` reply any more: its worker is gone."""
    if reply.owner is None or reply.lease_until is None:
        return reply.created_at < utcnow() - UNOWNED_ABANDONED_AFTER
    if reply.lease_until < utcnow():
        return True
    host, _, rest = reply.owner.partition(":")
    pid = rest.partition(":")[0]
    return host == HOST and pid.isdigit() and not _running(int(pid))


def _running(pid: int) -> bool:
    """Whether a process runs with this pid (on this machine); a killed one its parent has not reaped yet does not."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    stat = Path(f"/proc/{pid}/stat")
    try:
        return stat.read_text().rpartition(")")[2].split()[0] != "Z"  # a zombie: dead, waiting for its parent
    except (OSError, IndexError):
        return True  # no /proc (not Linux): the signal's answer stands
