"""Secrets encrypted at rest (provider API keys, single sign-on client secrets) with a key derived from the application's secret key.

Fernet (AES-128-CBC with an HMAC) under a key that HKDF derives from AGORA_SECRET_KEY, so
the database alone reveals nothing and a tampered value fails to decrypt. A different
secret key (rotated, or another installation's) cannot read the values: `KeyUnreadable`
tells the admin page which provider needs its key entered again.
"""

from __future__ import annotations

import base64
from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

# Names each use of the secret key: the same secret signs cookies, and a derived key for
# one purpose must not be the key of another.
PURPOSE = b"agora provider api keys v1"
SSO_PURPOSE = b"agora sso client secrets v1"


class KeyUnreadable(Exception):
    """Encrypted with another secret key, or altered."""


@lru_cache(maxsize=4)
def _fernet(secret_key: str, purpose: bytes) -> Fernet:
    derived = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=purpose).derive(secret_key.encode())
    return Fernet(base64.urlsafe_b64encode(derived))


def encrypt(plain: str, secret_key: str, purpose: bytes = PURPOSE) -> str:
    return _fernet(secret_key, purpose).encrypt(plain.encode()).decode("ascii")


def decrypt(token: str, secret_key: str, purpose: bytes = PURPOSE) -> str:
    try:
        return _fernet(secret_key, purpose).decrypt(token.encode("ascii")).decode()
    except (InvalidToken, UnicodeError) as error:
        raise KeyUnreadable from error
