"""Usage events of one month as CSV or JSON lines, streamed in id order (constant memory)."""

from __future__ import annotations

import csv
import json
from datetime import UTC, datetime
from typing import TextIO

from sqlalchemy import select
from sqlalchemy.orm import Session

from agora.metering.models import UsageRecord

FIELDS = ("id", "idempotency_key", "created_at", "user_id", "workspace_id", "plan_code", "gpt_id", "gpt_version", "builder_id",
          "model", "source", "conversation_id", "message_id", "status", "prompt_tokens", "completion_tokens", "latency_ms")


def month_bounds(month: str) -> tuple[datetime, datetime]:
    year, number = (int(part) for part in month.split("-"))
    start = datetime(year, number, 1, tzinfo=UTC)
    end = datetime(year + number // 12, number % 12 + 1, 1, tzinfo=UTC)
    return start, end


def rows(session: Session, *, month: str, batch: int = 5000):
    start, end = month_bounds(month)
    last_id = 0
    while True:
        chunk = list(session.scalars(
            select(UsageRecord).where(UsageRecord.created_at >= start, UsageRecord.created_at < end, UsageRecord.id > last_id)
            .order_by(UsageRecord.id).limit(batch)
        ))
        if not chunk:
            return
        for record in chunk:
            yield {field: _plain(getattr(record, field)) for field in FIELDS}
        last_id = chunk[-1].id
        session.expunge_all()


def _plain(value):
    return value.isoformat() if isinstance(value, datetime) else value


def write(session: Session, *, month: str, fmt: str, out: TextIO) -> int:
    count = 0
    writer = csv.DictWriter(out, fieldnames=FIELDS) if fmt == "csv" else None
    if writer:
        writer.writeheader()
    for row in rows(session, month=month):
        if writer:
            writer.writerow(row)
        else:
            out.write(json.dumps(row) + "\n")
        count += 1
    return count
