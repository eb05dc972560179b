"""Every state-changing request made with cookies needs a CSRF token."""

from agora.app import ROUTERS


UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}


def unsafe_routes() -> list[str]:
    return sorted(route.path for router, _ in ROUTERS for route in router.routes if route.methods & UNSAFE)


def unsafe_calls() -> list[tuple[str, str]]:
    """(method, path) of every unsafe route: a PATCH- or DELETE-only path answers POST with 405."""
    return sorted(
        (method, route.path) for router, _ in ROUTERS for route in router.routes for method in route.methods & UNSAFE
    )


def test_every_unsafe_route_refuses_a_form_without_token(browser, server):
    browser.signup()
    paths = unsafe_routes()
    assert "/signup" in paths and "/login" in paths and "/api/auth/signup" in paths
    for method, path in unsafe_calls():
        response = browser.request(method, path, data={"email": "x@example.com"})
        assert response.status_code == 403, (method, path)
        assert "expired or did not come from Agora" in response.text, (method, path)


def test_a_forged_or_foreign_token_is_refused(browser, make_browser):
    other = make_browser()
    foreign = other.csrf("/signup")  # valid for the other browser's cookie only
    for token in (foreign, "0" * 64):
        response = browser.post("/signup", data={"email": "a@example.com", "display_name": "A", "password": "long enough pw", "csrf_token": token})
        assert response.status_code == 403


def test_json_calls_with_a_session_cookie_need_the_header(browser):
    browser.signup()
    refused = browser.post("/api/me/password", json={"current_password": "correct horse battery", "new_password": "another long one"})
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "csrf_failed"
    accepted = browser.post("/api/me/password", json={"current_password": "correct horse battery", "new_password": "another long one"}, headers=browser.api_headers())
    assert accepted.status_code == 204


def test_csrf_cookie_is_httponly_and_lax(make_browser):
    fresh = make_browser()
    cookie = next(c for c in fresh.get("/").headers.get_list("set-cookie") if c.startswith("agora_csrf="))
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_a_bearer_header_does_not_excuse_a_cookie_request_from_csrf(browser, make_browser, database):
    """Regression (issue 15, item 7): any `Authorization: Bearer junk` skipped the check, and a
    cross-site form could not send one, but a cookie-signed request carrying one was let through:
    `/admin/invoices/{id}/paid` was marked paid that way."""
    from sqlalchemy import select

    from agora.billing.models import Invoice
    from tests.providers.admin_helpers import ADMIN_PASSWORD, make_admin

    browser.signup()
    number = browser.post("/api/subscription", json={"plan": "plus"}, headers=browser.api_headers()).json()["invoice"]
    admin = make_admin(database, make_browser)
    for bearer in ("Bearer junk", "Bearer agora-sk-0123456789abcdef_nope"):
        refused = admin.post(f"/admin/invoices/{number}/paid", data={}, headers={"Authorization": bearer})
        assert refused.status_code == 403 and "expired or did not come from Agora" in refused.text, bearer
        # The JSON API too: with the session cookie, the header is still needed.
        refused = admin.post("/api/me/password", json={"current_password": ADMIN_PASSWORD, "new_password": "another long one"},
                             headers={"Authorization": bearer})
        assert refused.status_code in (401, 403), bearer
    with database.session() as session:
        assert session.scalar(select(Invoice.status).where(Invoice.number == number)) == "open"


def test_csrf_is_skipped_only_for_a_valid_key_without_a_session_cookie(browser, make_browser, database):
    from tests.api.conftest import make_key

    key = make_key(database, "dev@example.com")
    keyed = make_browser(headers={"Authorization": f"Bearer {key}"})
    created = keyed.post("/api/gpts", json={"name": "Keyed"})
    assert created.status_code == 201, created.text  # a key caller has no cookie to forge: no token needed
    junk = make_browser(headers={"Authorization": "Bearer agora-sk-0123456789abcdef_nope"})
    refused = junk.post("/api/gpts", json={"name": "Junk"})
    assert refused.status_code == 401 and refused.json()["error"]["code"] == "invalid_api_key"
    # The same valid key, sent by a browser that also holds a session cookie: the cookie needs CSRF.
    browser.signup()
    mixed = browser.post("/api/gpts", json={"name": "Mixed"}, headers={"Authorization": f"Bearer {key}"})
    assert mixed.status_code == 403 and mixed.json()["error"]["code"] == "csrf_failed"
