"""Writing the ledger: accounts found or opened, balanced entries posted once, reversals.

`post` is the one function that writes entries. It checks what the database cannot check
on SQLite (the legs sum to zero, one currency), keeps each account's balance in the same
transaction, and runs inside a savepoint, so a refused entry leaves nothing behind even when
the caller goes on with its transaction. The same idempotency key posts once: a retry (or
twenty at once) gets the first entry back; the same key with different legs is a conflict.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from agora.db import insert_for, utcnow
from agora.errors import Conflict, InvalidInput
from agora.ledger.models import LedgerAccount, LedgerEntry, LedgerLeg

MILLIS_PER_MINOR_UNIT = 1000

# Account kinds. Money into an account is positive; the outside world (`external`: payments
# received through a gateway, payouts sent) is where money enters and leaves, so its balance
# is minus everything the platform holds.
EXTERNAL = "external"
PLATFORM_REVENUE = "platform_revenue"
PLATFORM_COMMISSION = "platform_commission"
PROCESSOR_FEES = "processor_fees"
REVENUE_POOL = "revenue_pool"
BUILDER = "builder"
USER_CREDIT = "user_credit"
PAYOUTS_IN_TRANSIT = "payouts_in_transit"
REFUNDS = "refunds"
TAX_WITHHELD = "tax_withheld"
KINDS = frozenset({EXTERNAL, PLATFORM_REVENUE, PLATFORM_COMMISSION, PROCESSOR_FEES, REVENUE_POOL, BUILDER, USER_CREDIT,
                   PAYOUTS_IN_TRANSIT, REFUNDS, TAX_WITHHELD})
OWNED = frozenset({BUILDER, USER_CREDIT})  # one per person
# A user cannot spend credit they do not have; a builder's balance may go below zero (a
# clawback after a refund is a recorded debt, settled from later earnings).
NEVER_NEGATIVE = frozenset({USER_CREDIT, PAYOUTS_IN_TRANSIT})


class InsufficientFunds(Conflict):
    """The entry would take an account that never goes below zero below zero."""


@dataclass(frozen=True, slots=True)
class Posted:
    entry: LedgerEntry
    created: bool  # False: the idempotency key had already posted this entry


def to_millis(minor_units: int) -> int:
    """Whole cents (an invoice's, a payout's) in the ledger's unit."""
    return _whole(minor_units, "amount") * MILLIS_PER_MINOR_UNIT


def account(session: Session, kind: str, currency: str, owner_id: int | None = None) -> LedgerAccount:
    """The account of that kind (and owner) in that currency, opened on first use; concurrent
    first uses open one."""
    if kind not in KINDS:
        raise InvalidInput(f"Unknown ledger account kind {kind!r}: one of {', '.join(sorted(KINDS))}.", field="kind")
    if (kind in OWNED) != (owner_id is not None):
        raise InvalidInput(f"A {kind} account {'needs' if kind in OWNED else 'has no'} owner.", field="owner_id")
    currency = _currency(currency)
    code = f"{kind}:{owner_id}:{currency}" if owner_id is not None else f"{kind}:{currency}"
    found = session.scalar(select(LedgerAccount).where(LedgerAccount.code == code))
    if found is not None:
        return found
    session.execute(insert_for(session)(LedgerAccount).values(code=code, kind=kind, owner_id=owner_id, currency=currency, balance=0,
                                                              created_at=utcnow()).on_conflict_do_nothing(index_elements=["code"]))
    opened = session.scalar(select(LedgerAccount).where(LedgerAccount.code == code))
    assert opened is not None
    return opened


def post(session: Session, *, kind: str, key: str, currency: str, legs: Iterable[tuple[LedgerAccount, int]], memo: str = "",
         occurred_at: datetime | None = None, reverses_id: int | None = None) -> Posted:
    """Write one balanced entry (two or more legs summing to zero, amounts in millis), once per key."""
    currency = _currency(currency)
    legs = [(leg_account, _whole(amount, "amount")) for leg_account, amount in legs]
    _check_balanced(kind, key, currency, legs)
    existing = _by_key(session, key)
    if existing is not None:
        return Posted(_same_or_conflict(session, existing, kind, currency, legs), created=False)
    try:
        with session.begin_nested():
            entry = LedgerEntry(kind=kind, idempotency_key=key, currency=currency, memo=memo[:200], reverses_id=reverses_id,
                                occurred_at=occurred_at or utcnow())
            session.add(entry)
            session.flush()
            session.add_all([LedgerLeg(entry_id=entry.id, account_id=leg_account.id, amount=amount) for leg_account, amount in legs])
            session.flush()
            _apply_balances(session, legs)
    except IntegrityError:
        existing = _by_key(session, key)  # another transaction posted the same key first
        if existing is None:
            raise
        return Posted(_same_or_conflict(session, existing, kind, currency, legs), created=False)
    return Posted(entry, created=True)


def reverse(session: Session, entry_id: int, *, memo: str = "") -> Posted:
    """Undo an entry with its mirror image (every leg negated); an entry is reversed once."""
    original = session.get(LedgerEntry, entry_id)
    if original is None:
        raise InvalidInput(f"There is no ledger entry {entry_id}.", field="entry_id")
    if original.reverses_id is not None:
        raise Conflict(f"Entry {entry_id} is itself a reversal; post a new entry instead.")
    legs = [(session.get(LedgerAccount, leg.account_id), -leg.amount) for leg in legs_of(session, entry_id)]
    return post(session, kind="reversal", key=f"reversal:{entry_id}", currency=original.currency,
                legs=[(leg_account, amount) for leg_account, amount in legs if leg_account is not None],
                memo=memo or f"reverses {original.kind} {entry_id}", reverses_id=entry_id)


def legs_of(session: Session, entry_id: int) -> list[LedgerLeg]:
    return list(session.scalars(select(LedgerLeg).where(LedgerLeg.entry_id == entry_id).order_by(LedgerLeg.account_id)))


def _currency(currency: str) -> str:
    if not isinstance(currency, str) or len(currency) != 3 or not currency.isascii() or not currency.isalpha():
        raise InvalidInput(f"A currency is a three-letter ISO 4217 code such as USD, not {currency!r}.", field="currency")
    return currency.upper()


def _whole(amount: object, field: str) -> int:
    if isinstance(amount, bool) or not isinstance(amount, int):
        raise InvalidInput(f"Ledger amounts are whole numbers of the currency's minor unit, not {amount!r}.", field=field)
    return amount


def _check_balanced(kind: str, key: str, currency: str, legs: list[tuple[LedgerAccount, int]]) -> None:
    if not key or len(key) > 160:
        raise InvalidInput("An entry needs an idempotency key of 1 to 160 characters.", field="key")
    if not kind or len(kind) > 30:
        raise InvalidInput("An entry needs a kind of 1 to 30 characters.", field="kind")
    if len(legs) < 2:
        raise InvalidInput("An entry moves money between at least two accounts.", field="legs")
    if any(amount == 0 for _account, amount in legs):
        raise InvalidInput("A leg of zero moves nothing: leave it out.", field="legs")
    if len({leg_account.id for leg_account, _amount in legs}) != len(legs):
        raise InvalidInput("Each account appears once in an entry: add its amounts together.", field="legs")
    if total := sum(amount for _account, amount in legs):
        raise InvalidInput(f"The legs of an entry sum to zero; these sum to {total}.", field="legs")
    if wrong := [leg_account.code for leg_account, _amount in legs if leg_account.currency != currency]:
        raise InvalidInput(f"Every account of a {currency} entry is in {currency}: {', '.join(wrong)} is not.", field="currency")


def _by_key(session: Session, key: str) -> LedgerEntry | None:
    return session.scalar(select(LedgerEntry).where(LedgerEntry.idempotency_key == key))


def _same_or_conflict(session: Session, existing: LedgerEntry, kind: str, currency: str, legs: list[tuple[LedgerAccount, int]]) -> LedgerEntry:
    stored = sorted((leg.account_id, leg.amount) for leg in legs_of(session, existing.id))
    if existing.kind != kind or existing.currency != currency or stored != sorted((a.id, amount) for a, amount in legs):
        raise Conflict(f"Idempotency key {existing.idempotency_key} already posted a different entry ({existing.id}).")
    return existing


def _apply_balances(session: Session, legs: list[tuple[LedgerAccount, int]]) -> None:
    # In account order, so two entries touching the same accounts lock them in the same order
    # on PostgreSQL (no deadlock); the new balance comes back from the same statement.
    for leg_account, amount in sorted(legs, key=lambda leg: leg[0].id):
        balance = session.scalar(update(LedgerAccount).where(LedgerAccount.id == leg_account.id)
                                 .values(balance=LedgerAccount.balance + amount).returning(LedgerAccount.balance))
        assert balance is not None
        if balance < 0 and leg_account.kind in NEVER_NEGATIVE:
            raise InsufficientFunds(f"{leg_account.code} holds {balance - amount} millis; this entry takes {-amount}.")
        session.expire(leg_account, ["balance"])
