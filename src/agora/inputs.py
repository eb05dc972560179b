"""What every edge accepts: JSON within limits.

Malformed input must be refused where it enters, naming the field, before anything is
written: the JSON parser is that check, shared by the JSON API, imports and /v1, so no
endpoint has to remember it.
"""

from __future__ import annotations

import codecs
from typing import Any

import jiter

from agora.errors import InvalidInput
from agora.i18n import gettext as _


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
