"""Chat pages: a conversation at /c/{id}, the list at /c, shared snapshots at /s/{token}.

Reading works without JavaScript; so does sending (the reply is generated before the
page reloads). chat.js streams replies through the JSON API instead.
"""

from __future__ import annotations

from typing import Annotated, Literal
from urllib.parse import quote, urlencode

import anyio
from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from agora.billing import entitlements
from agora.chat import service, sidebar, turns
from agora.chat.deps import Replies, Replying
from agora.chat.runtime import run_reply
from agora.chat.views import conversation_view, new_chat_view
from agora.credits import holds
from agora.errors import InvalidInput
from agora.gpts.models import Gpt
from agora.i18n import gettext as _
from agora.inputs import Id, Text
from agora.replies import guardrails
from agora.web.confirm import Confirmation, confirmation_page
from agora.web.deps import AppSettings, CurrentUser, Db, Viewer, public_link
from agora.web.templating import render

router = APIRouter()


def _back(conversation_id: str) -> RedirectResponse:
    return RedirectResponse(f"/c/{conversation_id}", status_code=303)


def _sidebar(session, request: Request, user, query: str = "") -> sidebar.Sidebar:
    return sidebar.sidebar(session, user, language=request.state.language, zone_name=request.cookies.get(sidebar.TIMEZONE_COOKIE), query=query)


def _conversation_page(request: Request, session, user, conversation_id: str, status: int = 200, **context) -> Response:
    view = conversation_view(session, service.owned(session, user, conversation_id), request.state.language)
    token = view.conversation.share_token
    share_url = public_link(request, "shared_conversation", token=token) if token else ""
    price = None if view.gpt.deleted_at else holds.terms(session, user, view.gpt, request.app.state.settings)  # what a message costs, before sending
    return render(request, "chat/conversation.html", status, view=view, side=_sidebar(session, request, user), share_url=share_url, price=price,
                  screened=guardrails.active(request.app.state.settings), **context)


def _new_chat_address(gpt_id: str, starter: str) -> str:
    return "/chat/new?" + urlencode({"gpt_id": gpt_id, **({"starter": starter} if starter.strip() else {})})


@router.get("/chat/new")
def new_chat_page(request: Request, user: CurrentUser, db: Db, settings: AppSettings, gpt_id: Text = "", starter: Text = "") -> Response:
    """Where a visitor who picked a GPT (and maybe a starter) lands after logging in or signing up.

    A page, not a conversation: a GET creates nothing, so a link from another site cannot
    make a signed-in user start (or send) anything; the composer holds the starter until
    they press Send, which posts to POST /chat/new.
    """
    with db.session() as session:
        face = new_chat_view(session, user, gpt_id, request.state.language)
        entitlements.check_use(session, user, face.gpt, settings)  # refused here, not after the first message
        side = _sidebar(session, request, user)
    return render(request, "chat/new.html", face=face, starter=starter, side=side)


@router.post("/chat/new")
def new_chat(viewer: Viewer, db: Db, settings: AppSettings, gpt_id: Annotated[Text, Form()], starter: Annotated[Text, Form()] = "") -> Response:
    """From a GPT page: open a conversation; a starter is placed in the composer (and sent by chat.js).

    A visitor is sent to log in (or sign up) and then to GET /chat/new with the same GPT
    and starter, so what they picked survives the detour.
    """
    if viewer is None:
        return RedirectResponse("/login?next=" + quote(_new_chat_address(gpt_id, starter), safe=""), status_code=303)
    user = viewer
    with db.session() as session:
        conversation = service.start(session, user=user, gpt_id=gpt_id)
        gpt = session.get(Gpt, conversation.gpt_id)
        assert gpt is not None  # start found it usable
        # A plan that refuses this GPT refuses it now (the error page links to the plans): the
        # first message used to be refused after the conversation existed, leaving it empty.
        entitlements.check_use(session, user, gpt, settings)
    target = f"/c/{conversation.id}" + (f"?draft={quote(starter)}&send=1" if starter.strip() else "")
    return RedirectResponse(target, status_code=303)


@router.get("/c")
def conversations_page(request: Request, user: CurrentUser, db: Db, q: Text = "") -> Response:
    with db.session() as session:
        side = _sidebar(session, request, user, q)
    return render(request, "chat/list.html", side=side, chat_q=q)


@router.get("/c/{conversation_id}")
def conversation_page(request: Request, conversation_id: Text, user: CurrentUser, db: Db, draft: Text = "", resume: Id = 0) -> Response:
    """`resume`: the reply whose sign-in (to an OAuth action's provider) the person just went through: its calls are
    offered to carry on, at once when none of them is consequential (chat.js)."""
    with db.session() as session:
        return _conversation_page(request, session, user, conversation_id, draft=draft, resume=resume)


async def _run_to_end(request: Request, conversation_id: str, begin, *, user, db, replying: Replying, content: str = "") -> Response:
    """Without JavaScript: generate the whole reply, then show the page again."""

    def prepare():
        with db.session() as session:
            return begin(session, service.owned(session, user, conversation_id, for_update=True))

    try:
        pending = await anyio.to_thread.run_sync(prepare)
    except InvalidInput as error:  # keep what the user wrote in the composer
        problem = error.message  # read here: `error` is unbound once the except clause ends
        if isinstance(error, guardrails.MessageBlocked):  # the turn was rolled back: the moderators' copy goes in its own write
            replying.writer.submit(None, along=error.record)

        def page():
            with db.session() as session:
                return _conversation_page(request, session, user, conversation_id, 422, draft=content, errors={"content": problem})

        return await anyio.to_thread.run_sync(page)
    await run_reply(provider=replying.asker.provider, board=replying.stops, pending=pending, writer=replying.writer)
    return _back(conversation_id)


@router.post("/c/{conversation_id}")
async def send_from_page(request: Request, conversation_id: Text, user: CurrentUser, db: Db, replying: Replies,
                         content: Annotated[Text, Form()] = "", mention: Annotated[Text, Form()] = "") -> Response:
    def begin(session, conversation):
        return turns.begin_send(session, replying.asker, conversation=conversation, content=content, mention=mention or None)

    return await _run_to_end(request, conversation_id, begin, user=user, db=db, replying=replying, content=content)


@router.post("/c/{conversation_id}/regenerate")
async def regenerate_from_page(request: Request, conversation_id: Text, user: CurrentUser, db: Db, replying: Replies) -> Response:
    def begin(session, conversation):
        return turns.begin_regenerate(session, replying.asker, conversation=conversation)

    return await _run_to_end(request, conversation_id, begin, user=user, db=db, replying=replying)


@router.post("/c/{conversation_id}/confirm/{message_id}")
async def confirm_from_page(request: Request, conversation_id: Text, message_id: Id, user: CurrentUser, db: Db, replying: Replies,
                            decision: Annotated[Literal["allow", "always", "deny"], Form()]) -> Response:
    """Allow or deny the consequential calls a reply waits for, without JavaScript: the reply carries on, then the page again."""

    def begin(session, conversation):
        return turns.begin_confirm(session, replying.asker, conversation=conversation, reply_id=message_id, allow=decision != "deny",
                                   always=decision == "always")

    return await _run_to_end(request, conversation_id, begin, user=user, db=db, replying=replying)


@router.post("/c/{conversation_id}/continue")
async def continue_from_page(request: Request, conversation_id: Text, user: CurrentUser, db: Db, replying: Replies) -> Response:
    def begin(session, conversation):
        return turns.begin_continue(session, replying.asker, conversation=conversation)

    return await _run_to_end(request, conversation_id, begin, user=user, db=db, replying=replying)


@router.post("/c/{conversation_id}/rename")
def rename_from_page(conversation_id: Text, user: CurrentUser, db: Db, title: Annotated[Text, Form()] = "") -> Response:
    with db.session() as session:
        service.rename(session, service.owned(session, user, conversation_id, for_update=True), title)
    return _back(conversation_id)


@router.get("/c/{conversation_id}/delete")
def confirm_delete_page(request: Request, conversation_id: Text, user: CurrentUser, db: Db) -> Response:
    """The step before deleting: a conversation cannot be brought back."""
    with db.session() as session:
        conversation = service.owned(session, user, conversation_id)
        title = conversation.title or _("New conversation")
    return confirmation_page(request, Confirmation(
        title=_("Delete this conversation?"),
        lines=[_("“%(title)s” and all its messages are deleted for good; a shared link to it stops working.", title=title)],
        action=f"/c/{conversation_id}/delete", button=_("Delete the conversation"), cancel=f"/c/{conversation_id}", danger=True,
    ))


@router.post("/c/{conversation_id}/delete")
def delete_from_page(conversation_id: Text, user: CurrentUser, db: Db) -> Response:
    with db.session() as session:
        conversation = service.owned(session, user, conversation_id, for_update=True)
        turns.request_stop(session, conversation)
        service.delete_conversation(session, conversation)
    return RedirectResponse("/c", status_code=303)


@router.post("/c/{conversation_id}/share")
def share_from_page(conversation_id: Text, user: CurrentUser, db: Db) -> Response:
    with db.session() as session:
        service.share(session, service.owned(session, user, conversation_id, for_update=True))
    return _back(conversation_id)


@router.post("/c/{conversation_id}/unshare")
def unshare_from_page(conversation_id: Text, user: CurrentUser, db: Db) -> Response:
    with db.session() as session:
        service.unshare(session, service.owned(session, user, conversation_id, for_update=True))
    return _back(conversation_id)


@router.get("/s/{token}", name="shared_conversation")
def shared_conversation(request: Request, token: Text, db: Db) -> Response:
    with db.session() as session:
        conversation, messages = service.shared(session, token)
        view = conversation_view(session, conversation, request.state.language, messages=messages)
    return render(request, "chat/shared.html", view=view, shared_view=True)
