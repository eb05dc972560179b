"""Plans from the command line: create-user --plan and subscription set, with their refusals."""

from __future__ import annotations

from sqlalchemy import select

from agora.billing.models import Subscription, SubscriptionEvent
from tests.billing.conftest import stripe_api  # noqa: F401 (fixture)
from tests.test_cli import cli_env, run  # noqa: F401 (fixture)


def test_create_user_on_plus_then_change_plans_with_events(cli_env, database):
    made = run("create-user", "--email", "p@example.com", "--password", "long enough pass", "--plan", "plus", env=cli_env)
    assert made.returncode == 0, made.stderr
    assert "on the plus plan" in made.stdout
    team = run("subscription", "set", "--email", "p@example.com", "--plan", "team", "--seats", "3", env=cli_env)
    assert team.returncode == 0 and "is on team (3 seats" in team.stdout, team.stderr
    one_seat = run("subscription", "set", "--email", "p@example.com", "--plan", "team", "--seats", "1", env=cli_env)
    assert one_seat.returncode == 2 and "The Team plan needs at least 2 seats." in one_seat.stderr
    unknown = run("subscription", "set", "--email", "p@example.com", "--plan", "gold", env=cli_env)
    assert unknown.returncode == 2 and "Unknown plan 'gold'" in unknown.stderr
    nobody = run("subscription", "set", "--email", "x@example.com", "--plan", "plus", env=cli_env)
    assert nobody.returncode == 2 and "no user with email" in nobody.stderr
    with database.session() as session:
        subs = {s.plan_code: s for s in session.scalars(select(Subscription))}
        assert set(subs) == {"plus", "team"} and subs["team"].seats == 3
        kinds = [e.kind for e in session.scalars(select(SubscriptionEvent).order_by(SubscriptionEvent.id))]
        assert kinds == ["created", "created"]


def test_subscription_set_refuses_a_workspace_stripe_still_bills(cli_env, stripe_api, browser, database):
    """Setting the plan of a workspace with a live Stripe subscription would leave Stripe charging for it."""
    from agora.accounts import service as accounts
    from tests.billing.conftest import deliver

    browser.signup()
    with database.session() as session:
        workspace_id = accounts.personal_workspace_id(session, accounts.user_by_email(session, "ada@example.com"))
    completed = {"id": "cs_test_1", "object": "checkout.session", "subscription": "sub_live", "customer": "cus_1", "payment_status": "paid",
                 "invoice": "in_1", "metadata": {"workspace_id": str(workspace_id), "plan": "plus", "interval": "month", "seats": "1"}}
    assert deliver(browser, "checkout.session.completed", completed, "evt_1").json()["result"] == "processed"
    with database.session() as session:
        events = [e.kind for e in session.scalars(select(SubscriptionEvent))]

    refused = run("subscription", "set", "--email", "ada@example.com", "--plan", "free", env=cli_env)
    assert refused.returncode == 1 and "sub_live" in refused.stderr and "Stripe" in refused.stderr, refused.stderr
    with database.session() as session:
        subscription = session.scalar(select(Subscription))
        assert (subscription.plan_code, subscription.gateway, subscription.external_id, subscription.status) == ("plus", "stripe", "sub_live", "active")
        assert [e.kind for e in session.scalars(select(SubscriptionEvent))] == events  # nothing changed

    # Once Stripe says it ended, the operator's plan replaces it, and is no longer Stripe's to change.
    assert deliver(browser, "customer.subscription.deleted", {"id": "sub_live", "object": "subscription"}, "evt_2").json()["result"] == "processed"
    done = run("subscription", "set", "--email", "ada@example.com", "--plan", "plus", env=cli_env)
    assert done.returncode == 0, done.stderr
    with database.session() as session:
        subscription = session.scalar(select(Subscription))
        assert (subscription.plan_code, subscription.gateway, subscription.external_id, subscription.status) == ("plus", "offline", None, "active")
    late = {"id": "sub_live", "object": "subscription", "status": "active", "items": {"data": [{"price": {"id": "price_team_m"}, "quantity": 2}]}}
    assert deliver(browser, "customer.subscription.updated", late, "evt_3").json()["result"] == "ignored"
