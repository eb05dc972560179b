"""A GPT's per-message price: set by its builder within the operator's bounds, shown before the first message."""

from __future__ import annotations

from sqlalchemy.orm import Session

from agora.accounts.models import User
from agora.audit.chain import record as audit
from agora.config import Settings
from agora.credits.errors import money
from agora.errors import Forbidden, InvalidInput
from agora.gpts import access
from agora.gpts.models import Gpt
from agora.i18n import gettext as _
from agora.ledger.service import to_millis


def check_price(price: object, settings: Settings) -> int | None:
    """A price in minor units (cents) within AGORA_MESSAGE_PRICE_MIN..MAX, or None (free); InvalidInput naming the field and the bounds."""
    if price is None:
        return None
    low, high = settings.message_price_min, settings.message_price_max
    if isinstance(price, bool) or not isinstance(price, int) or not low <= price <= high:
        raise InvalidInput(
            _("price_per_message is a whole number of minor units (cents) from %(low)s to %(high)s (%(low_money)s to %(high_money)s), "
              "or null for a free GPT; %(price)s is not.", low=low, high=high, low_money=label(low, settings.credits_currency),
              high_money=label(high, settings.credits_currency), price=repr(price)),
            field="price_per_message")
    return price


def priced_by(session: Session, user: User, gpt_id: str) -> Gpt:
    """The GPT, if `user` is its builder (who is paid for its messages): NotFound for those who cannot edit it, Forbidden for other editors."""
    gpt = access.find(session, gpt_id, user, "edit")
    if gpt.owner_id != user.id:
        raise Forbidden(_("Only the GPT's builder sets its price: its earnings are theirs."))
    return gpt


def typed(raw: str) -> int | str | None:
    """What was typed in the price field: empty is free, digits (with a sign) a number, anything else left for check_price to refuse."""
    raw = raw.strip()
    if not raw:
        return None
    return int(raw) if raw.lstrip("+-").isdigit() and len(raw) < 20 else raw


def set_price(session: Session, user: User, gpt_id: str, price: object, settings: Settings) -> Gpt:
    """The GPT's builder sets (or, with None, removes) its price; it applies from the next message sent."""
    gpt = priced_by(session, user, gpt_id)
    checked = check_price(price, settings)
    if checked != gpt.price_per_message:
        audit(session, "gpt.priced", actor=user, workspace_id=gpt.workspace_id, target_type="gpt", target_id=gpt.id,
              details={"before": gpt.price_per_message, "after": checked, "currency": settings.credits_currency})
        gpt.price_per_message = checked
    return gpt


def label(cents: int, currency: str) -> str:
    return money(to_millis(cents), currency)
