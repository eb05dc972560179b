"""What the confirmation step before a plan change says: the plan, the seats and the amount, in the reader's locale."""

from __future__ import annotations

from agora.billing import plans
from agora.billing.views import Pricing, money_in
from agora.errors import InvalidInput
from agora.i18n import gettext as _
from agora.inputs import whole_number
from agora.web.confirm import Confirmation


def plan_change(view: Pricing, form: dict[str, str], *, language: str) -> Confirmation:
    """Refuses (InvalidInput naming the field) what POST /pricing would refuse before asking anything."""
    fields = [("idempotency_key", form.get("idempotency_key", ""))]
    if form.get("action") == "cancel":
        return Confirmation(
            title=_("Go back to Free?"),
            lines=[_("Your plan stays until the end of the period you paid for; then the workspace is on Free, with Free's limits.")],
            action="/pricing", button=_("Go back to Free at the end of the period"), cancel="/pricing",
            fields=[*fields, ("action", "cancel")], danger=True,
        )
    plan = next((p for p in view.plans if p.code == form.get("plan") and p.prices), None)
    if plan is None:
        raise InvalidInput(_("Choose one of the plans on this page."), field="plan")
    interval = form.get("interval") or "month"
    price = next((p for p in plan.prices if p.interval == interval), None)
    if price is None:
        raise InvalidInput(_("%(plan)s is not billed that way: choose monthly or yearly as the page offers.", plan=plan.name), field="interval")
    seats = whole_number(form.get("seats", ""), field="seats", default=1, minimum=1, maximum=plans.MAX_SEATS) if price.per_seat else 1
    total = money_in(price.amount * seats, price.currency, language)
    if price.per_seat:
        each = money_in(price.amount, price.currency, language)
        cost = (_("%(amount)s per year (%(seats)s seats at %(each)s)", amount=total, seats=seats, each=each) if interval == "year"
                else _("%(amount)s per month (%(seats)s seats at %(each)s)", amount=total, seats=seats, each=each))
    else:
        cost = _("%(amount)s per year", amount=total) if interval == "year" else _("%(amount)s per month", amount=total)
    if view.subscription is not None:
        title = _("Switch to %(plan)s for %(cost)s?", plan=plan.name, cost=cost)
        how = _("The change is prorated: the difference for the rest of the current period is invoiced (or credited) now.")
    else:
        title = _("Choose %(plan)s for %(cost)s?", plan=plan.name, cost=cost)
        how = _("The first invoice, for %(amount)s, is issued now; the plan then renews at that price until you cancel it.", amount=total)
    return Confirmation(
        title=title, lines=[how], action="/pricing", button=_("Confirm: %(cost)s", cost=cost), cancel="/pricing",
        fields=[*fields, ("action", "choose"), ("plan", plan.code), ("interval", interval), ("seats", str(seats))],
    )
