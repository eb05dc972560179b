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
