"""Uploaded avatars: checked, re-encoded to a 512 px square WebP, stored by content hash.

Re-encoding from decoded pixels is what makes an upload safe to serve: metadata (EXIF,
GPS position, comments) and anything smuggled after the image data are left behind.
"""

from __future__ import annotations

import hashlib
import io
import os
import re
import warnings
from pathlib import Path

from PIL import Image, ImageOps, UnidentifiedImageError

from agora.errors import InvalidInput
from agora.i18n import gettext as _

MAX_BYTES = 2 * 1024 * 1024
# A request carrying one picture: room for the editor's other fields (their limits add up to
# under 100 KB of text) and the multipart framing (agora.web.body_limit).
MAX_REQUEST_BYTES = MAX_BYTES + 256 * 1024
SIZE = 512
ACCEPTED_FORMATS = {"PNG", "JPEG", "WEBP"}
# Refuse "decompression bombs": a small file that decodes to gigabytes of pixels.
MAX_PIXELS = 40_000_000
URL_PREFIX = "/uploads/avatars/"
FILE_NAME = re.compile(r"^[0-9a-f]{64}\.webp$")


def avatars_dir(home: Path) -> Path:
    return home / "uploads" / "avatars"


def store(data: bytes, *, home: Path, field: str = "avatar", size: int | None = None) -> str:
    """Save an uploaded picture; returns the avatar value (its URL path) for GPT content.

    `size` is the upload's full size when only its first MAX_BYTES + 1 bytes were read."""
    encoded = normalize(data, field=field, size=size)
    name = hashlib.sha256(encoded).hexdigest() + ".webp"
    folder = avatars_dir(home)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    if not path.exists():
        temporary = folder / f".{name}.{os.getpid()}.tmp"
        temporary.write_bytes(encoded)
        temporary.replace(path)  # atomic: a reader never sees half a file
    return URL_PREFIX + name


def normalize(data: bytes, *, field: str = "avatar", size: int | None = None) -> bytes:
    if len(data) > MAX_BYTES:
        megabytes = max(size or 0, len(data)) / 1024 / 1024
        raise InvalidInput(_("The picture is %(size).1f MB; the limit is 2 MB.", size=megabytes), field=field)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data))
            if image.format not in ACCEPTED_FORMATS:
                raise _not_an_image(field)
            if image.width * image.height > MAX_PIXELS:
                raise InvalidInput(_("The picture has too many pixels; use one under 40 megapixels."), field=field)
            image.seek(0)  # animated files: the first frame
            image.load()
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombWarning, Image.DecompressionBombError):
        raise _not_an_image(field) from None
    upright = ImageOps.exif_transpose(image).convert("RGBA")  # keep the photo upright once EXIF is gone
    square = ImageOps.fit(upright, (SIZE, SIZE), method=Image.Resampling.LANCZOS)
    output = io.BytesIO()
    # Lossless: the same pixels always encode to the same bytes, so an exported avatar comes
    # back under the same name when imported again. No exif= argument: none is written.
    square.save(output, format="WEBP", lossless=True, quality=80, method=4)
    return output.getvalue()


def path_for(home: Path, name: str) -> Path | None:
    """The stored file for a URL name, or None: only names `store` produces are served."""
    if not FILE_NAME.match(name):
        return None
    path = avatars_dir(home) / name
    return path if path.is_file() else None


def _not_an_image(field: str) -> InvalidInput:
    return InvalidInput(_("Upload a PNG, JPEG or WebP picture (at most 2 MB)."), field=field)
