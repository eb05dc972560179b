"""Making GPTs for store tests through the builder's own services."""

from agora.accounts import service as accounts
from agora.gpts import service as gpts
from agora.gpts.content import GptContent


def publish(database, name: str, *, visibility: str = "public", category: str = "productivity",
            owner_email: str = "maker@example.com", description: str = "", tags: list[str] | None = None,
            starters: list[str] | None = None) -> str:
    with database.session() as session:
        owner = accounts.user_by_email(session, owner_email) or accounts.create_user(
            session, email=owner_email, display_name=owner_email.split("@")[0].title(), password=None
        )
        content = GptContent(name=name, description=description or f"{name} helps you", category=category, tags=tags or [],
                             starters=starters or [])
        gpt = gpts.create_gpt(session, owner=owner, workspace_id=accounts.personal_workspace_id(session, owner),
                              content=content, visibility=visibility)
        gpts.publish(session, gpt, author=owner)
        return gpt.id


def verify_builder(database, email: str, domain: str | None = None) -> None:
    """Give the account a verified website domain, as store.builders.verify records one after fetching its token
    (tests/store/test_builders.py covers that fetch over real HTTPS)."""
    from sqlalchemy import select

    from agora.accounts.models import User
    from agora.db import utcnow
    from agora.store.models import BuilderDomain

    with database.session() as session:
        user = session.scalar(select(User).where(User.email == email))
        session.add(BuilderDomain(user_id=user.id, domain=domain or f"{email.split('@')[0]}.example.org", token="t" * 32, verified_at=utcnow()))
