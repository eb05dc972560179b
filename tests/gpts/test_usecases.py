"""Every builder action refuses the same way through the pages and the JSON API (agora.gpts.usecases).

Each action is walked through both paths by someone who lacks the right: a visitor, another
signed-in user (on a GPT shared by link, which they see but may not change, and on a private
one, which they may not even see), and a builder whose plan lacks the feature. Both paths must
answer the same status with the same message and write nothing (no row, no version, no
audit entry, no picture): a check present on one path and forgotten on the other fails here. The `server`
fixture runs it on SQLite and on PostgreSQL.
"""

from __future__ import annotations

import html
import io
import json
from collections.abc import Callable

import pytest
from PIL import Image
from sqlalchemy import func, select

from agora.accounts.models import User
from agora.accounts.service import personal_workspace_id
from agora.audit.models import AuditEntry
from agora.billing.plans import edit_plan
from agora.gpts.avatars import avatars_dir
from agora.gpts.models import Gpt, GptVersion
from tests.billing.conftest import put_on_plan

Call = Callable[["Actor", str], object]


class Actor:
    """A browser (signed in or not) that submits the pages' forms and calls the API with the same session."""

    def __init__(self, browser, email: str | None = None) -> None:
        self.browser = browser
        if email:
            assert browser.signup(email=email, name=email.split("@")[0]).status_code == 303
        self.headers = browser.api_headers()
        self.token = browser.csrf("/")

    def form(self, path: str, data: dict | None = None, files: dict | None = None):
        return self.browser.post(path, data={**(data or {}), "csrf_token": self.token}, files=files)

    def api(self, method: str, path: str, headers: dict | None = None, **kwargs):
        return self.browser.request(method, path, headers={**self.headers, **(headers or {})}, **kwargs)


def _png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (8, 8), (200, 30, 30)).save(out, format="PNG")
    return out.getvalue()


def _editor(action: str = "save", **fields) -> dict:
    return {"name": "Changed", "category": "writing", "visibility": "link", "action": action, **fields}


def _paths(document: dict, png: bytes, workspace_id: int) -> dict[str, tuple[Call, Call]]:
    """Each action as (its page request, its API request), given who acts and on which GPT."""
    raw = json.dumps(document).encode()
    return {
        "create": (lambda a, g: a.form("/gpts/new", _editor(visibility=g)),
                   lambda a, g: a.api("POST", "/api/gpts", json={"name": "Changed", "category": "writing", "visibility": g})),
        "create in another's workspace": (
            lambda a, g: a.form("/gpts/new", _editor(workspace_id=str(workspace_id))),
            lambda a, g: a.api("POST", "/api/gpts", json={"name": "Changed", "category": "writing", "workspace_id": workspace_id})),
        "edit": (lambda a, g: a.form(f"/gpts/{g}/edit", _editor()),
                 lambda a, g: a.api("PATCH", f"/api/gpts/{g}", json={"name": "Changed", "visibility": "link"})),
        "make public": (lambda a, g: a.form(f"/gpts/{g}/edit", _editor(visibility="public")),
                        lambda a, g: a.api("PATCH", f"/api/gpts/{g}", json={"visibility": "public"})),
        "publish": (lambda a, g: a.form(f"/gpts/{g}/edit", _editor("publish", visibility="public")),
                    lambda a, g: a.api("POST", f"/api/gpts/{g}/publish", json={})),
        "rollback": (lambda a, g: a.form(f"/gpts/{g}/rollback", {"version": "1"}),
                     lambda a, g: a.api("POST", f"/api/gpts/{g}/rollback", json={"version": 1})),
        "fork": (lambda a, g: a.form(f"/gpts/{g}/fork"), lambda a, g: a.api("POST", f"/api/gpts/{g}/fork")),
        "delete": (lambda a, g: a.form(f"/gpts/{g}/delete"), lambda a, g: a.api("DELETE", f"/api/gpts/{g}")),
        "avatar": (lambda a, g: a.form(f"/gpts/{g}/edit", _editor(), files={"avatar_file": ("a.png", png, "image/png")}),
                   lambda a, g: a.api("POST", f"/api/gpts/{g}/avatar", files={"file": ("a.png", png, "image/png")})),
        "import": (lambda a, g: a.form("/gpts/import", files={"file": ("gpt.json", raw, "application/json")}),
                   lambda a, g: a.api("POST", "/api/gpts/import", content=raw, headers={"Content-Type": "application/json"})),
        "versions": (lambda a, g: a.browser.get(f"/gpts/{g}/versions"), lambda a, g: a.api("GET", f"/api/gpts/{g}/versions")),
        "diff": (lambda a, g: a.browser.get(f"/gpts/{g}/diff?before=1&after=1"),
                 lambda a, g: a.api("GET", f"/api/gpts/{g}/diff?before=1&after=1")),
        "my gpts": (lambda a, g: a.browser.get("/gpts/mine"), lambda a, g: a.api("GET", "/api/me/gpts")),
    }


@pytest.fixture
def cast(make_browser, database):
    """Olive builds (Plus); Otto is another user (Plus); Lena's plan lapsed to a Free that makes no GPTs; a visitor."""
    olive, otto, lena = (Actor(make_browser(), f"{name}@example.com") for name in ("olive", "otto", "lena"))
    for email in ("olive@example.com", "otto@example.com", "lena@example.com"):
        put_on_plan(database, email, "plus")

    def made(actor: Actor, **fields) -> str:
        gpt_id = actor.api("POST", "/api/gpts", json={"name": "Helper", "category": "writing", **fields}).json()["id"]
        assert actor.api("POST", f"/api/gpts/{gpt_id}/publish", json={}).status_code == 200
        return gpt_id

    gpts = {"olive's link GPT": made(olive, visibility="link"), "olive's private GPT": made(olive),
            "lena's public GPT": made(lena, visibility="public"), "lena's link GPT": made(lena, visibility="link")}
    shared = gpts["olive's link GPT"]
    document = olive.api("GET", f"/api/gpts/{shared}/export").json()
    put_on_plan(database, "lena@example.com", "free")
    with database.session() as session:
        edit_plan(session, "free", entitlements_patch={"create_gpts": False})
        olive_user = session.scalars(select(User).where(User.email == "olive@example.com")).one()
        workspace_id = personal_workspace_id(session, olive_user)
    actors = {"olive": olive, "otto": otto, "lena": lena, "visitor": Actor(make_browser())}
    return actors, gpts, _paths(document, _png(), workspace_id)


# (action, who, on what: a GPT, or the visibility asked for a new one) -> the refusal both paths
# give: its status, and words of its message.
REFUSALS = [
    ("create", "visitor", "private", 401, "Log in"),
    *[(action, "visitor", "olive's link GPT", 401, "Log in")
      for action in ("edit", "publish", "rollback", "fork", "delete", "avatar", "import", "versions", "diff", "my gpts")],
    *[(action, "otto", "olive's link GPT", 403, "Only the builder of this GPT")
      for action in ("edit", "make public", "publish", "rollback", "delete", "avatar", "versions", "diff")],
    ("fork", "otto", "olive's link GPT", 403, "does not allow forks"),
    *[(action, "otto", "olive's private GPT", 404, "not shared with you") for action in ("edit", "publish", "rollback", "fork", "delete", "avatar", "versions")],
    ("create in another's workspace", "otto", "-", 422, "not a member of workspace"),
    ("create", "lena", "private", 403, "Creating GPTs needs"),
    ("create", "lena", "public", 403, "Creating GPTs needs"),
    ("fork", "lena", "lena's public GPT", 403, "Creating GPTs needs"),
    ("import", "lena", "-", 403, "Creating GPTs needs"),
    ("make public", "lena", "lena's link GPT", 403, "Publishing to the store"),
    ("publish", "lena", "lena's public GPT", 403, "Publishing to the store"),
    ("rollback", "lena", "lena's public GPT", 403, "Publishing to the store"),
]


def _written(database, home) -> tuple:
    """Everything a refused action must leave as it was."""
    with database.session() as session:
        gpts = [tuple(row) for row in session.execute(
            select(Gpt.id, Gpt.draft, Gpt.visibility, Gpt.allow_forks, Gpt.published_version, Gpt.deleted_at).order_by(Gpt.id))]
        versions = session.scalar(select(func.count()).select_from(GptVersion))
        audited = session.scalar(select(func.count()).select_from(AuditEntry))
    pictures = sorted(p.name for p in avatars_dir(home).glob("*")) if avatars_dir(home).exists() else []
    return gpts, versions, audited, pictures


def test_every_action_refuses_alike_on_the_pages_and_the_api(cast, database, server):
    actors, gpts, paths = cast
    home = server.app.state.settings.home
    before = _written(database, home)
    for action, who, target, status, words in REFUSALS:
        actor, gpt_id = actors[who], gpts.get(target, target)
        page_call, api_call = paths[action]
        where = f"{action} by {who} on {target}"
        api = api_call(actor, gpt_id)
        assert api.status_code == status, f"{where}: API answered {api.status_code} {api.text[:300]}"
        message = api.json()["error"]["message"]
        assert words in message, f"{where}: {message}"
        page = page_call(actor, gpt_id)
        if status == 401:  # the page's form of the same refusal: off to the login form, to come back after
            assert page.status_code == 303 and page.headers["location"].startswith("/login?next="), f"{where}: page {page.status_code}"
        else:
            assert page.status_code == status, f"{where}: page answered {page.status_code}, API {status}"
            assert message in html.unescape(page.text), f"{where}: the page does not say {message!r}"
        assert _written(database, home) == before, f"{where}: a refused action wrote something"


def test_a_visitor_asked_to_log_in_comes_back_to_the_page_the_form_was_on(cast):
    actors, gpts, _paths_ = cast
    visitor = actors["visitor"]
    shared = gpts["olive's link GPT"]
    page = visitor.browser.get(f"/gpts/{shared}/diff?before=1&after=1")
    assert page.headers["location"] == f"/login?next=/gpts/{shared}/diff%3Fbefore%3D1%26after%3D1"
    sent = visitor.browser.post(f"/gpts/{shared}/delete", data={"csrf_token": visitor.token},
                                headers={"Referer": f"{visitor.browser.base_url}/gpts/mine"})
    assert sent.headers["location"] == "/login?next=/gpts/mine"  # not the form's address, which has no page
    elsewhere = visitor.browser.post(f"/gpts/{shared}/delete", data={"csrf_token": visitor.token}, headers={"Referer": "https://evil.example/gpts/mine"})
    assert elsewhere.headers["location"] == "/login?next=/"
