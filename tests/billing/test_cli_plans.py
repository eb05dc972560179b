"""Plans from the command line: create-user --plan and subscription set, with their refusals."""

from __future__ import annotations

from sqlalchemy import select

from agora.billing.models import Subscription, SubscriptionEvent
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
