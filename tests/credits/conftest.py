"""Per-message price fixtures: the chat and /v1 stand-ins, Stripe's, and a priced GPT with a paying user."""

from __future__ import annotations

from sqlalchemy import select

from agora.accounts import service as accounts
from agora.billing import plans
from agora.credits import purchases
from agora.credits.models import CreditHold
from agora.gpts.models import Gpt
from agora.ledger.models import LedgerAccount, LedgerEntry, LedgerLeg
from tests.billing.conftest import no_trial, put_on_plan, signed_up, stripe_api  # noqa: F401 (fixtures)
from tests.chat.conftest import ChatClient, make_gpt, standin_server, upstream  # noqa: F401 (fixtures)


def priced_gpt(database, cents: int | None, *, owner_email: str = "builder@example.com", name: str = "Walrus Helper") -> str:
    gpt_id = make_gpt(database, owner_email=owner_email, name=name)
    with database.session() as session:
        session.get_one(Gpt, gpt_id).price_per_message = cents
    return gpt_id


def allowance(database, plan: str, messages: int) -> None:
    with database.session() as session:
        plans.edit_plan(session, plan, entitlements_patch={"priced_messages_per_month": messages})


def give_credit(database, email: str, cents: int, reference: str) -> None:
    with database.session() as session:
        user = accounts.user_by_email(session, email)
        purchases.record(session, user_id=user.id, amount=cents, currency="USD", gateway="offline", reference=reference)


def balance(database, code: str) -> int:
    with database.session() as session:
        return session.scalar(select(LedgerAccount.balance).where(LedgerAccount.code == code)) or 0


def user_id(database, email: str) -> int:
    with database.session() as session:
        return accounts.user_by_email(session, email).id


def entries(database, kind: str) -> list[dict[str, int]]:
    """Each entry of `kind`, as {account code: amount}, in order."""
    with database.session() as session:
        found = []
        for entry in session.scalars(select(LedgerEntry).where(LedgerEntry.kind == kind).order_by(LedgerEntry.id)):
            legs = session.execute(select(LedgerAccount.code, LedgerLeg.amount).join(LedgerAccount, LedgerAccount.id == LedgerLeg.account_id)
                                   .where(LedgerLeg.entry_id == entry.id))
            found.append(dict(legs.all()))
        return found


def holds(database) -> list[tuple[str, str]]:
    with database.session() as session:
        return [(h.funding, h.status) for h in session.scalars(select(CreditHold).order_by(CreditHold.created_at))]
