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
