"""In real Chromium, at desktop width and at 390 px: a person signs in with their work email through
their organisation's OpenID provider and lands in its workspace, the pages keeping to the policy."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.sso.conftest import team_with_sso

pytestmark = pytest.mark.browser
VIEWPORTS = {"desktop": {"width": 1280, "height": 800}, "phone": {"width": 390, "height": 844}}


@pytest.mark.parametrize("viewport", VIEWPORTS)
def test_sign_in_with_the_work_email_through_the_provider(viewport, chromium, server, database, make_browser, idp):
    owner, team_id = team_with_sso(make_browser, database, idp)
    idp.set_user("bo-1", email="bo@acme.example.com", name="Bo Jones", groups=["Agora Admins"])
    context = chromium.new_context(base_url=server.url, locale="en-US", viewport=VIEWPORTS[viewport])
    problems: list[str] = []
    context.add_init_script("document.addEventListener('securitypolicyviolation', e => console.error('CSP ' + e.effectiveDirective))")
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.on("console", lambda m: m.type == "error" and server.url in page.url and problems.append(m.text))
    try:
        page.goto("/login?next=/workspaces")
        page.get_by_role("link", name="Sign in with single sign-on (SSO)").click()
        page.get_by_label("Work email").fill("bo@acme.example.com")
        page.get_by_role("button", name="Continue").click()
        page.wait_for_url(f"{idp.issuer}/**")  # the provider's own sign-in page
        page.get_by_placeholder("sub").fill("bo-1")
        page.get_by_role("button", name="Authorize").click()
        page.wait_for_url(f"{server.url}/workspaces")
        expect(page.get_by_role("link", name="Bo Jones")).to_be_visible()
        expect(page.locator(".workspace-list li", has_text="Acme")).to_contain_text("admin")
        expect(page.locator(".workspace-list li", has_text="Acme")).to_contain_text("current")
        page.goto(f"/workspaces/{team_id}/sso")  # the provider made Bo an admin: the settings are theirs to see
        expect(page.get_by_label("Issuer URL")).to_have_value(idp.issuer)
    finally:
        context.close()
    assert not problems, problems
