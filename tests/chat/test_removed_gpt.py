"""A GPT its builder deleted: its conversations stay readable and say it was removed."""

from agora.gpts import service as gpts
from agora.gpts.models import Gpt
from tests.chat.conftest import make_gpt


def test_conversation_with_a_removed_gpt_stays_readable(chat, database, upstream):
    gpt_id = make_gpt(database, name="Walrus Helper")
    conversation = chat.start(gpt_id)
    chat.send(conversation, "hello walrus")
    with database.session() as session:
        gpts.delete_gpt(session, session.get(Gpt, gpt_id))

    page = chat.browser.get(f"/c/{conversation}")
    assert page.status_code == 200
    assert "hello walrus" in page.text and "Hello from the stand-in." in page.text
    assert "was removed by its builder" in page.text and 'id="composer"' not in page.text
    refused = chat.browser.post(f"/api/conversations/{conversation}/messages", json={"content": "still there?"}, headers=chat.headers)
    assert refused.status_code == 404
    assert len(chat.get(conversation)["messages"]) == 2  # nothing was added
