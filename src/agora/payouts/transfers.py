"""Paying builders: a month's payable balances moved out, through Stripe Connect transfers or the operator's bank transfers.

`pay_month` runs in two steps, each builder in a transaction of its own, so a run killed at
any point (kill -9) and started again ends with the same entries, once:

1. **Decide.** For each builder balance: the part earned by the month's end (later earnings
   wait for their month), less nothing else; below AGORA_PAYOUT_MINIMUM it is carried
   forward, and a builder without payout details and tax information is skipped, each with
   the reason recorded (`payout_skips`). Otherwise a `payouts` row (one per builder, month
   and currency: the database refuses a second) and the ledger entry `payout`
   (`payout:<id>`: the builder's balance −amount, `payouts_in_transit` +amount), together.
2. **Send.** Each Stripe payout still in transit is transferred with the payout's id as
   Stripe's idempotency key, so a transfer asked for by a killed run is the same transfer
   when asked again; then `payout_sent` (`payout:<id>:sent`: in transit −amount, `external`
   +amount). A transfer Stripe refuses returns the money (`payout_failed`); a call that got
   no answer stays in transit for the next run. Bank payouts stay in transit until the
   operator confirms them from the CSV (`agora payouts confirm`) or reports them failed.

A failed transfer reported later (Stripe's `transfer.reversed` or `transfer.failed`) returns
the money to the balance with `payout_failed` (`payout:<id>:failed`).
"""

from __future__ import annotations

import csv
import io
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from agora.accounts.models import User
from agora.config import Settings
from agora.db import Database, begin_writing, insert_for, utcnow
from agora.errors import Conflict, InvalidInput, NotFound
from agora.ledger import service as ledger
from agora.ledger.models import LedgerAccount, LedgerEntry, LedgerLeg
from agora.payouts.models import Payout, PayoutProfile, PayoutSkip
from agora.payouts.run import check_month

log = logging.getLogger("agora.payouts")

IN_TRANSIT, PAID, FAILED = "in_transit", "paid", "failed"
STRIPE, BANK = "stripe", "bank"


class TransferRefused(Exception):
    """Stripe answered and refused the transfer (a closed account, a wrong destination): the money goes back."""


# (amount in minor units, currency, destination account, idempotency key, description) -> transfer id.
# Raises TransferRefused when Stripe refused it; any other exception means no answer (tried again next run).
Transfer = Callable[[int, str, str, str, str], str]


@dataclass
class RunReport:
    month: str
    paid: list[Payout] = field(default_factory=list)  # decided by this run or an earlier one
    skipped: list[PayoutSkip] = field(default_factory=list)
    unanswered: list[int] = field(default_factory=list)  # payouts whose transfer got no answer: still in transit


def payable_at(session: Session, account: LedgerAccount, month_end: datetime) -> int:
    """The account's balance less what was earned after the month's end (millis)."""
    later = session.scalar(select(func.coalesce(func.sum(LedgerLeg.amount), 0)).join(LedgerEntry, LedgerEntry.id == LedgerLeg.entry_id)
                           .where(LedgerLeg.account_id == account.id, LedgerLeg.amount > 0, LedgerEntry.occurred_at > month_end))
    return account.balance - int(later or 0)


def missing_details(profile: PayoutProfile | None) -> str | None:
    """Why this builder cannot be paid yet, or None."""
    if profile is None:
        return "no payout details or tax information yet (the builder's payout page)"
    if not (profile.legal_name and profile.country and profile.tax_id):
        return "tax information incomplete (legal name, country, tax id)"
    if profile.method == STRIPE and not profile.stripe_account:
        return "no Stripe account to transfer to"
    if profile.method == BANK and not (profile.bank_holder and profile.bank_iban):
        return "no bank account to transfer to"
    return None


def check_run(month: str, settings: Settings, now: datetime) -> datetime:
    """The month's end, once its hold period is over."""
    _start, end = check_month(month, now=now, dry_run=False)
    opens = end + timedelta(days=settings.payout_hold_days)
    if now < opens:
        raise InvalidInput(f"{month}'s payouts wait for the {settings.payout_hold_days}-day hold period (refunds and clawbacks): "
                           f"run them from {opens:%Y-%m-%d %H:%M} UTC.", field="month")
    return end


def pay_month(database: Database, month: str, settings: Settings, *, transfer: Transfer | None, now: datetime | None = None) -> RunReport:
    """Decide and send the month's payouts; `transfer` is None when Stripe is not configured (Stripe payouts are then skipped)."""
    now = now or utcnow()
    end = check_run(month, settings, now)
    report = RunReport(month)
    with database.session() as session:
        accounts = list(session.execute(select(LedgerAccount.id, LedgerAccount.owner_id, LedgerAccount.currency)
                                        .where(LedgerAccount.kind == ledger.BUILDER).order_by(LedgerAccount.id)))
    for account_id, builder_id, currency in accounts:
        assert builder_id is not None  # a builder account has its owner
        with database.session() as session:
            _decide(session, account_id, builder_id, currency, month, end, settings, stripe_ready=transfer is not None)
    if transfer is not None:
        with database.session() as session:
            waiting = list(session.scalars(select(Payout.id).where(Payout.month == month, Payout.method == STRIPE, Payout.status == IN_TRANSIT)
                                           .order_by(Payout.id)))
        for payout_id in waiting:
            if not _send(database, payout_id, transfer):
                report.unanswered.append(payout_id)
    with database.session() as session:
        report.paid = list(session.scalars(select(Payout).where(Payout.month == month).order_by(Payout.id)))
        report.skipped = list(session.scalars(select(PayoutSkip).where(PayoutSkip.month == month).order_by(PayoutSkip.builder_id)))
        session.expunge_all()
    return report


def _decide(session: Session, account_id: int, builder_id: int, currency: str, month: str, end: datetime, settings: Settings, *,
            stripe_ready: bool) -> None:
    begin_writing(session)  # SQLite: a concurrent run waits here, then finds this builder decided
    done = session.scalar(select(Payout.id).where(Payout.month == month, Payout.builder_id == builder_id, Payout.currency == currency))
    if done is not None:
        return
    account = session.get_one(LedgerAccount, account_id)
    if session.get_bind().dialect.name == "postgresql":  # the balance read is the one paid out: lock it
        session.refresh(account, with_for_update=True)
    payable = payable_at(session, account, end)
    profile = session.get(PayoutProfile, builder_id)
    reason = None
    if payable < ledger.to_millis(settings.payout_minimum):
        if payable <= 0:
            session.execute(delete(PayoutSkip).where(PayoutSkip.month == month, PayoutSkip.builder_id == builder_id, PayoutSkip.currency == currency))
            return  # nothing owed: nothing to say
        reason = f"below the minimum payout of {settings.payout_minimum / 100:.2f} {currency}: carried forward"
    else:
        reason = missing_details(profile)
        if reason is None and profile is not None and profile.method == STRIPE and not stripe_ready:
            reason = "Stripe transfers are not configured on this store (AGORA_BILLING_GATEWAY=stripe and its key)"
    if reason is not None:
        values = {"payable": payable, "reason": reason[:300], "created_at": utcnow()}
        session.execute(insert_for(session)(PayoutSkip).values(month=month, builder_id=builder_id, currency=currency, **values)
                        .on_conflict_do_update(index_elements=["month", "builder_id", "currency"], set_=values))
        return
    assert profile is not None
    cents = payable // ledger.MILLIS_PER_MINOR_UNIT  # whole cents leave; the fraction stays in the balance
    inserted = session.execute(insert_for(session)(Payout).values(
        month=month, builder_id=builder_id, currency=currency, amount=cents, method=profile.method, status=IN_TRANSIT, reason="",
        created_at=utcnow(), updated_at=utcnow()).on_conflict_do_nothing().returning(Payout.id)).first()
    if inserted is None:
        return  # another run decided it first
    payout_id = inserted[0]
    ledger.post(session, kind="payout", key=f"payout:{payout_id}", currency=currency,
                legs=[(account, -ledger.to_millis(cents)), (ledger.account(session, ledger.PAYOUTS_IN_TRANSIT, currency), ledger.to_millis(cents))],
                memo=f"{month} payout {payout_id} ({profile.method})")
    session.execute(delete(PayoutSkip).where(PayoutSkip.month == month, PayoutSkip.builder_id == builder_id, PayoutSkip.currency == currency))


def _send(database: Database, payout_id: int, transfer: Transfer) -> bool:
    """Transfer one Stripe payout; False when Stripe did not answer (it stays in transit)."""
    with database.session() as session:
        payout = session.get_one(Payout, payout_id)
        profile = session.get(PayoutProfile, payout.builder_id)
        destination = profile.stripe_account if profile is not None else ""
        amount, currency, month = payout.amount, payout.currency, payout.month
    try:
        transfer_id = transfer(amount, currency, destination, f"payout-{payout_id}", f"Agora payout {payout_id} for {month}")
    except TransferRefused as refused:
        with database.session() as session:
            fail(session, payout_id, f"Stripe refused the transfer: {refused}")
        return True
    except Exception as error:  # noqa: BLE001 - no answer (any failure to hear back): the idempotency key makes the next attempt the same transfer
        log.warning("payout %s: Stripe did not answer (%s); it stays in transit for the next run", payout_id, error)
        return False
    with database.session() as session:
        sent(session, payout_id, transfer_id=transfer_id)
    return True


def sent(session: Session, payout_id: int, *, transfer_id: str | None = None) -> Payout:
    """The money left: in transit -> the outside world. Idempotent."""
    begin_writing(session)
    payout = _payout(session, payout_id)
    if payout.status == PAID:
        return payout
    if payout.status != IN_TRANSIT:
        raise Conflict(f"Payout {payout_id} is {payout.status}: only a payout in transit can be confirmed.")
    millis = ledger.to_millis(payout.amount)
    ledger.post(session, kind="payout_sent", key=f"payout:{payout_id}:sent", currency=payout.currency,
                legs=[(ledger.account(session, ledger.PAYOUTS_IN_TRANSIT, payout.currency), -millis),
                      (ledger.account(session, ledger.EXTERNAL, payout.currency), millis)],
                memo=f"payout {payout_id} sent" + (f" ({transfer_id})" if transfer_id else ""))
    session.execute(update(Payout).where(Payout.id == payout_id).values(status=PAID, transfer_id=transfer_id, updated_at=utcnow()))
    session.refresh(payout)
    return payout


def fail(session: Session, payout_id: int, reason: str) -> Payout:
    """The transfer failed or was reversed: the money goes back to the builder's balance, with an entry. Idempotent."""
    begin_writing(session)
    payout = _payout(session, payout_id)
    if payout.status == FAILED:
        return payout
    millis = ledger.to_millis(payout.amount)
    source = ledger.PAYOUTS_IN_TRANSIT if payout.status == IN_TRANSIT else ledger.EXTERNAL  # sent, then reversed: it came back in
    ledger.post(session, kind="payout_failed", key=f"payout:{payout_id}:failed", currency=payout.currency,
                legs=[(ledger.account(session, source, payout.currency), -millis),
                      (ledger.account(session, ledger.BUILDER, payout.currency, owner_id=payout.builder_id), millis)],
                memo=f"payout {payout_id} failed: {reason}"[:200])
    session.execute(update(Payout).where(Payout.id == payout_id).values(status=FAILED, reason=reason[:300], updated_at=utcnow()))
    session.refresh(payout)
    return payout


def failed_transfer(session: Session, transfer_id: str, reason: str) -> Payout:
    """Stripe reports a transfer reversed or failed: NotFound (nothing changed) for a transfer no payout made."""
    payout_id = session.scalar(select(Payout.id).where(Payout.transfer_id == transfer_id))
    if payout_id is None:
        raise NotFound(f"No payout has the Stripe transfer {transfer_id!r}: nothing was changed.", field="data.object.id", code="unknown_transfer")
    return fail(session, payout_id, reason)


def _payout(session: Session, payout_id: int) -> Payout:
    payout = session.get(Payout, payout_id)
    if payout is None:
        raise NotFound(f"There is no payout {payout_id}.", field="payout")
    if session.get_bind().dialect.name == "postgresql":
        session.refresh(payout, with_for_update=True)  # two confirmations at once: the second sees the first's status
    return payout


def bank_csv(session: Session, month: str) -> str:
    """The month's bank payouts in transit, for the operator's bank: one row each, with the reference to quote."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["payout_id", "reference", "legal_name", "account_holder", "iban", "bic", "country", "amount", "currency", "email"])
    rows = session.execute(select(Payout, PayoutProfile, User.email).join(PayoutProfile, PayoutProfile.user_id == Payout.builder_id)
                           .join(User, User.id == Payout.builder_id)
                           .where(Payout.month == month, Payout.method == BANK, Payout.status == IN_TRANSIT).order_by(Payout.id))
    for payout, profile, email in rows:
        writer.writerow([payout.id, f"AGORA-PAYOUT-{payout.id}", profile.legal_name, profile.bank_holder, profile.bank_iban, profile.bank_bic,
                         profile.country, f"{payout.amount // 100}.{payout.amount % 100:02d}", payout.currency, email])
    return out.getvalue()


def stripe_transfer(settings: Settings) -> Transfer | None:
    """Transfers through Stripe Connect when the store's gateway is Stripe; None otherwise."""
    if settings.billing_gateway != "stripe" or not settings.stripe_api_key:
        return None
    import stripe

    from agora.billing.stripe_gateway import StripeGateway

    gateway = StripeGateway(settings)

    def transfer(amount: int, currency: str, destination: str, idempotency_key: str, description: str) -> str:
        try:
            return gateway.transfer(amount=amount, currency=currency, destination=destination, idempotency_key=idempotency_key,
                                    description=description)
        except stripe.StripeError as error:
            status = error.http_status or 0
            if 400 <= status < 500 and status not in (409, 429):  # refused for good (409: an idempotent request still running)
                raise TransferRefused(error.user_message or str(error)) from error
            raise

    return transfer
