"""Sign-up, log-in, log-out and password changes through the pages, as a browser does."""

from sqlalchemy import func, select

from agora.accounts.models import LoginSession, Membership, User, Workspace


def count(database, model) -> int:
    with database.session() as session:
        return session.scalar(select(func.count()).select_from(model))


def test_signup_creates_user_workspace_and_session(browser, database):
    response = browser.signup(email="Ada@Example.com", name="Ada Lovelace", handle="ada")
    assert response.status_code == 303 and response.headers["location"] == "/"
    cookie = response.headers.get_list("set-cookie")
    session_cookie = next(c for c in cookie if c.startswith("agora_session="))
    assert "HttpOnly" in session_cookie and "SameSite=lax" in session_cookie.replace("Lax", "lax")

    account = browser.get("/account")
    assert account.status_code == 200
    assert "ada@example.com" in account.text and "@ada" in account.text
    with database.session() as session:
        user = session.scalar(select(User))
        assert user.email == "ada@example.com" and user.role == "user"
        assert user.password_hash.startswith("$argon2id$")
        workspace = session.scalar(select(Workspace).where(Workspace.owner_id == user.id))
        assert workspace.kind == "personal"
        membership = session.scalar(select(Membership).where(Membership.user_id == user.id))
        assert (membership.workspace_id, membership.role) == (workspace.id, "owner")


def test_handle_is_derived_from_the_name_when_left_blank(browser, make_browser, database):
    browser.signup(email="a@example.com", name="Zoë Durand")
    make_browser().signup(email="b@example.com", name="Zoe Durand")
    with database.session() as session:
        assert sorted(session.scalars(select(User.handle))) == ["zoe-durand", "zoe-durand-2"]


def test_bad_signups_name_the_field_and_write_nothing(browser, database):
    cases = [
        ({"email": "not-an-email"}, "email", "valid email address"),
        ({"password": "short"}, "password", "at least 10 characters"),
        ({"name": "   "}, "display_name", "Enter a display name"),
        ({"handle": "No Spaces!"}, "handle", "lower-case letters"),
        ({"handle": "admin"}, "handle", "reserved"),
    ]
    for change, field, message in cases:
        args = {"email": "ok@example.com", "password": "long enough password", "name": "Ok"} | change
        response = browser.signup(**args)
        assert response.status_code == 422, change
        assert f'id="{field}-error"' in response.text and message in response.text, (change, response.text[-2000:])
    assert count(database, User) == 0 and count(database, Workspace) == 0


def test_duplicate_email_and_handle_are_refused(browser, make_browser, database):
    assert browser.signup(email="ada@example.com", handle="ada").status_code == 303
    other = make_browser()
    duplicate = other.signup(email="ADA@example.com", handle="someone")
    assert duplicate.status_code == 409 and "already exists" in duplicate.text
    taken = other.signup(email="grace@example.com", handle="ada")
    assert taken.status_code == 409 and "is taken" in taken.text
    assert count(database, User) == 1


def test_login_logout_and_wrong_password(browser, make_browser):
    browser.signup()
    visitor = make_browser()
    wrong = visitor.login(password="not the password")
    assert wrong.status_code == 401 and "Wrong email or password" in wrong.text
    unknown = visitor.login(email="nobody@example.com")
    assert unknown.status_code == 401 and "Wrong email or password" in unknown.text

    assert visitor.login().status_code == 303
    assert visitor.get("/account").status_code == 200
    logout = visitor.submit("/logout", {}, form_page="/logout")
    assert logout.status_code == 303
    assert visitor.get("/account").headers["location"].startswith("/login")


def test_logout_ends_the_session_on_the_server(browser, make_browser, database):
    browser.signup()
    stolen_cookie = browser.cookies["agora_session"]
    browser.submit("/logout", {}, form_page="/logout")
    assert count(database, LoginSession) == 0
    replay = make_browser(cookies={"agora_session": stolen_cookie})
    assert replay.get("/account").status_code == 303


def test_change_password_signs_out_other_devices(browser, make_browser):
    browser.signup()
    laptop = make_browser()
    laptop.login()
    bad = browser.submit("/account/password", {"current_password": "wrong one!!", "new_password": "a new long password"}, form_page="/account")
    assert bad.status_code == 422 and "current password is not right" in bad.text
    short = browser.submit("/account/password", {"current_password": "correct horse battery", "new_password": "short"}, form_page="/account")
    assert short.status_code == 422 and 'id="new_password-error"' in short.text

    ok = browser.submit("/account/password", {"current_password": "correct horse battery", "new_password": "a new long password"}, form_page="/account")
    assert ok.status_code == 303
    assert browser.get("/account").status_code == 200  # this device stays signed in
    assert laptop.get("/account").status_code == 303  # the other one is signed out
    assert make_browser().login(password="a new long password").status_code == 303


def test_redirect_after_login_stays_on_this_site(browser):
    browser.signup()
    browser.submit("/logout", {}, form_page="/logout")
    token = browser.csrf("/login")
    response = browser.post("/login", data={"email": "ada@example.com", "password": "correct horse battery", "next": "//evil.example/x", "csrf_token": token})
    assert response.headers["location"] == "/"


def test_tampered_session_cookie_is_ignored(make_browser, browser):
    browser.signup()
    forged = make_browser(cookies={"agora_session": browser.cookies["agora_session"][:-2] + "xx"})
    assert forged.get("/account").status_code == 303
