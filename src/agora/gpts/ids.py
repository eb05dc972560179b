"""Public GPT ids: ``g-`` and 10 random base62 characters (about 59 bits)."""

import secrets
import string

ALPHABET = string.digits + string.ascii_letters
PREFIX = "g-"
LENGTH = 10


def new_gpt_id() -> str:
    return PREFIX + "".join(secrets.choice(ALPHABET) for _ in range(LENGTH))


def is_gpt_id(value: str) -> bool:
    body = value[len(PREFIX) :]
    return value.startswith(PREFIX) and len(body) == LENGTH and all(c in ALPHABET for c in body)
