"""Builder pages: the editor, My GPTs, version history and diffs, and uploaded avatars.

Thin: parse the form, call the same use cases as the JSON API (agora.gpts.usecases), render or
redirect. A visitor is sent to the login form by the app's Unauthorized handler (agora.app).
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData

from agora.accounts.models import User, Workspace
from agora.billing.errors import PlanRequired
from agora.errors import AgoraError, NotFound
from agora.gpts import avatars, editor_form, importing, service, usecases
from agora.gpts.content import GptContent
from agora.gpts.models import Gpt
from agora.gpts.offered import offered_models
from agora.i18n import gettext as _
from agora.inputs import Id, Text, id_or_none
from agora.store import featured_requests
from agora.store import service as store
from agora.web.body_limit import accepts_bodies_up_to
from agora.web.confirm import Confirmation, confirmation_page
from agora.web.deps import AppSettings, CurrentUser, Db
from agora.web.templating import render
from agora.workspaces import service as workspaces

router = APIRouter()
# What a new GPT starts from: the content defaults, with an empty name to fill in.
NEW_GPT = {**GptContent(name="-").model_dump(mode="json"), "name": ""}


def _redirect(target: str) -> RedirectResponse:
    return RedirectResponse(target, status_code=303)


@router.get("/gpts/new")
def new_page(request: Request, db: Db, viewer: CurrentUser) -> Response:
    values = editor_form.values_of(NEW_GPT, visibility="private", allow_forks=False)
    return _editor(request, db, None, values, viewer=viewer)


@router.post("/gpts/new")
@accepts_bodies_up_to(avatars.MAX_REQUEST_BYTES)  # the editor's form may carry a picture
async def create(request: Request, db: Db, viewer: CurrentUser, settings: AppSettings) -> Response:
    return await _save(request, db, viewer, settings, None)


@router.get("/gpts/mine")
def mine_page(request: Request, db: Db, viewer: CurrentUser) -> Response:
    with db.session() as session:
        gpts = usecases.mine(session, viewer)
        featured = featured_requests.latest_requests(session, [g.id for g in gpts if g.published_version and g.visibility == "public"])
    return render(request, "gpts/mine.html", gpts=gpts, featured=featured, notice=request.query_params.get("notice"))


@router.post("/gpts/import")
@accepts_bodies_up_to(importing.MAX_UPLOAD_BYTES)
async def import_page(request: Request, db: Db, viewer: CurrentUser, settings: AppSettings) -> Response:
    upload = (await request.form()).get("file")
    raw = await upload.read() if upload is not None and not isinstance(upload, str) else b""

    return await run_in_threadpool(_import, request, db, viewer, settings, raw)  # the database, off the event loop


def _import(request: Request, db: Db, viewer: User, settings: AppSettings, raw: bytes) -> Response:
    try:
        with db.session() as session:
            imported = usecases.import_document(session, viewer, settings, raw)
    except AgoraError as error:
        with db.session() as session:
            gpts = usecases.mine(session, viewer)
        message = f"{error.message} ({error.field})" if error.field and error.field != "/" else error.message
        return render(request, "gpts/mine.html", error.status, gpts=gpts, errors={"file": message})
    if imported.notes:  # shown once, here: what the file held that Agora did not carry over
        with db.session() as session:
            gpts = usecases.mine(session, viewer)
        return render(request, "gpts/mine.html", 201, gpts=gpts, notice="imported", import_notes=imported.notes)
    return _redirect(f"/gpts/{imported.ids[0]}/edit?notice=imported" if len(imported.ids) == 1 else "/gpts/mine?notice=imported")


@router.get("/gpts/{gpt_id}/edit")
def edit_page(request: Request, gpt_id: Text, db: Db, viewer: CurrentUser) -> Response:
    with db.session() as session:
        gpt = usecases.editable(session, viewer, gpt_id)
        values = editor_form.values_of(GptContent.model_validate(gpt.draft), visibility=gpt.visibility, allow_forks=gpt.allow_forks)
    return _editor(request, db, gpt, values, viewer=viewer, notice=request.query_params.get("notice"))


@router.post("/gpts/{gpt_id}/edit")
@accepts_bodies_up_to(avatars.MAX_REQUEST_BYTES)  # the editor's form may carry a picture
async def save(request: Request, gpt_id: Text, db: Db, viewer: CurrentUser, settings: AppSettings) -> Response:
    return await _save(request, db, viewer, settings, gpt_id)


async def _save(request: Request, db: Db, viewer: User, settings: AppSettings, gpt_id: str | None) -> Response:
    form = await request.form()
    return await run_in_threadpool(_save_form, request, db, viewer, settings, gpt_id, form)  # the database, off the event loop


def _save_form(request: Request, db: Db, viewer: User, settings: AppSettings, gpt_id: str | None, form: FormData) -> Response:
    parsed = editor_form.parse(form)
    picture = usecases.Picture(parsed.avatar_upload, parsed.avatar_size, field="avatar_file") if parsed.avatar_upload is not None else None
    draft = usecases.DraftIn(parsed.changes, visibility=parsed.visibility, allow_forks=parsed.allow_forks, picture=picture)
    publish_note = parsed.note if parsed.action == "publish" else None
    models = offered_models(request.app)
    try:
        with db.session() as session:
            if gpt_id is None:
                gpt = usecases.create(session, viewer, settings, draft, workspace_id=_workspace_choice(form), offered_models=models, publish_note=publish_note)
            else:
                gpt = usecases.edit(session, viewer, settings, gpt_id, draft, offered_models=models, publish_note=publish_note)
            gpt_id = gpt.id
    except AgoraError as error:
        if isinstance(error, NotFound) or (error.status == 403 and not isinstance(error, PlanRequired)):
            raise  # not the form's fault (no such GPT, not theirs): the error page says so
        values = editor_form.values_of(parsed.changes, visibility=parsed.visibility, allow_forks=parsed.allow_forks)
        return _editor(request, db, _reload(db, gpt_id), values, viewer=viewer, errors={editor_form.form_field(error.field): error.message},
                       status=error.status, upgrade=isinstance(error, PlanRequired), workspace_id=_workspace_choice(form))
    return _redirect(f"/gpts/{gpt_id}/edit?notice={'published' if publish_note is not None else 'saved'}")


@router.get("/gpts/{gpt_id}/versions")
def versions_page(request: Request, gpt_id: Text, db: Db, viewer: CurrentUser) -> Response:
    with db.session() as session:
        gpt, rows = usecases.versions(session, viewer, gpt_id)
    return render(request, "gpts/versions.html", gpt=gpt, versions=rows, notice=request.query_params.get("notice"))


@router.get("/gpts/{gpt_id}/diff")
def diff_page(request: Request, gpt_id: Text, db: Db, viewer: CurrentUser, before: Id = 0, after: Id = 0) -> Response:
    with db.session() as session:
        gpt, changes = usecases.diff(session, viewer, gpt_id, before=before, after=after)
    return render(request, "gpts/diff.html", gpt=gpt, before=before, after=after, changes=changes)


@router.get("/gpts/{gpt_id}/rollback")
def confirm_rollback(request: Request, gpt_id: Text, db: Db, viewer: CurrentUser, version: Id = 0) -> Response:
    """The step before a rollback: it changes the live GPT for everyone who uses it."""
    with db.session() as session:
        gpt, rows = usecases.versions(session, viewer, gpt_id)
        name = gpt.draft.get("name") or gpt.name
    if not any(v.number == version and not v.live for v in rows):
        raise NotFound(_("Version %(number)s of this GPT does not exist, or is already live.", number=version))
    return confirmation_page(request, Confirmation(
        title=_("Roll %(name)s back to version %(number)s?", name=name, number=version),
        lines=[_("Version %(number)s's content is published again as a new version: everyone who uses %(name)s gets it at once. "
                 "The versions after it stay in the history.", number=version, name=name)],
        action=f"/gpts/{gpt_id}/rollback", button=_("Roll back to version %(number)s", number=version),
        cancel=f"/gpts/{gpt_id}/versions", fields=[("version", str(version))], danger=True,
    ))


@router.post("/gpts/{gpt_id}/rollback")
async def rollback(request: Request, gpt_id: Text, db: Db, viewer: CurrentUser, settings: AppSettings) -> Response:
    number = id_or_none((await request.form()).get("version")) or 0  # no version 0: refused by the use case

    def run() -> int:
        with db.session() as session:
            return usecases.rollback(session, viewer, settings, gpt_id, number=number).number

    return _redirect(f"/gpts/{gpt_id}/versions?notice=rolled-back-{await run_in_threadpool(run)}")


@router.post("/gpts/{gpt_id}/fork")
def fork(gpt_id: Text, db: Db, viewer: CurrentUser, settings: AppSettings) -> Response:
    with db.session() as session:
        copy = usecases.fork(session, viewer, settings, gpt_id)
    return _redirect(f"/gpts/{copy.id}/edit?notice=forked")


@router.post("/gpts/{gpt_id}/delete")
def delete(gpt_id: Text, db: Db, viewer: CurrentUser) -> Response:
    with db.session() as session:
        usecases.delete(session, viewer, gpt_id)
    return _redirect("/gpts/mine?notice=deleted")


@router.get("/uploads/avatars/{name}")
def avatar_file(name: Text, settings: AppSettings) -> Response:
    path = avatars.path_for(settings.home, name)
    if path is None:
        raise NotFound(_("There is no such picture."))
    # Named by the hash of their bytes: a name never changes content, so cache for a year.
    return FileResponse(path, media_type="image/webp", headers={"Cache-Control": "public, max-age=31536000, immutable"})


def _editor(request: Request, db: Db, gpt: Gpt | None, values: dict, *, viewer: User, errors: dict | None = None, status: int = 200,
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
        offers_web_search=request.app.state.settings.offers_web_search(),
        offers_maps=request.app.state.settings.offers_maps(),
        leak_filter_words=request.app.state.settings.leak_filter_words,
    )


def _workspace_choice(form) -> int | None:
    """The workspace picked on the new-GPT page; the service checks the builder belongs to it."""
    return id_or_none(form.get("workspace_id"))


def _workspace_choices(session, gpt: Gpt | None, viewer: User, chosen: int | None) -> list[dict]:
    """A new GPT's workspace is picked once, among the builder's (the one they work in first); an existing one's is shown."""
    if gpt is not None:
        workspace = session.get(Workspace, gpt.workspace_id)
        return [{"id": workspace.id, "name": workspace.name, "kind": workspace.kind, "selected": True}]
    active = chosen or workspaces.active_workspace_id(session, viewer)
    mine = workspaces.of_user(session, viewer)
    if active is None:
        active = next(w.id for w, _role in mine if w.kind == "personal")
    return [{"id": w.id, "name": w.name, "kind": w.kind, "selected": w.id == active} for w, _role in mine]


def _reload(db: Db, gpt_id: str | None) -> Gpt | None:
    if gpt_id is None:
        return None
    with db.session() as session:
        return session.get(Gpt, gpt_id)
