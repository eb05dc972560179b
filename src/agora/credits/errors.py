"""The refusal of a priced message nobody can pay for: it says the price, the credit, and where to buy more."""

from __future__ import annotations

from agora.errors import AgoraError
from agora.i18n import gettext as _

BUY_URL = "/credits"


def money(millis: int, currency: str) -> str:
    """$0.05, or $0.005 when a price needs tenths of a cent: integer arithmetic, never a float."""
    symbol = {"USD": "$", "EUR": "€", "GBP": "£"}.get(currency, currency + " ")
    sign = "−" if millis < 0 else ""
    cents, rest = divmod(abs(millis), 1000)
    tail = f"{rest:03d}".rstrip("0") if rest else ""
    return f"{sign}{symbol}{cents // 100:,}.{cents % 100:02d}{tail}"


class CreditsRequired(AgoraError):
    status, code = 402, "credits_required"

    def __init__(self, *, price: int, available: int, currency: str):
        super().__init__(
            _("This GPT costs %(price)s a message and your credit is %(credit)s. Buy credits at %(url)s to continue.",
              price=money(price, currency), credit=money(available, currency), url=BUY_URL),
            field="gpt_id")
        self.price, self.available, self.currency = price, available, currency

    def as_json(self) -> dict:
        body = super().as_json()
        body["error"].update(buy_url=BUY_URL, price=self.price // 1000, credit=self.available // 1000, currency=self.currency)
        return body
