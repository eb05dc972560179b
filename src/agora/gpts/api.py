"""The builder JSON API: the same use cases as the pages (agora.gpts.usecases), answering JSON.

Authentication comes from `agora.web.deps` (session cookie today; API keys plug in there).
"""

from __future__ import annotations

from fastapi import APIRouter, File, Request, Response, UploadFile
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from agora.accounts.models import User
from agora.gpts import access, avatars, importing, review, service, usecases
from agora.gpts.models import Gpt
from agora.gpts.offered import offered_models
from agora.gpts.schemas import (
    AvatarOut,
    ChangeOut,
    CreatedOut,
    GptCreateIn,
    GptOut,
    GptPatchIn,
    ImportedOut,
    MyGptOut,
    PersonOut,
    PublishIn,
    RollbackIn,
    VersionNumberOut,
    VersionOut,
)
from agora.inputs import Id, Text
from agora.web.body_limit import accepts_bodies_up_to
from agora.web.deps import AppSettings, CurrentUser, Db, Viewer
from agora.web.json_route import JsonRoute

router = APIRouter(prefix="/api", tags=["gpts"], route_class=JsonRoute)


def _draft(body) -> usecases.DraftIn:
    """Content fields apart from the sharing settings, keeping only what was sent."""
    fields = body.model_dump(exclude_unset=True)
    fields.pop("workspace_id", None)
    return usecases.DraftIn(fields, visibility=fields.pop("visibility", None), allow_forks=fields.pop("allow_forks", None))


@router.post("/gpts", status_code=201, response_model=CreatedOut)
def create(body: GptCreateIn, request: Request, user: CurrentUser, db: Db, settings: AppSettings):
    """Create a GPT from the fields of its first draft; nothing is published yet.

    It belongs to `workspace_id` (one you are a member of), by default to the workspace you work in."""
    with db.session() as session:
        workspace_id = body.workspace_id  # type: ignore[attr-defined]  # a field create_model adds: mypy cannot see it
        gpt = usecases.create(session, user, settings, _draft(body), workspace_id=workspace_id, offered_models=offered_models(request.app))
        return {"id": gpt.id}


@router.get("/gpts/{gpt_id}", response_model=GptOut)
def read(gpt_id: Text, viewer: Viewer, db: Db):
    """The live version for anyone it is shared with; editors also get the draft."""
    with db.session() as session:
        return gpt_out(session, usecases.read(session, viewer, gpt_id), viewer)


@router.patch("/gpts/{gpt_id}", response_model=GptOut)
def edit(gpt_id: Text, body: GptPatchIn, request: Request, user: CurrentUser, db: Db, settings: AppSettings):  # type: ignore[valid-type]
    """Change the draft (only the fields sent) and the sharing settings."""
    with db.session() as session:
        gpt = usecases.edit(session, user, settings, gpt_id, _draft(body), offered_models=offered_models(request.app))
        return gpt_out(session, gpt, user)


@router.delete("/gpts/{gpt_id}", status_code=204)
def delete(gpt_id: Text, user: CurrentUser, db: Db) -> Response:
    """Remove the GPT everywhere; conversations with it stay readable."""
    with db.session() as session:
        usecases.delete(session, user, gpt_id)
    return Response(status_code=204)


@router.post("/gpts/{gpt_id}/publish", response_model=VersionNumberOut)
def publish(gpt_id: Text, body: PublishIn, user: CurrentUser, db: Db, settings: AppSettings):
    """Freeze the draft as the next version, which goes live."""
    with db.session() as session:
        return {"version": usecases.publish(session, user, settings, gpt_id, note=body.note).number}


@router.get("/gpts/{gpt_id}/versions", response_model=list[VersionOut])
def versions(gpt_id: Text, user: CurrentUser, db: Db):
    """Published versions, newest first (editors only: old versions hold the instructions)."""
    with db.session() as session:
        _gpt, rows = usecases.versions(session, user, gpt_id)
    return [
        VersionOut(number=v.number, note=v.note, created_at=v.created_at, live=v.live, author=PersonOut(handle=v.author_handle, display_name=v.author_name))
        for v in rows
    ]


@router.get("/gpts/{gpt_id}/diff", response_model=list[ChangeOut])
def diff(gpt_id: Text, user: CurrentUser, db: Db, before: Id, after: Id):
    """Field-by-field changes from version `before` to version `after`."""
    with db.session() as session:
        _gpt, changes = usecases.diff(session, user, gpt_id, before=before, after=after)
    return [ChangeOut(path=c.path, before=c.before, after=c.after) for c in changes]


@router.post("/gpts/{gpt_id}/rollback", response_model=VersionNumberOut)
def rollback(gpt_id: Text, body: RollbackIn, user: CurrentUser, db: Db, settings: AppSettings):
    """Publish an old version's content again as a new version."""
    with db.session() as session:
        return {"version": usecases.rollback(session, user, settings, gpt_id, number=body.version, note=body.note).number}


@router.post("/gpts/{gpt_id}/fork", status_code=201, response_model=CreatedOut)
def fork(gpt_id: Text, user: CurrentUser, db: Db, settings: AppSettings):
    """A private copy to build on, when the builder allows forks; it credits the source."""
    with db.session() as session:
        return {"id": usecases.fork(session, user, settings, gpt_id).id}


@router.post("/gpts/{gpt_id}/avatar", response_model=AvatarOut)
@accepts_bodies_up_to(avatars.MAX_REQUEST_BYTES)
def upload_avatar(gpt_id: Text, user: CurrentUser, db: Db, settings: AppSettings, file: UploadFile = File(...)):
    """Upload a PNG, JPEG or WebP picture (at most 2 MB) as the draft's avatar."""
    picture = usecases.Picture(file.file.read(avatars.MAX_BYTES + 1), file.size)  # one byte more is enough to know it is too big
    with db.session() as session:
        return {"avatar": usecases.set_avatar(session, user, settings, gpt_id, picture)}


@router.get("/gpts/{gpt_id}/export")
def export(gpt_id: Text, viewer: Viewer, db: Db, settings: AppSettings) -> JSONResponse:
    """The GPT as an `agora.gpt` document (docs/gpt-format.md), as a file download."""
    with db.session() as session:
        document = usecases.export(session, viewer, settings, gpt_id)
    return JSONResponse(document, headers={"Content-Disposition": f'attachment; filename="{gpt_id}.agora.json"'})


@router.post("/gpts/import", status_code=201, response_model=ImportedOut)
@accepts_bodies_up_to(importing.MAX_DOCUMENT_BYTES)
async def import_gpts(request: Request, user: CurrentUser, db: Db, settings: AppSettings):
    """Import a JSON document sent as the body: an Agora export, a LobeHub agent or an Open WebUI
    model export (detected). Errors name the offending value by JSON pointer."""
    raw = await request.body()

    def run() -> usecases.Imported:
        with db.session() as session:
            return usecases.import_document(session, user, settings, raw)

    imported = await run_in_threadpool(run)
    return {"format": imported.format, "ids": imported.ids, "notes": imported.notes}


@router.get("/me/gpts", response_model=list[MyGptOut])
def my_gpts(user: CurrentUser, db: Db):
    """The GPTs you build, last edited first."""
    with db.session() as session:
        return [MyGptOut(**{k: getattr(g, k) for k in MyGptOut.model_fields}) for g in usecases.mine(session, user)]


def gpt_out(session, gpt: Gpt, viewer: User | None) -> GptOut:
    owner = session.get(User, gpt.owner_id)
    is_editor = access.can(session, gpt, viewer, "edit")
    live = service.published_content(session, gpt)
    if live is not None and not access.shows_instructions(session, gpt, viewer, live):
        live = access.redacted(live)
    return GptOut(
        id=gpt.id,
        owner=PersonOut(handle=owner.handle, display_name=owner.display_name),
        visibility=gpt.visibility,
        allow_forks=gpt.allow_forks,
        forked_from=gpt.forked_from_id,
        published_version=gpt.published_version,
        created_at=gpt.created_at,
        updated_at=gpt.updated_at,
        can_edit=is_editor,
        content=live.model_dump(mode="json") if live else None,
        draft=gpt.draft if is_editor else None,
        price_per_message=gpt.price_per_message,
        review=review.of(session, gpt) if is_editor else None,
    )
