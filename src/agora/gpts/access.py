"""Who may see, use and edit a GPT: the one place that decides.

`allowed()` is a SQL condition, so the same rule filters a single lookup, the store's
listings, search and counts; nothing decides visibility in Python next to it.

- private: the owner only.
- link: anyone with the URL; never listed or searchable.
- workspace: members of the GPT's workspace (listed for them, not for others).
- public: everyone, and listed in the store.
Only published, undeleted GPTs are seen by non-editors. Editors are the owner and, for a
GPT shared beyond its owner, the admins of its workspace; they also see drafts.
"""

from __future__ import annotations

from functools import cache
from typing import Literal, Protocol

from sqlalchemy import ColumnElement, Integer, Select, bindparam, false, select, true
from sqlalchemy.orm import Session

from agora.accounts.models import Membership, User
from agora.errors import Forbidden, NotFound
from agora.gpts.content import GptContent
from agora.gpts.ids import is_gpt_id
from agora.gpts.models import Gpt
from agora.i18n import gettext as _

# view and use (chat, export) are the same permission; "list" is appearing in the store.
Action = Literal["list", "view", "use", "edit"]
WORKSPACE_EDITOR_ROLES = ("owner", "admin")


class Someone(Protocol):
    """Whom allowed() decides for: a user, or SIGNED_IN in a statement built once."""

    @property
    def id(self) -> object: ...


class _SignedIn:
    """Any signed-in viewer, in a statement built once and run for many: its id is the
    bound parameter `viewer_id`. Building a statement costs far more than running it (at a
    GPT page's pace, SQLAlchemy's construction was 20 times the SQLite lookup)."""

    id = bindparam("viewer_id", type_=Integer)


SIGNED_IN = _SignedIn()


def _in_workspace_of(viewer: Someone, roles: tuple[str, ...] | None = None) -> ColumnElement[bool]:
    memberships = select(Membership.workspace_id).where(Membership.user_id == viewer.id)
    if roles:
        memberships = memberships.where(Membership.role.in_(roles))
    return Gpt.workspace_id.in_(memberships)


def allowed(viewer: Someone | None, action: Action) -> ColumnElement[bool]:
    """The condition on `Gpt` rows under which `viewer` may perform `action`."""
    live = Gpt.deleted_at.is_(None)
    if action == "edit":
        if viewer is None:
            return false()
        shared = Gpt.visibility != "private"
        return live & ((Gpt.owner_id == viewer.id) | (shared & _in_workspace_of(viewer, WORKSPACE_EDITOR_ROLES)))
    published = live & Gpt.published_version.is_not(None)
    in_workspace = (Gpt.visibility == "workspace") & _in_workspace_of(viewer) if viewer else false()
    if action == "list":
        return published & ((Gpt.visibility == "public") | in_workspace)
    shared_with_viewer = Gpt.visibility.in_(("public", "link")) | in_workspace
    return (published & shared_with_viewer) | allowed(viewer, "edit")


def can(session: Session, gpt: Gpt, viewer: User | None, action: Action) -> bool:
    if viewer is None and action == "edit":  # allowed() is false() then: spare every visitor's page a query
        return False
    return session.scalar(select(true()).where(Gpt.id == gpt.id, allowed(viewer, action))) is not None


def find(session: Session, gpt_id: str, viewer: User | None, action: Action = "view") -> Gpt:
    """The GPT, if the viewer may perform `action` on it.

    404 when the viewer cannot even see it, so nobody learns that a private GPT exists;
    403 when they can see it but the action (editing) is not theirs.
    """
    if not is_gpt_id(gpt_id):  # not one Agora could have made (a NUL would fail PostgreSQL's lookup)
        raise not_found(gpt_id)
    gpt = session.scalar(select(Gpt).where(Gpt.id == gpt_id, allowed(viewer, action)))
    if gpt is not None:
        return gpt
    if action == "edit" and session.scalar(select(true()).where(Gpt.id == gpt_id, allowed(viewer, "view"))):
        raise Forbidden(_("Only the builder of this GPT and their workspace admins can change it."))
    raise not_found(gpt_id)


@cache
def _usable_by_id() -> Select[Gpt]:
    """find_usable's statement, built once: every chat message and /v1 GPT call runs it, and building it
    took 7 times as long as running it (1.4 ms of CPU against 0.2, measured with cProfile)."""
    return select(Gpt).where(Gpt.id == bindparam("gpt_id"), usable(SIGNED_IN))


def usable(viewer: Someone) -> ColumnElement[bool]:
    """Published GPTs the viewer may chat with: shared with them (public, link, their workspaces) and their own."""
    return allowed(viewer, "use") & Gpt.published_version.is_not(None)


def find_usable(session: Session, gpt_id: str, viewer: User, *, field: str = "gpt_id") -> Gpt:
    """The published GPT, if the viewer may chat with it; NotFound (naming `field`) otherwise."""
    gpt = session.scalar(_usable_by_id(), {"gpt_id": gpt_id, "viewer_id": viewer.id}) if is_gpt_id(gpt_id) else None
    if gpt is None:
        raise NotFound(_("You cannot chat with GPT %(id)s: it does not exist or is not shared with you.", id=gpt_id), field=field)
    return gpt


def not_found(gpt_id: str) -> NotFound:
    """The one answer for a GPT someone may not see, whether or not it exists."""
    return NotFound(_("There is no GPT %(id)s, or it is not shared with you.", id=gpt_id))


def shows_instructions(session: Session, gpt: Gpt, viewer: User | None, content: GptContent) -> bool:
    """Hidden instructions are sent to editors only: never in pages, API answers or exports."""
    return not content.hide_instructions or can(session, gpt, viewer, "edit")


def redacted(content: GptContent) -> GptContent:
    """The content with every copy of the instructions removed (main text and translations)."""
    localized = {lang: text.model_copy(update={"instructions": ""}) for lang, text in content.localized.items()}
    return content.model_copy(update={"instructions": "", "localized": localized})
