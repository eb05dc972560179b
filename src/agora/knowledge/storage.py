"""Where uploaded knowledge files live: AGORA_HOME/knowledge/<first two hex digits>/<sha256>, written once by content."""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path
from typing import BinaryIO

from agora.errors import InvalidInput
from agora.i18n import gettext as _

COPY_BYTES = 1024 * 1024


def folder(home: Path) -> Path:
    return home / "knowledge"


def path_of(home: Path, sha256: str) -> Path:
    return folder(home) / sha256[:2] / sha256


def receive(source: BinaryIO, *, home: Path, max_bytes: int) -> tuple[Path, str, int]:
    """Copy an upload to a temporary file beside the store, hashing it: (temporary path, SHA-256, size).

    Stops reading one megabyte past the limit: a file over it is refused without keeping it."""
    target = folder(home)
    target.mkdir(parents=True, exist_ok=True)
    digest, size = hashlib.sha256(), 0
    fd, name = tempfile.mkstemp(dir=target, prefix=".upload-")
    with os.fdopen(fd, "wb") as out:
        while block := source.read(COPY_BYTES):
            size += len(block)
            if size > max_bytes:
                os.unlink(name)
                raise InvalidInput(_("Files can be at most %(max)s MB; this one is larger.", max=max_bytes // (1024 * 1024) or 1), field="file")
            digest.update(block)
            out.write(block)
    if size == 0:
        os.unlink(name)
        raise InvalidInput(_("This file is empty."), field="file")
    return Path(name), digest.hexdigest(), size


def keep(temporary: Path, *, home: Path, sha256: str) -> Path:
    """Move a received file to its place by content (a file already there is the same bytes: the copy is dropped)."""
    final = path_of(home, sha256)
    if final.exists():
        temporary.unlink()
        return final
    final.parent.mkdir(parents=True, exist_ok=True)
    os.replace(temporary, final)  # atomic: a reader sees the whole file or none
    return final
