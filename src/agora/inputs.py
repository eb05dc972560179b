"""What every edge accepts: ids that fit the id columns, text both databases can store, JSON within limits.

Malformed input must be refused where it enters, naming the field, before anything is
written: these types and the JSON parser are that check, shared by the JSON API, the
pages' forms, imports and /v1, so no endpoint has to remember it.
"""

from __future__ import annotations

import codecs
import re
from typing import Annotated, Any

import jiter
from pydantic import AfterValidator, Field

from agora.errors import InvalidInput
from agora.i18n import gettext as _

# Ids are INTEGER columns: 32 bits on PostgreSQL (64 on SQLite). A larger number in a path
# or a body would otherwise reach the database and fail there (OverflowError on SQLite,
# "integer out of range" on PostgreSQL) instead of being refused.
MAX_ID = 2**31 - 1

Id = Annotated[int, Field(ge=1, le=MAX_ID)]
"""A row's id (or a version's number): positive, and small enough for its column."""


def _at_most(text: str, maximum: int) -> int | None:
    # Checked before int(): "²".isdigit() is true, and int() of 5,000 digits raises.
    return int(text) if text.isascii() and text.isdigit() and len(text) <= len(str(maximum)) and int(text) <= maximum else None


def id_or_none(raw: object) -> int | None:
    """An id as a form read by hand carries it: None unless it is ASCII digits within MAX_ID."""
    return _at_most(str(raw or ""), MAX_ID)


def whole_number(raw: str, *, field: str, default: int, minimum: int, maximum: int) -> int:
    """A number typed into a form read by hand: `default` when left empty, else InvalidInput naming `field`
    unless it is a whole number from `minimum` to `maximum`."""
    if not raw:
        return default
    number = _at_most(raw, maximum)
    if number is None or number < minimum:
        raise InvalidInput(_("%(field)s must be a whole number from %(min)d to %(max)d.", field=field, min=minimum, max=maximum), field=field)
    return number


# NUL: PostgreSQL's text types cannot hold it (psycopg refuses the whole statement). Lone
# surrogates (a JSON "\ud800" escape): not encodable as UTF-8, so neither database can store them.
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


def storable(value: str) -> str:
    if _UNSTORABLE.search(value):
        raise ValueError(_("must not contain NUL characters or unpaired surrogates"))
    return value


def refuse_unstorable(value: str, *, field: str) -> str:
    """`storable` for text a service checks itself (a form read by hand, a field of an imported file)."""
    if _UNSTORABLE.search(value):
        raise InvalidInput(_("%(field)s must not contain NUL characters or unpaired surrogates.", field=field), field=field)
    return value


Text = Annotated[str, AfterValidator(storable)]
"""A string from a request that the databases can store (or look up) as given."""


def parse_json(raw: bytes, *, field: str = "body") -> Any:
    """The JSON document in `raw`, or InvalidInput naming `field` and where the document goes wrong.

    jiter (pydantic's own parser) refuses what Python's json module lets through to fail
    later: nesting deeper than 200 levels (json.loads raises RecursionError near 1,000, in
    C, wherever the stack happens to be), unpaired surrogates, NaN and Infinity; it is
    also faster. A UTF-8 byte order mark, as some editors write, is allowed.
    """
    try:
        return jiter.from_json(raw.removeprefix(codecs.BOM_UTF8), allow_inf_nan=False)
    except ValueError as error:
        reason = str(error).replace("recursion limit exceeded", "nested too deeply")
        raise InvalidInput(_("This is not valid JSON: %(reason)s.", reason=reason), field=field, code="invalid_json") from None
