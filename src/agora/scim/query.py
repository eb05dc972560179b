"""Listing SCIM resources: a filter, startIndex and count (RFC 7644, 3.4.2).

Identity providers look people up one at a time during a sync (`userName eq "..."`,
`externalId eq "..."`, `displayName eq "..."` for groups): those equalities run as an
indexed query. Any other filter is evaluated by scim2-models on the workspace's resources,
up to MAX_SCANNED of them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from scim2_models import SCIMException, ScimFilter
from scim2_models.path.expressions import CompareOperator, Comparison
from sqlalchemy import ColumnElement, Select, func, select
from sqlalchemy.orm import Session

from agora.scim.errors import ScimError

DEFAULT_COUNT = 100
MAX_COUNT = 1000
MAX_SCANNED = 10_000


@dataclass(frozen=True)
class Page:
    total: int
    start: int
    resources: list[Any]


@dataclass(frozen=True)
class Listing:
    """How to list one kind of resource: its rows, the columns simple equalities use, and its SCIM model."""

    model: type
    rows: Select
    created: Any  # the column listings are ordered by, with the id after it
    key: Any
    # attribute (lower-cased) -> (column, how it compares: "exact", "folded" (the column holds the
    # lower-cased value, so its index serves) or "ci" (both sides lower-cased))
    columns: dict[str, tuple[Any, str]]


def page_bounds(start_index: str | None, count: str | None) -> tuple[int, int]:
    """startIndex (1-based, at least 1) and count (0 to MAX_COUNT), as RFC 7644 says to read them."""
    try:
        start = max(1, int(start_index)) if start_index else 1
        wanted = int(count) if count else DEFAULT_COUNT
    except ValueError:
        raise ScimError("startIndex and count are whole numbers.", scim_type="invalidValue") from None
    return start, min(max(wanted, 0), MAX_COUNT)


def search(session: Session, listing: Listing, filter_text: str | None, start: int, count: int,
           to_resource: Callable[[Any], Any]) -> Page:
    rows = listing.rows.order_by(listing.created, listing.key)
    node = _parse(listing.model, filter_text) if filter_text else None
    condition = _as_sql(node, listing.columns) if node is not None else None
    if node is None or condition is not None:
        if condition is not None:
            rows = rows.where(condition)
        total = session.scalar(select(func.count()).select_from(rows.order_by(None).subquery())) or 0
        found = list(session.scalars(rows.offset(start - 1).limit(count))) if count else []
        return Page(total, start, [to_resource(row) for row in found])
    scanned = list(session.scalars(rows.limit(MAX_SCANNED + 1)))
    if len(scanned) > MAX_SCANNED:
        raise ScimError(f"This filter is evaluated resource by resource, and the workspace has more than {MAX_SCANNED}: "
                        "filter on userName, externalId, id or displayName with eq.", scim_type="tooMany")
    matching = [resource for resource in map(to_resource, scanned) if filter_text and _matches(listing.model, filter_text, resource)]
    return Page(len(matching), start, matching[start - 1:start - 1 + count])


def _parse(model: type, text: str) -> Any:
    try:
        return ScimFilter[model](text).ast  # type: ignore[valid-type]
    except (ValueError, TypeError, SCIMException) as error:
        raise ScimError(f"The filter cannot be read: {error}", scim_type="invalidFilter") from None


def _matches(model: type, text: str, resource: Any) -> bool:
    try:
        return bool(ScimFilter[model](text).match(resource))  # type: ignore[valid-type]
    except (ValueError, TypeError, SCIMException) as error:
        raise ScimError(f"The filter cannot be applied: {error}", scim_type="invalidFilter") from None


def _as_sql(node: Any, columns: dict[str, tuple[Any, str]]) -> ColumnElement[bool] | None:
    """`attribute eq "value"` on a column, as SQL; None for anything else."""
    if not isinstance(node, Comparison) or node.op != CompareOperator.eq or node.attr_path.uri or not isinstance(node.value, str):
        return None
    name = str(node.attr_path).lower()
    if name not in columns:
        return None
    column, comparison = columns[name]
    if comparison == "folded":
        return column == node.value.lower()
    return func.lower(column) == node.value.lower() if comparison == "ci" else column == node.value
