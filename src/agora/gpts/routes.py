"""Builder pages: the editor, My GPTs, version history and diffs, and uploaded avatars.

Thin: parse the form, call the same services as the JSON API, render or redirect.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, RedirectResponse, Response

from agora.accounts.models import User, Workspace
from agora.billing.errors import PlanRequired
from agora.errors import AgoraError, NotFound
from agora.gpts import access, avatars, editor_form, history, importing, listing, plan_rules, service
from agora.gpts.api import import_document
from agora.gpts.content import GptContent
from agora.gpts.models import Gpt
from agora.gpts.offered import offered_models
from agora.gpts.validation import parse_content
from agora.i18n import gettext as _
from agora.inputs import Id, Text, id_or_none
from agora.store import service as store
from agora.web.body_limit import accepts_bodies_up_to
from agora.web.deps import AppSettings, Db, Viewer
from agora.web.templating import render
from agora.workspaces import service as workspaces

router = APIRouter()
# What a new GPT starts from: the content defaults, with an empty name to fill in.
NEW_GPT = {**GptContent(name="-").model_dump(mode="json"), "name": ""}


def _redirect(target: str) -> RedirectResponse:
    return RedirectResponse(target, status_code=303)


def _login(path: str) -> RedirectResponse:
    return _redirect(f"/login?next={path}")


@router.get("/gpts/new")
def new_page(request: Request, db: Db, viewer: Viewer) -> Response:
    if viewer is None:
        return _login("/gpts/new")
    values = editor_form.values_of(NEW_GPT, visibility="private", allow_forks=False)
    return _editor(request, db, None, values, viewer=viewer)


@router.post("/gpts/new")
@accepts_bodies_up_to(avatars.MAX_REQUEST_BYTES)  # the editor's form may carry a picture
async def create(request: Request, db: Db, viewer: Viewer, settings: AppSettings) -> Response:
    if viewer is None:
        return _login("/gpts/new")
    return await _save(request, db, viewer, settings, None)


@router.get("/gpts/mine")
def mine_page(request: Request, db: Db, viewer: Viewer) -> Response:
    if viewer is None:
        return _login("/gpts/mine")
    with db.session() as session:
        gpts = listing.mine(session, viewer)
    return render(request, "gpts/mine.html", gpts=gpts, notice=request.query_params.get("notice"))


@router.post("/gpts/import")
@accepts_bodies_up_to(importing.MAX_UPLOAD_BYTES)
async def import_page(request: Request, db: Db, viewer: Viewer, settings: AppSettings) -> Response:
    if viewer is None:
        return _login("/gpts/mine")
    upload = (await request.form()).get("file")
    raw = await upload.read() if upload is not None and not isinstance(upload, str) else b""
    try:
        result = import_document(raw, user=viewer, db=db, settings=settings)
    except AgoraError as error:
        with db.session() as session:
            gpts = listing.mine(session, viewer)
        message = f"{error.message} ({error.field})" if error.field and error.field != "/" else error.message
        return render(request, "gpts/mine.html", error.status, gpts=gpts, errors={"file": message})
    return _redirect(f"/gpts/{result['ids'][0]}/edit?notice=imported" if len(result["ids"]) == 1 else "/gpts/mine?notice=imported")


@router.get("/gpts/{gpt_id}/edit")
def edit_page(request: Request, gpt_id: Text, db: Db, viewer: Viewer) -> Response:
    if viewer is None:
        return _login(f"/gpts/{gpt_id}/edit")
    with db.session() as session:
        gpt = access.find(session, gpt_id, viewer, "edit")
        values = editor_form.values_of(GptContent.model_validate(gpt.draft), visibility=gpt.visibility, allow_forks=gpt.allow_forks)
    return _editor(request, db, gpt, values, viewer=viewer, notice=request.query_params.get("notice"))


@router.post("/gpts/{gpt_id}/edit")
@accepts_bodies_up_to(avatars.MAX_REQUEST_BYTES)  # the editor's form may carry a picture
async def save(request: Request, gpt_id: Text, db: Db, viewer: Viewer, settings: AppSettings) -> Response:
    if viewer is None:
        return _login(f"/gpts/{gpt_id}/edit")
    return await _save(request, db, viewer, settings, gpt_id)


async def _save(request: Request, db: Db, viewer: User, settings: AppSettings, gpt_id: str | None) -> Response:
    form = await request.form()
    gpt = None
    try:
        parsed = editor_form.parse(form)
        with db.session() as session:
            if parsed.avatar_upload is not None:
                parsed.changes["avatar"] = avatars.store(parsed.avatar_upload, home=settings.home, field="avatar_file", size=parsed.avatar_size)
            models = offered_models(request.app)
            if gpt_id is None:
                plan_rules.before_create(session, viewer, settings, visibility=parsed.visibility)
                gpt = service.create_gpt(
                    session,
                    owner=viewer,
                    content=parse_content(parsed.changes),
                    workspace_id=_workspace_choice(form),
                    visibility=parsed.visibility,
                    allow_forks=parsed.allow_forks,
                    offered_models=models,
                )
            else:
                gpt = access.find(session, gpt_id, viewer, "edit")
                plan_rules.before_change(session, viewer, settings, gpt, visibility=parsed.visibility, publishing=parsed.action == "publish")
                service.update_draft(
                    session, gpt, changes=parsed.changes, visibility=parsed.visibility, allow_forks=parsed.allow_forks, offered_models=models
                )
            if parsed.action == "publish":
                service.publish(session, gpt, author=viewer, note=parsed.note)
    except AgoraError as error:
        if isinstance(error, NotFound) or (error.status == 403 and not isinstance(error, PlanRequired)):
            raise
        values = editor_form.values_of(_submitted(form), visibility=str(form.get("visibility") or "private"), allow_forks=form.get("allow_forks") == "on")
        existing = _reload(db, gpt_id)
        return _editor(request, db, existing, values, viewer=viewer, errors={editor_form.form_field(error.field): error.message}, status=error.status,
                       upgrade=isinstance(error, PlanRequired), workspace_id=_workspace_choice(form))
    return _redirect(f"/gpts/{gpt.id}/edit?notice={'published' if parsed.action == 'publish' else 'saved'}")


@router.get("/gpts/{gpt_id}/versions")
def versions_page(request: Request, gpt_id: Text, db: Db, viewer: Viewer) -> Response:
    if viewer is None:
        return _login(f"/gpts/{gpt_id}/versions")
    with db.session() as session:
        gpt = access.find(session, gpt_id, viewer, "edit")
        rows = history.versions(session, gpt)
    return render(request, "gpts/versions.html", gpt=gpt, versions=rows, notice=request.query_params.get("notice"))


@router.get("/gpts/{gpt_id}/diff")
def diff_page(request: Request, gpt_id: Text, db: Db, viewer: Viewer, before: Id = 0, after: Id = 0) -> Response:
    if viewer is None:
        return _login(f"/gpts/{gpt_id}/versions")
    with db.session() as session:
        gpt = access.find(session, gpt_id, viewer, "edit")
        old = GptContent.model_validate(history.version(session, gpt, before).content)
        new = GptContent.model_validate(history.version(session, gpt, after).content)
    return render(request, "gpts/diff.html", gpt=gpt, before=before, after=after, changes=history.diff(old, new))


@router.post("/gpts/{gpt_id}/rollback")
async def rollback(request: Request, gpt_id: Text, db: Db, viewer: Viewer, settings: AppSettings) -> Response:
    if viewer is None:
        return _login(f"/gpts/{gpt_id}/versions")
    number = id_or_none((await request.form()).get("version")) or 0  # no version 0: refused by the service
    with db.session() as session:
        gpt = access.find(session, gpt_id, viewer, "edit")
        plan_rules.before_change(session, viewer, settings, gpt, visibility=None, publishing=True)
        version = service.rollback(session, gpt, author=viewer, number=number)
    return _redirect(f"/gpts/{gpt_id}/versions?notice=rolled-back-{version.number}")


@router.post("/gpts/{gpt_id}/fork")
def fork(gpt_id: Text, db: Db, viewer: Viewer, settings: AppSettings) -> Response:
    if viewer is None:
        return _login(f"/g/{gpt_id}")
    with db.session() as session:
        source = access.find(session, gpt_id, viewer)
        plan_rules.before_create(session, viewer, settings, visibility="private")
        copy = service.fork(session, source, user=viewer)
    return _redirect(f"/gpts/{copy.id}/edit?notice=forked")


@router.post("/gpts/{gpt_id}/delete")
def delete(gpt_id: Text, db: Db, viewer: Viewer) -> Response:
    if viewer is None:
        return _login("/gpts/mine")
    with db.session() as session:
        service.delete_gpt(session, access.find(session, gpt_id, viewer, "edit"))
    return _redirect("/gpts/mine?notice=deleted")


@router.get("/uploads/avatars/{name}")
def avatar_file(name: Text, settings: AppSettings) -> Response:
    path = avatars.path_for(settings.home, name)
    if path is None:
        raise NotFound(_("There is no such picture."))
    # Named by the hash of their bytes: a name never changes content, so cache for a year.
    return FileResponse(path, media_type="image/webp", headers={"Cache-Control": "public, max-age=31536000, immutable"})


def _editor(request: Request, db: Db, gpt: Gpt | None, values: dict, *, viewer: User | None, errors: dict | None = None, status: int = 200,
            notice: str | None = None, upgrade: bool = False, workspace_id: int | None = None) -> Response:
    with db.session() as session:
        categories = store.visible_categories(session)
        live = service.published_content(session, gpt) if gpt else None
        choices = _workspace_choices(session, gpt, viewer, workspace_id)
    return render(
        request,
        "gpts/editor.html",
        status,
        gpt=gpt,
        values=values,
        errors=errors or {},
        categories=categories,
        models=offered_models(request.app),
        changed=bool(gpt and live and live.model_dump(mode="json") != gpt.draft),
        notice=notice,
        upgrade=upgrade,
        workspaces=choices,
    )


def _workspace_choice(form) -> int | None:
    """The workspace picked on the new-GPT page; the service checks the builder belongs to it."""
    return id_or_none(form.get("workspace_id"))


def _workspace_choices(session, gpt: Gpt | None, viewer: User | None, chosen: int | None) -> list[dict]:
    """A new GPT's workspace is picked once, among the builder's (the one they work in first); an existing one's is shown."""
    if gpt is not None:
        workspace = session.get(Workspace, gpt.workspace_id)
        return [{"id": workspace.id, "name": workspace.name, "kind": workspace.kind, "selected": True}]
    if viewer is None:
        return []
    active = chosen or workspaces.active_workspace_id(session, viewer)
    mine = workspaces.of_user(session, viewer)
    if active is None:
        active = next(w.id for w, _role in mine if w.kind == "personal")
    return [{"id": w.id, "name": w.name, "kind": w.kind, "selected": w.id == active} for w, _role in mine]


def _submitted(form) -> dict:
    """A refused submission, shaped like content so the form shows what was typed."""
    return editor_form.parse(form).changes


def _reload(db: Db, gpt_id: str | None) -> Gpt | None:
    if gpt_id is None:
        return None
    with db.session() as session:
        return session.get(Gpt, gpt_id)
