"""Login attempts are rate-limited per email and per IP address, with a clear message."""


def test_too_many_failures_for_one_email_pause_its_logins(browser, make_browser, server):
    browser.signup()
    attacker = make_browser()
    limit = server.settings.login_max_failures_per_email
    for _ in range(limit):
        assert attacker.login(password="guess guess guess").status_code == 401
    blocked = attacker.login(password="guess guess guess")
    assert blocked.status_code == 429
    assert "Too many failed logins for this email" in blocked.text
    assert 0 < int(blocked.headers["retry-after"]) <= server.settings.login_window_minutes * 60
    # Even the right password waits: the limit is not an oracle for the password.
    assert make_browser().login().status_code == 429


def test_a_successful_login_clears_that_emails_failures(browser, make_browser, server):
    browser.signup()
    visitor = make_browser()
    for _ in range(server.settings.login_max_failures_per_email - 1):
        visitor.login(password="guess guess guess")
    assert visitor.login().status_code == 303
    assert visitor.login(password="guess guess guess").status_code == 401  # counting starts again


def test_too_many_failures_from_one_address_pause_all_its_logins(browser, make_browser, server):
    browser.signup()
    attacker = make_browser()
    for n in range(server.settings.login_max_failures_per_ip):
        # Different emails each time: only the per-address limit can stop this.
        assert attacker.login(email=f"victim{n}@example.com", password="guess guess guess").status_code == 401
    blocked = attacker.login(email="someone-else@example.com", password="guess guess guess")
    assert blocked.status_code == 429 and "from your network" in blocked.text


def test_api_rate_limit_answers_json_with_retry_after(browser, server):
    headers = browser.api_headers()
    for _ in range(server.settings.login_max_failures_per_email):
        browser.post("/api/auth/login", json={"email": "x@example.com", "password": "guess guess"}, headers=headers)
    blocked = browser.post("/api/auth/login", json={"email": "x@example.com", "password": "guess guess"}, headers=headers)
    assert blocked.status_code == 429
    assert blocked.json()["error"]["code"] == "rate_limited" and "retry-after" in blocked.headers
