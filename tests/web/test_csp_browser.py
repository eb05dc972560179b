"""Every page, in real Chromium with the Content-Security-Policy enforced, breaks none of it.

Visitor, user, builder and admin pages, at desktop width and at 390 px, each loaded with a
listener for `securitypolicyviolation` (installed before any page script) and for console
errors and uncaught exceptions; the pages' scripts are exercised where they do something
a policy could block: type-ahead, a picture's preview in the editor, a streamed reply
rendered with a table and code. The list of pages is checked against the application's
routes, so a new page cannot be left out.
"""

from __future__ import annotations

import io
import re
from datetime import date

import pytest
from PIL import Image
from playwright.sync_api import expect

from agora.accounts import service as accounts
from agora.app import ROUTERS
from agora.chat.models import Message
from tests.chat.conftest import standin_server, upstream  # noqa: F401 (fixtures)
from tests.conftest import Browser
from tests.providers.admin_helpers import store_provider

pytestmark = pytest.mark.browser

ADMIN, PASSWORD = "root@example.com", "a long admin password"
VIEWPORTS = {"desktop": {"width": 1280, "height": 800}, "phone": {"width": 390, "height": 844}}
REPLY_WITH_MARKUP = "| walrus | tusks |\n|:--|--:|\n| Wally | 2 |\n\n```python\nprint('hi')\n```\n\n[a link](https://example.com)"


def png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (64, 64), (20, 120, 200)).save(buffer, format="PNG")
    return buffer.getvalue()


def page_routes() -> set[str]:
    return {route.path for router, in_schema in ROUTERS if not in_schema for route in router.routes if "GET" in route.methods}


def seed(server, database) -> dict[str, dict[str, str]]:
    """A store with something on every page; the address of each page, by who visits it."""
    with database.session() as session:
        accounts.create_user(session, email=ADMIN, display_name="Root", password=PASSWORD, role="admin")
    provider = store_provider(database, server.url + "/nowhere")
    ada = Browser(base_url=server.url, follow_redirects=False, timeout=30)
    assert ada.signup().status_code == 303
    headers = ada.api_headers()
    gpt = ada.post("/api/gpts", json={"name": "Walrus Guide", "description": "All about walruses", "visibility": "public"},
                   headers=headers).json()["id"]
    avatar = ada.post(f"/api/gpts/{gpt}/avatar", files={"file": ("a.png", png(), "image/png")}, headers=headers).json()["avatar"]
    assert ada.post(f"/api/gpts/{gpt}/publish", json={"note": "first"}, headers=headers).status_code == 200
    assert ada.patch(f"/api/gpts/{gpt}", json={"description": "Everything about walruses"}, headers=headers).status_code == 200
    assert ada.post(f"/api/gpts/{gpt}/publish", json={"note": "second"}, headers=headers).status_code == 200
    assert ada.put(f"/api/gpts/{gpt}/price", json={"price_per_message": 5}, headers=headers).status_code == 200  # the price notes show

    conversation = ada.post("/api/conversations", json={"gpt_id": gpt}, headers=headers).json()["id"]
    with ada.stream("POST", f"/api/conversations/{conversation}/messages", json={"content": "Tell me"}, headers=headers) as reply:
        assert reply.status_code == 200
        reply.read()
    with database.session() as session:  # the stand-in's reply, as a model would write it: markup to render
        for message in session.query(Message).filter_by(conversation_id=conversation, role="assistant"):
            message.content = REPLY_WITH_MARKUP
    share = ada.post(f"/api/conversations/{conversation}/share", headers=headers).json()["url"]
    invoice = ada.post("/api/subscription", json={"plan": "plus"}, headers=headers).json()["invoice"]
    team = ada.post("/api/workspaces", json={"name": "Walrus Inc"}, headers=headers).json()["id"]
    from tests.billing.conftest import put_on_plan

    put_on_plan(database, "ada@example.com", "team", seats=3)
    invite = ada.post(f"/api/workspaces/{team}/invites", json={"email": "bo@example.com"}, headers=headers).json()["url"]
    ada.close()
    year, week, _ = date.today().isocalendar()
    return {
        "visitor": {
            "/": "/", "/signup": "/signup", "/login": "/login", "/pricing": "/pricing", "/search": "/search?q=walrus",
            "/store/{slug}": "/store/productivity", "/store/featured/{week}": f"/store/featured/{year}-W{week:02d}",
            "/builders/{handle}": "/builders/ada", "/g/{gpt_id}": f"/g/{gpt}", "/s/{token}": share.removeprefix(server.url),
            "/invites/{token}": invite.removeprefix(server.url), "/uploads/avatars/{name}": avatar, "error": "/no/such/page",
            "/auth/sso": "/auth/sso", "/auth/oidc/{provider}/login": "/auth/oidc/nobody/login",
            "/auth/oidc/{provider}/callback": "/auth/oidc/nobody/callback?error=access_denied",
            "/password/forgot": "/password/forgot", "/password/reset": "/password/reset?token=not-a-link",
            "/email/verify": "/email/verify?token=not-a-link",
        },
        "builder": {
            "/account": "/account", "/account/api-keys": "/account/api-keys", "/account/builder": "/account/builder",
            "/account/allowed-tools": "/account/allowed-tools", "/logout": "/logout", "/email/unverified": "/email/unverified", "/gpts/new": "/gpts/new", "/gpts/mine": "/gpts/mine", "/gpts/{gpt_id}/edit": f"/gpts/{gpt}/edit",
            "/gpts/{gpt_id}/versions": f"/gpts/{gpt}/versions", "/gpts/{gpt_id}/diff": f"/gpts/{gpt}/diff?before=1&after=2",
            "/c": "/c", "/c/{conversation_id}": f"/c/{conversation}", "/usage": "/usage", "/billing": "/billing",
            "/actions/{action_id}/sign-in": "/actions/act_none/sign-in?next=/", "/actions/oauth/callback": "/actions/oauth/callback?state=none",
            "/billing/invoices/{number}": f"/billing/invoices/{invoice}", "/workspaces": "/workspaces",
            "/workspaces/{workspace_id}": f"/workspaces/{team}", "/workspaces/{workspace_id}/sso": f"/workspaces/{team}/sso",
            "/workspaces/{workspace_id}/scim": f"/workspaces/{team}/scim",
            "/chat/new": f"/chat/new?gpt_id={gpt}&starter=Hello", "/c/{conversation_id}/delete": f"/c/{conversation}/delete",
            "/gpts/{gpt_id}/rollback": f"/gpts/{gpt}/rollback?version=1", "/pricing/confirm": "/pricing/confirm?action=choose&plan=plus&interval=month",
            "/builders/me/earnings": "/builders/me/earnings", "/credits": "/credits", "/gpts/{gpt_id}/price": f"/gpts/{gpt}/price",
            "/builders/me/payouts": "/builders/me/payouts",
            "/workspaces/{workspace_id}/audit": f"/workspaces/{team}/audit", "/workspaces/{workspace_id}/gpts": f"/workspaces/{team}/gpts",
            "/workspaces/{workspace_id}/retention": f"/workspaces/{team}/retention", "/workspaces/{workspace_id}/store": f"/workspaces/{team}/store",
            "/workspaces/{workspace_id}/audit/export.jsonl": f"/workspaces/{team}/audit/export.jsonl",
            "/workspaces/{workspace_id}/gpts.csv": f"/workspaces/{team}/gpts.csv",
            "/me/reviews": "/me/reviews", "/report": f"/report?target=gpt&id={gpt}", "/gpts/{gpt_id}/featured": f"/gpts/{gpt}/featured",
        },
        "admin": {
            "/admin/categories": "/admin/categories", "/admin/featured": "/admin/featured", "/admin/providers": "/admin/providers",
            "/admin/providers/new": "/admin/providers/new", "/admin/providers/{provider_id}": f"/admin/providers/{provider}",
            "/admin/invoices": "/admin/invoices", "/admin/sso": "/admin/sso", "/admin/payouts": "/admin/payouts?preview=2026-11",
            "/admin/moderators": "/admin/moderators", "/moderation": "/moderation", "/moderation/audit": "/moderation/audit",
            "/moderation/audit.csv": "/moderation/audit.csv",
            "/admin/mcp": "/admin/mcp",
        },
    }


class Watched:
    """A browser context whose pages report every policy violation, console error and uncaught exception."""

    def __init__(self, chromium, server, viewport: dict) -> None:
        self.problems: list[str] = []
        self.context = chromium.new_context(base_url=server.url, locale="en-US", viewport=viewport)
        self.context.expose_binding("reportViolation", lambda source, text: self.problems.append(f"{source['page'].url}: {text}"))
        self.context.add_init_script(
            "document.addEventListener('securitypolicyviolation', e =>"
            " window.reportViolation(`CSP ${e.effectiveDirective} blocked ${e.blockedURI || 'inline'} at ${e.sourceFile}:${e.lineNumber}`));"
        )
        self.page = self.context.new_page()
        self.page.set_default_timeout(15_000)
        self.page.on("console", lambda m: m.type == "error" and self.problems.append(f"{self.page.url}: console: {m.text}"))
        self.page.on("pageerror", lambda error: self.problems.append(f"{self.page.url}: exception: {error}"))

    def visit(self, path: str) -> None:
        if path.endswith((".csv", ".jsonl")):  # a download: the browser saves it rather than shows it; its headers still count
            response = self.context.request.get(path)
            assert response.ok, (path, response.status)
            assert "frame-ancestors 'none'" in response.headers.get("content-security-policy", ""), path
            assert response.headers.get("x-frame-options") == "DENY", path
            return
        response = self.page.goto(path, wait_until="networkidle")
        policy = response.headers.get("content-security-policy", "")
        assert "frame-ancestors 'none'" in policy, (path, policy)
        if response.headers["content-type"].startswith("text/html"):
            assert "script-src 'self'" in policy and "unsafe-inline" not in policy, (path, policy)
        assert response.headers.get("x-frame-options") == "DENY", path

    def log_in(self, email: str, password: str) -> None:
        self.visit("/login")
        self.page.get_by_label("Email").fill(email)
        self.page.get_by_label("Password").fill(password)
        self.page.get_by_role("button", name="Log in").click()
        self.page.wait_for_url(lambda url: "/login" not in url)

    def close(self) -> None:
        self.context.close()


def test_the_list_below_covers_every_page():
    covered = {"/", "/signup", "/login", "/pricing", "/search", "/store/{slug}", "/store/featured/{week}", "/builders/{handle}",
               "/g/{gpt_id}", "/s/{token}", "/invites/{token}", "/uploads/avatars/{name}", "/account", "/account/api-keys",
               "/account/allowed-tools", "/account/builder", "/logout", "/gpts/new", "/gpts/mine", "/gpts/{gpt_id}/edit", "/gpts/{gpt_id}/versions",
               "/gpts/{gpt_id}/diff", "/c", "/c/{conversation_id}", "/usage", "/billing", "/billing/invoices/{number}",
               "/workspaces", "/workspaces/{workspace_id}", "/admin/categories", "/admin/featured", "/admin/providers",
               "/admin/providers/new", "/admin/providers/{provider_id}", "/admin/invoices", "/auth/sso", "/auth/oidc/{provider}/login",
               "/auth/oidc/{provider}/callback", "/workspaces/{workspace_id}/sso", "/admin/sso",
               "/workspaces/{workspace_id}/scim", "/chat/new", "/c/{conversation_id}/delete", "/gpts/{gpt_id}/rollback", "/pricing/confirm",
               "/builders/me/earnings", "/admin/payouts", "/credits", "/gpts/{gpt_id}/price", "/admin/mcp", "/builders/me/payouts",
               "/workspaces/{workspace_id}/audit", "/workspaces/{workspace_id}/audit/export.jsonl", "/workspaces/{workspace_id}/gpts",
               "/workspaces/{workspace_id}/gpts.csv", "/workspaces/{workspace_id}/retention", "/workspaces/{workspace_id}/store",
               "/password/forgot", "/password/reset", "/email/verify", "/email/unverified",
               "/me/reviews", "/report", "/admin/moderators", "/moderation", "/moderation/audit", "/moderation/audit.csv",
               "/gpts/{gpt_id}/featured", "/actions/{action_id}/sign-in", "/actions/oauth/callback"}
    assert page_routes() - covered == set(), "add the new pages to seed() and to this list"


@pytest.mark.parametrize("viewport", VIEWPORTS)
def test_every_page_keeps_to_the_policy(viewport, chromium, server, database, upstream):
    pages = seed(server, database)
    assert page_routes() <= {route for by_role in pages.values() for route in by_role}
    visitor, builder, admin = (Watched(chromium, server, VIEWPORTS[viewport]) for _ in range(3))
    try:
        for path in pages["visitor"].values():
            visitor.visit(path)
        visitor.visit("/")
        visitor.page.locator("#store-search").fill("walr")  # type-ahead: a fetch, then the list drawn
        expect(visitor.page.locator("#store-suggestions")).to_be_visible()

        builder.log_in("ada@example.com", "correct horse battery")
        for path in pages["builder"].values():
            builder.visit(path)
        builder.visit(pages["builder"]["/gpts/{gpt_id}/edit"])  # a chosen picture is previewed from a blob: address
        builder.page.locator("#avatar_file").set_input_files({"name": "a.png", "mimeType": "image/png", "buffer": png()})
        builder.visit(pages["builder"]["/c/{conversation_id}"])
        expect(builder.page.locator(".markdown table td.align-right")).to_have_text("2")
        builder.page.get_by_label(re.compile("Message", re.I)).fill("And more?")
        builder.page.keyboard.press("Enter")  # a streamed reply, rendered as it arrives
        expect(builder.page.locator(".message-body.markdown")).to_have_count(2)

        admin.log_in(ADMIN, PASSWORD)
        for path in pages["admin"].values():
            admin.visit(path)
    finally:
        problems = visitor.problems + builder.problems + admin.problems
        for watched in (visitor, builder, admin):
            watched.close()
    # Error pages report their status in the console; these are visited for their markup.
    expected = {"/no/such/page": "404", "/auth/oidc/nobody/login": "404", "/auth/oidc/nobody/callback": "401", "/password/reset": "422",
                "/actions/act_none/sign-in": "404", "/actions/oauth/callback": "400", "/email/verify": "422"}
    remaining = [p for p in problems if not any(path in p and status in p for path, status in expected.items())]
    assert not remaining, "\n".join(remaining)
