"""Where uploaded knowledge files live, written once by content: AGORA_HOME/knowledge/<2 hex>/<sha256>, or an S3-compatible bucket by setting."""

from __future__ import annotations

import hashlib
import logging
import os
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, BinaryIO, Protocol

from agora.config import Settings
from agora.errors import InvalidInput, Unavailable
from agora.i18n import gettext as _

log = logging.getLogger(__name__)
COPY_BYTES = 1024 * 1024


class StorageUnavailable(Unavailable):
    """The file store (the S3 bucket) cannot be reached or refused: nothing was stored; the same request later may work."""

    def __init__(self) -> None:
        super().__init__(_("The knowledge file storage cannot be reached right now, so the file was not added. Try again in a minute."),
                         retry_after=30, code="storage_unavailable")


class Store(Protocol):
    """A place for files named by their SHA-256. A file missing from it is FileNotFoundError; a store that cannot answer, StorageUnavailable."""

    def keep(self, temporary: Path, sha256: str) -> None:
        """Store a received file under its SHA-256 unless the same bytes are there already; the temporary file is gone afterwards."""

    def local_copy(self, sha256: str) -> Any:
        """A context manager giving a path on this machine to read the file from (a copy removed on leaving it, when the store is remote)."""

    def chunks(self, sha256: str) -> Iterator[bytes]:
        """The file's bytes, a block at a time (for downloads)."""


def folder(home: Path) -> Path:
    return home / "knowledge"


def path_of(home: Path, sha256: str) -> Path:
    return folder(home) / sha256[:2] / sha256


def receive(source: BinaryIO, *, home: Path, max_bytes: int) -> tuple[Path, str, int]:
    """Copy an upload to a temporary file under AGORA_HOME/knowledge, hashing it: (temporary path, SHA-256, size).

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


class LocalStore:
    """Files under AGORA_HOME/knowledge/<first two hex digits>/<sha256>."""

    def __init__(self, home: Path) -> None:
        self.home = home

    def keep(self, temporary: Path, sha256: str) -> None:
        final = path_of(self.home, sha256)
        if final.exists():  # the same bytes: the copy is dropped
            temporary.unlink()
            return
        final.parent.mkdir(parents=True, exist_ok=True)
        os.replace(temporary, final)  # atomic: a reader sees the whole file or none

    @contextmanager
    def local_copy(self, sha256: str) -> Iterator[Path]:
        path = path_of(self.home, sha256)
        if not path.exists():
            raise FileNotFoundError(path)
        yield path

    def chunks(self, sha256: str) -> Iterator[bytes]:
        with path_of(self.home, sha256).open("rb") as source:
            while block := source.read(COPY_BYTES):
                yield block


def _s3_client(settings: Settings, *, quick: bool = False) -> Any:
    # Imported here: only deployments that configure a bucket pay boto3's import time.
    import boto3
    from botocore.config import Config

    # `quick`: the start-up and readiness check answers within seconds, one attempt, rather than wait out retries.
    timeouts = {"connect_timeout": 2, "read_timeout": 5, "retries": {"max_attempts": 1}} if quick else {
        "connect_timeout": 5, "read_timeout": 60, "retries": {"max_attempts": 3, "mode": "standard"}}
    config = Config(
        **timeouts,
        # Self-hosted servers (MinIO, Garage) rarely have a DNS name per bucket: path-style addresses work on all of them.
        s3={"addressing_style": "path"} if settings.knowledge_s3_endpoint_url else {},
    )
    return boto3.session.Session().client(
        "s3", endpoint_url=settings.knowledge_s3_endpoint_url or None, region_name=settings.knowledge_s3_region or None,
        aws_access_key_id=settings.knowledge_s3_access_key_id or None,
        aws_secret_access_key=settings.knowledge_s3_secret_access_key or None, config=config)


def check(settings: Settings) -> tuple[str, str] | None:
    """Whether the configured bucket answers Agora (a HEAD of the bucket): None when it does or no bucket is set, else
    (what is wrong, a sentence naming the setting to correct). What is wrong: `missing` (no such bucket), `refused`
    (the keys or their rights), `unreachable` (the server did not answer: maybe only for now)."""
    if not settings.knowledge_s3_bucket:
        return None
    from botocore.exceptions import BotoCoreError, ClientError

    bucket = settings.knowledge_s3_bucket
    where = settings.knowledge_s3_endpoint_url or "AWS S3"
    try:
        _s3_client(settings, quick=True).head_bucket(Bucket=bucket)
    except ClientError as error:
        code = str(error.response.get("Error", {}).get("Code") or "")
        status = error.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
        if code in ("404", "NoSuchBucket", "NotFound") or status == 404:
            return "missing", (f"The knowledge bucket {bucket!r} does not exist at {where}: create it, or correct "
                               "AGORA_KNOWLEDGE_S3_BUCKET (or AGORA_KNOWLEDGE_S3_ENDPOINT_URL).")
        if code in ("301", "PermanentRedirect", "AuthorizationHeaderMalformed") or status == 301:
            return "refused", f"The knowledge bucket {bucket!r} is in another region: set AGORA_KNOWLEDGE_S3_REGION to its region."
        return "refused", (f"The knowledge bucket {bucket!r} at {where} refused Agora's keys ({code or status}): check "
                           "AGORA_KNOWLEDGE_S3_ACCESS_KEY_ID and AGORA_KNOWLEDGE_S3_SECRET_ACCESS_KEY, and that they may list, "
                           "read and write the bucket.")
    except BotoCoreError as error:
        return "unreachable", (f"The knowledge bucket's server at {where} cannot be reached ({error}): check "
                               "AGORA_KNOWLEDGE_S3_ENDPOINT_URL, or whether that server is up.")
    return None


class S3Store:
    """Objects `<prefix><sha256>` in an S3-compatible bucket (AWS S3, MinIO, Ceph, Garage, R2...), written once: HEAD before PUT."""

    def __init__(self, settings: Settings) -> None:
        self.bucket = settings.knowledge_s3_bucket or ""
        self.prefix = settings.knowledge_s3_prefix
        self.home = settings.home
        self.client = _s3_client(settings)

    def key(self, sha256: str) -> str:
        return self.prefix + sha256

    def keep(self, temporary: Path, sha256: str) -> None:
        try:
            if not self._exists(sha256):
                # upload_file sends large files in parts; the object appears only once whole.
                self.client.upload_file(str(temporary), self.bucket, self.key(sha256), ExtraArgs={"ContentType": "application/octet-stream"})
        finally:
            temporary.unlink(missing_ok=True)

    def _exists(self, sha256: str) -> bool:
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            self.client.head_object(Bucket=self.bucket, Key=self.key(sha256))
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
                return False
            log.error("knowledge storage: HEAD %s in bucket %s refused: %s", self.key(sha256), self.bucket, error)
            raise StorageUnavailable() from error
        except BotoCoreError as error:
            log.error("knowledge storage: bucket %s unreachable: %s", self.bucket, error)
            raise StorageUnavailable() from error
        return True

    @contextmanager
    def local_copy(self, sha256: str) -> Iterator[Path]:
        target = folder(self.home)
        target.mkdir(parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(dir=target, prefix=".download-")
        os.close(fd)
        try:
            self._download(sha256, name)
            yield Path(name)
        finally:
            os.unlink(name)

    def _download(self, sha256: str, name: str) -> None:
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            self.client.download_file(self.bucket, self.key(sha256), name)
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
                raise FileNotFoundError(f"s3://{self.bucket}/{self.key(sha256)}") from error
            log.error("knowledge storage: GET %s in bucket %s refused: %s", self.key(sha256), self.bucket, error)
            raise StorageUnavailable() from error
        except BotoCoreError as error:
            log.error("knowledge storage: bucket %s unreachable: %s", self.bucket, error)
            raise StorageUnavailable() from error

    def chunks(self, sha256: str) -> Iterator[bytes]:
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            body = self.client.get_object(Bucket=self.bucket, Key=self.key(sha256))["Body"]
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
                raise FileNotFoundError(f"s3://{self.bucket}/{self.key(sha256)}") from error
            raise StorageUnavailable() from error
        except BotoCoreError as error:
            raise StorageUnavailable() from error
        try:
            yield from body.iter_chunks(COPY_BYTES)
        finally:
            body.close()


_stores: dict[tuple, Store] = {}
_lock = threading.Lock()


def store_for(settings: Settings) -> Store:
    """The store the settings name; one per configuration and process (a boto3 client is thread-safe and slow to build)."""
    if not settings.knowledge_s3_bucket:
        return LocalStore(settings.home)
    identity = (settings.home, settings.knowledge_s3_bucket, settings.knowledge_s3_prefix, settings.knowledge_s3_endpoint_url,
                settings.knowledge_s3_region, settings.knowledge_s3_access_key_id, settings.knowledge_s3_secret_access_key)
    with _lock:
        if identity not in _stores:
            _stores[identity] = S3Store(settings)
        return _stores[identity]
