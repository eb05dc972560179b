"""The parts of Stripe's events Agora reads, checked before anything is written.

A correctly signed event can still lack a field or carry one of another type (an API version
Agora does not know, a hand-made test event). Such an event is refused with 422 naming the
field (`data.object.metadata.plan`), and nothing is stored, not even its id, so Stripe's
retry of a corrected event is applied. Fields Agora does not read are ignored.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from agora.billing.plans import MAX_AMOUNT, MAX_SEATS
from agora.errors import InvalidInput
from agora.i18n import gettext as _

StripeId = Annotated[str, Field(min_length=1, max_length=100)]  # the columns that keep them hold 100 characters
UnixTime = Annotated[int, Field(ge=0, le=253_402_300_799, strict=True)]  # up to 9999-12-31, as datetime allows
Seats = Annotated[int, Field(ge=1, le=MAX_SEATS)]


class _Shape(BaseModel):
    model_config = ConfigDict(extra="ignore")


class _Data(_Shape):
    object: dict[str, Any]


class Envelope(_Shape):
    id: StripeId
    type: Annotated[str, Field(min_length=1, max_length=100)]
    created: UnixTime
    data: _Data


class CheckoutMetadata(_Shape):
    """Set by Agora's Checkout Session (metadata values are strings at Stripe)."""

    workspace_id: Annotated[int, Field(ge=1, le=2**63 - 1)]
    plan: Annotated[str, Field(min_length=1, max_length=20)]
    interval: Literal["month", "year"] = "month"
    seats: Seats = 1


class CheckoutCompleted(_Shape):
    subscription: StripeId | None = None
    customer: StripeId | None = None
    payment_status: str | None = None
    invoice: StripeId | None = None
    metadata: CheckoutMetadata


class CreditMetadata(_Shape):
    """Set by Agora's Checkout Session for credit (agora.credits)."""

    credits_user_id: Annotated[int, Field(ge=1, le=2**63 - 1)]


class CreditCheckout(_Shape):
    """A paid Checkout Session for credit: what Stripe collected is what is credited (not what the metadata asked)."""

    id: StripeId
    payment_status: str | None = None
    amount_total: Annotated[int, Field(ge=0, le=MAX_AMOUNT, strict=True)]
    currency: Annotated[str, Field(pattern=r"^[A-Za-z]{3}$")]
    metadata: CreditMetadata


class TransferObject(_Shape):
    """A Connect transfer (agora.payouts): its id is all Agora reads."""

    id: StripeId


class _SubscriptionDetails(_Shape):
    subscription: StripeId | None = None


class _InvoiceParent(_Shape):
    subscription_details: _SubscriptionDetails | None = None


class InvoiceEvent(_Shape):
    id: StripeId
    subscription: StripeId | None = None  # where API versions before 2025-03-31.basil put it
    parent: _InvoiceParent | None = None  # where later ones do: parent.subscription_details.subscription

    @property
    def subscription_id(self) -> str | None:
        """The subscription the invoice bills, in either API version's shape (None: a one-off invoice)."""
        details = self.parent.subscription_details if self.parent else None
        return self.subscription or (details.subscription if details else None)


class InvoicePaid(InvoiceEvent):
    amount_paid: Annotated[int, Field(ge=0, le=MAX_AMOUNT * MAX_SEATS, strict=True)]
    currency: Annotated[str, Field(pattern=r"^[A-Za-z]{3}$", strict=True)]
    number: Annotated[str, Field(max_length=100)] | None = None


class _Price(_Shape):
    id: StripeId | None = None


class SubscriptionItem(_Shape):
    price: _Price | None = None
    quantity: Seats | None = None
    current_period_end: UnixTime | None = None


class _Items(_Shape):
    data: list[SubscriptionItem] = []


class SubscriptionEvent(_Shape):
    id: StripeId


class SubscriptionUpdated(SubscriptionEvent):
    status: Annotated[str, Field(max_length=40)] | None = None
    cancel_at_period_end: Annotated[bool, Field(strict=True)] = False
    current_period_end: UnixTime | None = None
    items: _Items = _Items()


def parse(shape: type[_Shape], data: Any, *, at: str = ""):
    """`data` as `shape`, or a 422 naming the first wrong field by its path in the event."""
    try:
        return shape.model_validate(data)
    except ValidationError as error:
        first = error.errors()[0]
        field = ".".join([at] * bool(at) + [str(part) for part in first["loc"]])
        raise InvalidInput(_("The Stripe event's %(field)s is missing or wrong: %(problem)s.", field=field, problem=first["msg"]),
                           field=field) from error
