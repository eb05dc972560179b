"""Administrators find their pages from any page; other users see no trace of them."""

from __future__ import annotations

from agora.accounts import service as accounts

ADMIN_PAGES = ("/admin/featured", "/admin/categories", "/admin/providers", "/admin/invoices")


def test_admins_reach_every_admin_page_from_the_menu_and_users_do_not_see_them(database, make_browser, browser):
    with database.session() as session:
        accounts.create_user(session, email="root@example.com", display_name="Root", password="a long admin password", role="admin")
    admin = make_browser()
    assert admin.login(email="root@example.com", password="a long admin password").status_code == 303

    assert 'href="/account#administration"' in admin.get("/").text
    account = admin.get("/account").text
    for page in ADMIN_PAGES:
        assert f'href="{page}"' in account
        assert admin.get(page).status_code == 200

    browser.signup()
    assert 'href="/account#administration"' not in browser.get("/").text
    assert not any(f'href="{page}"' in browser.get("/account").text for page in ADMIN_PAGES)
