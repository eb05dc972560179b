"""Chat follows the builder's visibility rule: workspace members chat with workspace GPTs."""

from tests.chat.conftest import ChatClient, make_gpt
from tests.gpts.conftest import join_workspace


def test_workspace_members_chat_with_workspace_gpts(make_browser, database, upstream):
    owner = make_browser()
    owner.signup(email="builder@example.com", name="Builder")  # make_gpt reuses this account
    gpt_id = make_gpt(database, name="Team Walrus", visibility="workspace")
    member, outsider = make_browser(), make_browser()
    member.signup(email="member@example.com", name="Max")
    outsider.signup(email="outsider@example.com", name="Otto")
    join_workspace(database, member_email="member@example.com", owner_email="builder@example.com")

    member_chat = ChatClient(member)
    events = member_chat.send(member_chat.start(gpt_id), "hello team")
    assert events[-1][0] == "done" and events[-1][1]["status"] == "complete"
    refused = outsider.post("/api/conversations", json={"gpt_id": gpt_id}, headers=outsider.api_headers())
    assert refused.status_code == 404 and refused.json()["error"]["field"] == "gpt_id"
