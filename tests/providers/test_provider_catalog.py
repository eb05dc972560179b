"""Providers from the admin page at run time: keys encrypted at rest, routing by model, reloads, a rotated secret key."""

from __future__ import annotations

import asyncio
import time

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.orm import sessionmaker

from agora.accounts import service as accounts
from agora.db import Database
from agora.providers import configs, encryption
from agora.providers.catalog import Catalog
from tests.chat.conftest import ChatClient, eventually, make_gpt
from tests.conftest import SECRET
from tests.providers.admin_helpers import API_KEY, add_provider, make_admin, store_provider


def test_keys_are_encrypted_at_rest_and_read_back(database, upstream):
    provider_id = store_provider(database, upstream.base_url)
    with database.engine.connect() as connection:
        raw = connection.execute(text("SELECT * FROM provider_configs WHERE id = :id"), {"id": provider_id}).one()
    ciphertext = raw._mapping["api_key_encrypted"]
    assert API_KEY not in " ".join(str(value) for value in raw)  # no column holds the key, or part of it in clear
    assert "abcdefghijklmnop" not in ciphertext
    assert encryption.decrypt(ciphertext, SECRET) == API_KEY
    with pytest.raises(encryption.KeyUnreadable):
        encryption.decrypt(ciphertext, SECRET + "-rotated")
    with pytest.raises(encryption.KeyUnreadable):  # altered in the database: refused, not garbage
        encryption.decrypt(ciphertext[:-4] + ("AAAA" if not ciphertext.endswith("AAAA") else "BBBB"), SECRET)
    assert encryption.encrypt(API_KEY, SECRET) != ciphertext  # a fresh IV each time: equal keys do not look equal


def test_the_catalog_routes_each_model_to_its_provider(database, server, upstream):
    store_provider(database, upstream.base_url, name="first", models="standin-db,shared")
    store_provider(database, "http://127.0.0.1:9/v1", name="second", models="shared,elsewhere")
    catalog = Catalog(settings=server.settings, database=database, secret_key=SECRET)
    offered = catalog.models()
    assert offered[0] == "smollm2-135m-instruct"  # no default chosen: the settings' provider's, as before
    assert set(offered) == {"smollm2-135m-instruct", "standin-db", "shared", "elsewhere"}
    by_name = {source.name: source for source in catalog.sources()}
    assert catalog.provider_for("shared") is by_name["first"].provider  # first by name answers
    assert catalog.provider_for("elsewhere") is by_name["second"].provider
    assert catalog.context_window("standin-db") == 8192


def test_another_worker_sees_a_change_when_it_next_checks(database, server, upstream):
    worker = Catalog(settings=server.settings, database=database, secret_key=SECRET, recheck_seconds=3600)
    assert "standin-db" not in worker.models()
    provider_id = store_provider(database, upstream.base_url)
    assert "standin-db" not in worker.models()  # within its recheck interval it trusts its snapshot
    worker.invalidate()  # what the interval's end does
    assert "standin-db" in worker.models()
    with database.session() as session:
        configs.set_enabled(session, accounts.user_by_email(session, "ops@example.com"), provider_id, enabled=False)
    assert "standin-db" not in Catalog(settings=server.settings, database=database, secret_key=SECRET).models()


def one_connection(database: Database) -> Database:
    """The same database behind a pool of one connection that gives up after a second.

    What a burst of sends does to the real pool: every connection is held by a reply's
    transaction, so anything inside one that asks the pool for another waits for the pool's
    timeout (30 s) and fails with "QueuePool limit ... timed out".
    """
    narrow = Database(database.url)
    narrow.engine.dispose()
    sqlite = {"check_same_thread": False} if database.dialect == "sqlite" else {}
    narrow.engine = create_engine(database.url, pool_size=1, max_overflow=0, pool_timeout=1, connect_args=sqlite)
    narrow.sessions = sessionmaker(narrow.engine, expire_on_commit=False)
    return narrow


def test_a_reply_transaction_asks_the_catalog_without_a_second_connection(database, server, upstream):
    narrow = one_connection(database)
    worker = Catalog(settings=server.settings, database=narrow, secret_key=SECRET, recheck_seconds=0.1)
    try:
        assert "standin-db" not in worker.models()
        store_provider(database, upstream.base_url)  # an admin's change, from another worker
        time.sleep(0.3)  # the recheck is due
        with narrow.session() as session:  # a reply's transaction, a writer, holding the only connection
            session.execute(text("UPDATE users SET id = id WHERE id < 0"))
            model = worker.models()[0]
            assert worker.context_window(model) > 0 and worker.count_tokens([{"role": "user", "content": "Hi"}], model) > 0
        # ... and the change still arrives, with no request asking for it.
        assert eventually(lambda: "standin-db" in worker.models(), within=5)
    finally:
        asyncio.run(worker.aclose())
        narrow.dispose()


def test_a_rotated_secret_key_names_the_provider_and_the_chat_goes_on(database, make_browser, browser, upstream):
    store_provider(database, upstream.base_url, name="Rotated", models="lost-model", secret="the-secret-key-before-rotation")
    store_provider(database, upstream.base_url, name="Fine", models="standin-db")
    admin = make_admin(database, make_browser)
    page = admin.get("/admin/providers").text
    assert "The API key of Rotated was encrypted with another secret key (was AGORA_SECRET_KEY changed?). Enter the key again." in page
    assert "unreadable: enter it again" in page
    edit = admin.get(f"/admin/providers/{_id(database, 'Rotated')}").text
    assert "The stored key was encrypted with another secret key" in edit
    assert admin.submit("/admin/providers/default", {"default_model": "standin-db"}, form_page="/admin/providers").status_code == 303

    browser.signup()
    chat = ChatClient(browser)
    events = chat.send(chat.start(make_gpt(database)), "Hello?")
    assert events[-1][0] == "done" and events[-1][1]["status"] == "complete"
    assert "".join(data["text"] for name, data in events if name == "delta") == "Hello from the stand-in."

    # Entering the key again under the current secret key brings the provider back.
    form = {"name": "Rotated", "kind": "openai", "base_url": upstream.base_url, "api_key": API_KEY, "models": "lost-model",
            "context_tokens": "8192", "timeout_seconds": "2", "enabled": "1", "action": "save"}
    admin.submit(f"/admin/providers/{_id(database, 'Rotated')}", form, form_page="/admin/providers")
    assert "encrypted with another secret key" not in admin.get("/admin/providers").text


def test_a_chat_through_an_admin_configured_provider_streams_its_reply(database, make_browser, browser, upstream):
    admin = make_admin(database, make_browser)
    assert add_provider(admin, upstream.base_url).status_code == 303
    assert admin.submit("/admin/providers/default", {"default_model": "standin-db"}, form_page="/admin/providers").status_code == 303
    browser.signup()
    chat = ChatClient(browser)
    conversation = chat.start(make_gpt(database))
    events = chat.send(conversation, "Hello?")
    assert [name for name, _ in events if name == "delta"]
    assert "".join(data["text"] for name, data in events if name == "delta") == "Hello from the stand-in."
    assert events[-1][1]["status"] == "complete"
    assert upstream.requests[-1]["model"] == "standin-db"
    assert upstream.authorizations[-1] == f"Bearer {API_KEY}"  # the decrypted key reached the server
    assert chat.get(conversation)["messages"][-1]["model"] == "standin-db"


def test_v1_lists_and_routes_to_admin_configured_models(database, server, upstream):
    import openai

    from tests.api.conftest import make_key

    store_provider(database, upstream.base_url, models="standin-db")  # as another worker's admin page: this one rechecks within 2 s
    with openai.OpenAI(base_url=f"{server.url}/v1", api_key=make_key(database), max_retries=0, timeout=20) as sdk:
        assert eventually(lambda: {"standin-db", "smollm2-135m-instruct"} <= {model.id for model in sdk.models.list()}, within=5)
        reply = sdk.chat.completions.create(model="standin-db", messages=[{"role": "user", "content": "Hi"}])
    assert reply.choices[0].message.content == "Hello from the stand-in."
    assert upstream.authorizations[-1] == f"Bearer {API_KEY}"


def _id(database, name: str) -> int:
    with database.session() as session:
        return next(row.id for row in configs.all_rows(session) if row.name == name)
