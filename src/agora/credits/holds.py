"""A priced message, from admission to charge: who pays, the money reserved, then charged once or released.

    quote    (admission, before the model is called)  the price and who would pay; refuses when nobody can
    reserve  (where the message is counted)            a hold, under a lock on the user's credit account
    settle   (the reply's outcome, usage writer)       complete: one ledger entry; otherwise released

Who pays (docs/payouts.md, "Per-message prices"): nobody for the GPT's builder, the members of
its workspace and the editor's preview; otherwise the plan's monthly allowance of priced
messages while it lasts, then the user's credit. A reply that fails or is stopped charges
nothing. The ledger entry's key is the hold's (`message:<key>`), so a batch the usage writer
retries, or a settlement written twice, charges once.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from agora.accounts.models import Membership, User
from agora.billing.entitlements import PlanInForce, plan_in_force
from agora.config import Settings
from agora.credits.errors import CreditsRequired
from agora.credits.models import ALLOWANCE, CHARGED, CREDIT, HELD, RELEASED, UNPAID, CreditHold
from agora.db import begin_writing, utcnow
from agora.errors import AgoraError
from agora.gpts.models import Gpt
from agora.ledger import service as ledger
from agora.ledger.models import LedgerAccount

log = logging.getLogger("agora.credits")


@dataclass(frozen=True, slots=True)
class Commission:
    """The commission rules (settings) a charge is made under."""

    percent: int
    small_percent: int
    threshold: int  # millis of message sales in a calendar year

    @classmethod
    def of(cls, settings: Settings) -> Commission:
        return cls(settings.commission_percent, settings.commission_small_builder_percent,
                   ledger.to_millis(settings.commission_small_builder_threshold))


@dataclass(frozen=True, slots=True)
class Charge:
    """A priced message about to be answered: its hold's key and what it costs (millis)."""

    key: str
    user_id: int
    gpt_id: str
    builder_id: int
    currency: str
    price: int  # millis
    hold_minutes: int
    commission: Commission  # the rules in force at admission: the usage writer that settles has no settings


@dataclass(frozen=True, slots=True)
class Settlement:
    key: str
    complete: bool
    commission: Commission


def split(price: int, percent: int) -> tuple[int, int]:
    """(builder's part, commission) of a price in millis: the commission rounded down, so the builder never gets less."""
    commission = price * percent // 100
    return price - commission, commission


def quote(session: Session, *, user: User, gpt: Gpt, in_force: PlanInForce, settings: Settings, draft: bool = False) -> Charge | None:
    """Admission for a priced GPT: None when this message is free for this user, else its charge.

    Refuses (CreditsRequired, with a link to buy credits) when neither the plan's allowance nor
    the user's credit can pay for it; nothing is reserved yet (`reserve` does, with the quota)."""
    if draft or gpt.price_per_message is None or not is_payer(session, user.id, gpt):
        return None
    charge = Charge(uuid.uuid4().hex, user.id, gpt.id, gpt.owner_id, settings.credits_currency, ledger.to_millis(gpt.price_per_message),
                    settings.credit_hold_minutes, Commission.of(settings))
    _funding(session, charge, in_force, utcnow())
    return charge


def reserve(session: Session, charge: Charge, in_force: PlanInForce) -> str:
    """Hold the charge's money (or a message of the allowance) in the caller's transaction; returns who pays.

    The user's credit account is locked first (PostgreSQL: FOR UPDATE; SQLite has one writer),
    so two sends at once are decided one after the other: the second sees the first's hold."""
    begin_writing(session)
    credit = ledger.account(session, ledger.USER_CREDIT, charge.currency, owner_id=charge.user_id)
    if session.get_bind().dialect.name == "postgresql":
        session.execute(select(LedgerAccount.id).where(LedgerAccount.id == credit.id).with_for_update())
    now = utcnow()
    funding = _funding(session, charge, in_force, now)
    session.add(CreditHold(key=charge.key, user_id=charge.user_id, gpt_id=charge.gpt_id, builder_id=charge.builder_id, currency=charge.currency,
                           price=charge.price, funding=funding, status=HELD, created_at=now,
                           expires_at=now + timedelta(minutes=charge.hold_minutes)))
    session.flush()
    return funding


def is_payer(session: Session, user_id: int, gpt: Gpt) -> bool:
    """Whether this user pays for this GPT's messages: not its builder, nor a member of its workspace (their use earns nothing either)."""
    if gpt.owner_id == user_id:
        return False
    member = session.scalar(select(Membership.id).where(Membership.workspace_id == gpt.workspace_id, Membership.user_id == user_id))
    return member is None


def credit_balance(session: Session, user_id: int, currency: str) -> int:
    """The user's credit in millis (0 before their first purchase)."""
    code = f"{ledger.USER_CREDIT}:{user_id}:{currency}"
    return session.scalar(select(LedgerAccount.balance).where(LedgerAccount.code == code)) or 0


def available_credit(session: Session, user_id: int, currency: str, now: datetime | None = None) -> int:
    """The user's credit (millis) less what live holds reserve."""
    now = now or utcnow()
    balance = credit_balance(session, user_id, currency)
    held = session.scalar(select(func.coalesce(func.sum(CreditHold.price), 0)).where(
        CreditHold.user_id == user_id, CreditHold.status == HELD, CreditHold.funding == CREDIT, CreditHold.currency == currency,
        CreditHold.expires_at > now)) or 0
    return balance - int(held)  # PostgreSQL sums a bigint as numeric (a Decimal)


def allowance_used(session: Session, user_id: int, now: datetime | None = None) -> int:
    """Priced messages the user's plan paid for this calendar month (UTC), live holds included."""
    now = now or utcnow()
    start = now.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    return session.scalar(select(func.count()).select_from(CreditHold).where(
        CreditHold.user_id == user_id, CreditHold.funding == ALLOWANCE, CreditHold.created_at >= start,
        (CreditHold.status == CHARGED) | ((CreditHold.status == HELD) & (CreditHold.expires_at > now)))) or 0


def _funding(session: Session, charge: Charge, in_force: PlanInForce, now: datetime) -> str:
    if allowance_used(session, charge.user_id, now) < in_force.entitlements.priced_messages_per_month:
        return ALLOWANCE
    available = available_credit(session, charge.user_id, charge.currency, now)
    if available >= charge.price:
        return CREDIT
    raise CreditsRequired(price=charge.price, available=max(available, 0), currency=charge.currency)


# ---- the outcome, written by the usage writer with the reply's usage event ----

def settlement(charge: Charge, *, complete: bool, along: tuple[Any, Any] | None) -> tuple[Any, Any]:
    """The usage writer's `along` for a priced reply: the settlement, then what the caller keeps (`along`), in one transaction."""
    return settle_and_keep, (Settlement(charge.key, complete, charge.commission), along)


def settle_and_keep(session: Session, values: list[tuple[Settlement, tuple[Any, Any] | None]]) -> None:
    begin_writing(session)  # SQLite: the settlement reads before it writes
    settle(session, [settlement for settlement, _along in values])
    kept: dict[Any, list[Any]] = {}
    for _settlement, along in values:
        if along is not None:
            kept.setdefault(along[0], []).append(along[1])
    for write, kept_values in kept.items():
        write(session, kept_values)


def settle(session: Session, settlements: list[Settlement]) -> None:
    """Charge the holds of complete replies (one ledger entry each) and release the others; idempotent.

    Never raises for one hold's sake: the usage writer would drop the reply stored alongside.
    A charge the ledger refuses (credit gone below the price: a hold that outlived its
    minutes) marks the hold unpaid and is logged."""
    now = utcnow()
    for item in settlements:
        hold = session.get(CreditHold, item.key)
        if hold is None or hold.status in (CHARGED, RELEASED, UNPAID):
            continue  # already settled (a retried batch), or its user was deleted
        if not item.complete:
            session.execute(update(CreditHold).where(CreditHold.key == hold.key, CreditHold.status == HELD).values(status=RELEASED, settled_at=now))
            continue
        try:
            entry_id = _charge(session, hold, item.commission, now)
        except AgoraError as error:
            log.error("priced message %s could not be charged: %s", hold.key, error.message)
            session.execute(update(CreditHold).where(CreditHold.key == hold.key, CreditHold.status == HELD).values(status=UNPAID, settled_at=now))
            continue
        session.execute(update(CreditHold).where(CreditHold.key == hold.key, CreditHold.status == HELD)
                        .values(status=CHARGED, settled_at=now, entry_id=entry_id))


def commission_percent(session: Session, builder_id: int, commission: Commission, now: datetime) -> int:
    """The smaller commission while the builder's priced messages sold less than the threshold this calendar year (before this one)."""
    year = now.replace(month=1, day=1, hour=0, minute=0, second=0, microsecond=0)
    sold = session.scalar(select(func.coalesce(func.sum(CreditHold.price), 0)).where(
        CreditHold.builder_id == builder_id, CreditHold.status == CHARGED, CreditHold.settled_at >= year)) or 0
    return commission.small_percent if sold < commission.threshold else commission.percent


def _charge(session: Session, hold: CreditHold, commission: Commission, now: datetime) -> int | None:
    builder_part, platform_part = split(hold.price, commission_percent(session, hold.builder_id, commission, now))
    builder = ledger.account(session, ledger.BUILDER, hold.currency, owner_id=hold.builder_id)
    if hold.funding == CREDIT:
        legs = [(ledger.account(session, ledger.USER_CREDIT, hold.currency, owner_id=hold.user_id), -hold.price), (builder, builder_part),
                (ledger.account(session, ledger.PLATFORM_COMMISSION, hold.currency), platform_part)]
        kind = "message_charge"
    else:  # the plan pays: the builder's part comes out of the platform's subscription revenue
        legs = [(ledger.account(session, ledger.PLATFORM_REVENUE, hold.currency), -builder_part), (builder, builder_part)]
        kind = "message_allowance"
    legs = [(leg_account, amount) for leg_account, amount in legs if amount]
    if len(legs) < 2:
        return None  # a commission of 100 % on an allowance message: nothing moves
    posted = ledger.post(session, kind=kind, key=f"message:{hold.key}", currency=hold.currency, legs=legs,
                         memo=f"a message to GPT {hold.gpt_id}", occurred_at=now)
    return posted.entry.id


# ---- what a person is shown before their first message ----

@dataclass(frozen=True, slots=True)
class Terms:
    """A priced GPT's price for this viewer, and what would pay for their next message."""

    price: int  # millis
    currency: str
    pays: bool  # False: the builder, or a member of the GPT's workspace (free for them)
    allowance: int  # priced messages the plan includes each month (0 when not signed in)
    allowance_left: int
    credit: int  # millis the user can spend (their credit less live holds)


def terms(session: Session, user: User | None, gpt: Gpt, settings: Settings) -> Terms | None:
    """None for a free GPT."""
    if gpt.price_per_message is None:
        return None
    price, currency = ledger.to_millis(gpt.price_per_message), settings.credits_currency
    if user is None:
        return Terms(price, currency, True, 0, 0, 0)
    allowance = plan_in_force(session, user, settings).entitlements.priced_messages_per_month
    left = max(allowance - allowance_used(session, user.id), 0)
    return Terms(price, currency, is_payer(session, user.id, gpt), allowance, left, max(available_credit(session, user.id, currency), 0))
