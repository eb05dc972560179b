"""The clone check: instructions nearly the same as a listed GPT's of another builder.

Each listed GPT's instructions are kept as a MinHash signature (128 permutations over word 5-grams of the
folded text, `datasketch`) in moderation_fingerprints, split into 16 bands of 8 rows (moderation_fingerprint_bands):
a GPT whose signature shares a band with a listed one is compared with it, and flagged when their estimated
Jaccard similarity reaches AGORA_MODERATION_CLONE_THRESHOLD (0.8 by default). With 16 bands of 8 rows, a pair
at 0.8 shares a band with probability 1-(1-0.8^8)^16 = 0.94, at 0.9 with 0.9999, at 0.5 with 0.06 (then compared
and passed). Instructions shorter than MIN_WORDS are not compared: short prompts ('You are a helpful assistant')
are the same everywhere without being copied. The original keeps precedence: only GPTs already listed are
candidates, so the one listed first is the original and the newcomer is the one flagged.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import datetime

from datasketch import MinHash
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from agora.db import utcnow
from agora.gpts.models import Gpt
from agora.moderation.models import Fingerprint, FingerprintBand
from agora.text import fold

PERMUTATIONS, BANDS, ROWS = 128, 16, 8
SHINGLE_WORDS = 5
MIN_WORDS = 30
SEED = 1  # fixed: signatures stored in the database must stay comparable across processes and releases
_WORD = re.compile(r"\w+")


def signature(instructions: str) -> list[int] | None:
    """The MinHash signature of the instructions, or None when they are too short to compare."""
    words = _WORD.findall(fold(instructions))
    if len(words) < MIN_WORDS:
        return None
    shingles = {" ".join(words[i:i + SHINGLE_WORDS]).encode() for i in range(len(words) - SHINGLE_WORDS + 1)}
    minhash = MinHash(num_perm=PERMUTATIONS, seed=SEED)
    minhash.update_batch(list(shingles))
    return [int(value) for value in minhash.hashvalues]


def similarity(a: list[int], b: list[int]) -> float:
    return sum(x == y for x, y in zip(a, b, strict=True)) / PERMUTATIONS


def _bands(values: list[int]) -> list[str]:
    return [hashlib.blake2b(repr(values[i * ROWS:(i + 1) * ROWS]).encode(), digest_size=16).hexdigest() for i in range(BANDS)]


@dataclass(frozen=True)
class Match:
    gpt_id: str
    name: str
    similarity: float
    listed_at: datetime


def originals(session: Session, *, instructions: str, builder_id: int, gpt_id: str, threshold: float) -> list[Match]:
    """Listed GPTs of other builders whose instructions this GPT's nearly repeat, the first listed first: the original."""
    values = signature(instructions)
    if values is None:
        return []
    candidates = session.execute(
        select(Fingerprint, Gpt.name).join(Gpt, Gpt.id == Fingerprint.gpt_id)
        .where(Fingerprint.gpt_id.in_(select(FingerprintBand.gpt_id).where(FingerprintBand.band.in_(_bands(values)))),
               Fingerprint.builder_id != builder_id, Fingerprint.gpt_id != gpt_id,
               Gpt.review_state == "listed", Gpt.deleted_at.is_(None))
    ).all()
    matches = [Match(fp.gpt_id, name, round(similarity(values, fp.signature), 3), fp.listed_at) for fp, name in candidates]
    return sorted((m for m in matches if m.similarity >= threshold), key=lambda m: (m.listed_at, -m.similarity, m.gpt_id))


def remember(session: Session, gpt: Gpt, instructions: str) -> None:
    """Keep a listed GPT's fingerprint (replacing its previous one, keeping when it was first listed): newcomers are compared with it."""
    first_listed = session.scalar(select(Fingerprint.listed_at).where(Fingerprint.gpt_id == gpt.id))
    forget(session, gpt.id)
    values = signature(instructions)
    if values is None:
        return
    session.add(Fingerprint(gpt_id=gpt.id, builder_id=gpt.owner_id, signature=values, listed_at=first_listed or utcnow()))
    session.add_all(FingerprintBand(gpt_id=gpt.id, number=n, band=band) for n, band in enumerate(_bands(values)))
    session.flush()


def forget(session: Session, gpt_id: str) -> None:
    session.execute(delete(FingerprintBand).where(FingerprintBand.gpt_id == gpt_id))
    session.execute(delete(Fingerprint).where(Fingerprint.gpt_id == gpt_id))
