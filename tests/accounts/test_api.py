"""The accounts JSON API: same rules as the pages, errors as {"error": {...}}."""

from sqlalchemy import func, select

from agora.accounts.models import User


def test_signup_login_me_logout(browser):
    headers = browser.api_headers()
    created = browser.post("/api/auth/signup", json={"email": "ada@example.com", "display_name": "Ada", "password": "correct horse battery"}, headers=headers)
    assert created.status_code == 201
    assert created.json()["handle"] == "ada" and "password_hash" not in created.json()
    assert browser.get("/api/me").json()["email"] == "ada@example.com"
    assert browser.post("/api/auth/logout", headers=headers).status_code == 204
    assert browser.get("/api/me").status_code == 401
    login = browser.post("/api/auth/login", json={"email": "ada@example.com", "password": "correct horse battery"}, headers=headers)
    assert login.status_code == 200 and browser.get("/api/me").status_code == 200


def test_errors_have_the_json_shape_and_right_status(browser, database):
    headers = browser.api_headers()
    short = browser.post("/api/auth/signup", json={"email": "ada@example.com", "display_name": "Ada", "password": "short"}, headers=headers)
    assert short.status_code == 422
    assert short.json()["error"]["field"] == "password" and "10 characters" in short.json()["error"]["message"]

    missing = browser.post("/api/auth/signup", json={"email": "ada@example.com"}, headers=headers)
    assert missing.status_code == 422 and missing.json()["error"]["code"] == "invalid_input"
    assert missing.json()["error"]["field"] in ("display_name", "password")

    not_json = browser.post("/api/auth/signup", content=b"{nope", headers={**headers, "content-type": "application/json"})
    assert not_json.status_code == 422 and "error" in not_json.json()

    browser.post("/api/auth/signup", json={"email": "ada@example.com", "display_name": "Ada", "password": "correct horse battery"}, headers=headers)
    duplicate = browser.post("/api/auth/signup", json={"email": "ada@example.com", "display_name": "Ada", "password": "correct horse battery"}, headers=headers)
    assert duplicate.status_code == 409 and duplicate.json()["error"] == {
        "code": "conflict",
        "message": "An account with this email already exists. Log in instead, or use another email.",
        "field": "email",
    }
    wrong = browser.post("/api/auth/login", json={"email": "ada@example.com", "password": "bad password!"}, headers=headers)
    assert wrong.status_code == 401 and wrong.json()["error"]["code"] == "unauthorized"
    with database.session() as session:
        assert session.scalar(select(func.count()).select_from(User)) == 1


def test_password_change_over_the_api(browser):
    headers = browser.api_headers()
    browser.post("/api/auth/signup", json={"email": "ada@example.com", "display_name": "Ada", "password": "correct horse battery"}, headers=headers)
    bad = browser.post("/api/me/password", json={"current_password": "nope nope nope", "new_password": "another long one"}, headers=headers)
    assert bad.status_code == 422 and bad.json()["error"]["field"] == "current_password"
    ok = browser.post("/api/me/password", json={"current_password": "correct horse battery", "new_password": "another long one"}, headers=headers)
    assert ok.status_code == 204


def test_openapi_documents_the_accounts_api(browser):
    paths = browser.get("/api/openapi.json").json()["paths"]
    assert {"/api/auth/signup", "/api/auth/login", "/api/auth/logout", "/api/me", "/api/me/password"} <= set(paths)
