"""A builder's statement for a month: engagement and earnings by GPT and source, commission,
adjustments and payout, as CSV rows and as a PDF (ReportLab), from the same figures the
earnings page shows (agora.payouts.earnings)."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from datetime import datetime

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import getSampleStyleSheet
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from agora.payouts.earnings import MonthEarnings

COLUMNS = ("gpt_id", "gpt", "users", "conversation_days", "source", "amount_millis", "amount")


def rows(month: MonthEarnings, money: Callable[[int, str], str]) -> list[tuple]:
    """One row per GPT and source, then the totals: what both formats print."""
    lines: list[tuple] = [(g.gpt_id, g.name, g.users, g.units, "pool", g.pool, money(g.pool, month.currency)) for g in month.by_gpt]
    total = month.earnings.total
    lines += [
        ("", "Earnings", month.engagement["users"], month.engagement["units"], "pool", total, money(total, month.currency)),
        ("", "Commission", "", "", "", -month.commission, money(-month.commission, month.currency)),
        ("", "Adjustments", "", "", "", 0, money(0, month.currency)),
        ("", "Payout", "", "", "", 0, money(0, month.currency)),
    ]
    return lines


def as_csv(month: MonthEarnings, money: Callable[[int, str], str]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    writer.writerows(rows(month, money))
    return out.getvalue()


def as_pdf(month: MonthEarnings, money: Callable[[int, str], str], *, builder: str, issued: datetime) -> bytes:
    out = io.BytesIO()
    styles = getSampleStyleSheet()
    document = SimpleDocTemplate(out, pagesize=A4, title=f"Agora statement {month.month}", author="Agora")
    table = Table([("GPT", "Users", "Conversation-days", "Source", "Amount"), *((r[1] or r[0], r[2], r[3], r[4], r[6]) for r in rows(month, money))],
                  repeatRows=1, hAlign="LEFT")
    table.setStyle(TableStyle([
        ("FONTNAME", (0, 0), (-1, 0), "Helvetica-Bold"), ("LINEBELOW", (0, 0), (-1, 0), 0.5, colors.black),
        ("ALIGN", (1, 0), (-1, -1), "RIGHT"), ("LINEABOVE", (0, len(month.by_gpt) + 1), (-1, len(month.by_gpt) + 1), 0.5, colors.grey),
    ]))
    story = [
        Paragraph(f"Statement for {month.month} ({month.currency})", styles["Title"]),
        Paragraph(f"Builder: {_escape(builder)}. Issued {issued:%Y-%m-%d %H:%M} UTC.", styles["Normal"]),
        Paragraph(f"The month's revenue pool was {money(month.pool, month.currency)} for {month.pool_units} conversation-days; "
                  f"each GPT earned the pool × its conversation-days / {month.pool_units}.", styles["Normal"]),
        Spacer(1, 12),
        table,
    ]
    document.build(story)
    return out.getvalue()


def _escape(text: str) -> str:
    # ReportLab's Paragraph reads a small XML markup: a builder's name is text.
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
