"""The builder JSON API: the same services as the pages, answering JSON.

Authentication comes from `agora.web.deps` (session cookie today; API keys plug in there).
"""

from __future__ import annotations

from fastapi import APIRouter, File, Request, Response, UploadFile
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from agora.accounts.models import User
from agora.gpts import access, avatars, history, importing, listing, plan_rules, service
from agora.gpts.export import export_document
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
from agora.gpts.validation import parse_content
from agora.inputs import Id, Text
from agora.web.body_limit import accepts_bodies_up_to
from agora.web.deps import AppSettings, CurrentUser, Db, Viewer
from agora.web.json_route import JsonRoute

router = APIRouter(prefix="/api", tags=["gpts"], route_class=JsonRoute)


def _split(body) -> tuple[dict, str | None, bool | None]:
    """Content fields apart from the sharing settings, keeping only what was sent."""
    fields = body.model_dump(exclude_unset=True)
    fields.pop("workspace_id", None)
    return fields, fields.pop("visibility", None), fields.pop("allow_forks", None)


@router.post("/gpts", status_code=201, response_model=CreatedOut)
def create(body: GptCreateIn, request: Request, user: CurrentUser, db: Db, settings: AppSettings):  # type: ignore[valid-type]
    """Create a GPT from the fields of its first draft; nothing is published yet.

    It belongs to `workspace_id` (one you are a member of), by default to the workspace you work in."""
    fields, visibility, allow_forks = _split(body)
    content = parse_content(fields)
    with db.session() as session:
        plan_rules.before_create(session, user, settings, visibility=visibility or "private")
        gpt = service.create_gpt(
            session,
            owner=user,
            content=content,
            workspace_id=body.workspace_id,
            visibility=visibility or "private",
            allow_forks=bool(allow_forks),
            offered_models=offered_models(request.app),
        )
    return {"id": gpt.id}


@router.get("/gpts/{gpt_id}", response_model=GptOut)
def read(gpt_id: Text, viewer: Viewer, db: Db):
    """The live version for anyone it is shared with; editors also get the draft."""
    with db.session() as session:
        gpt = access.find(session, gpt_id, viewer)
        return gpt_out(session, gpt, viewer)


@router.patch("/gpts/{gpt_id}", response_model=GptOut)
def edit(gpt_id: Text, body: GptPatchIn, request: Request, user: CurrentUser, db: Db, settings: AppSettings):  # type: ignore[valid-type]
    """Change the draft (only the fields sent) and the sharing settings."""
    fields, visibility, allow_forks = _split(body)
    with db.session() as session:
        gpt = access.find(session, gpt_id, user, "edit")
        plan_rules.before_change(session, user, settings, gpt, visibility=visibility, publishing=False)
        service.update_draft(
            session, gpt, changes=fields, visibility=visibility, allow_forks=allow_forks, offered_models=offered_models(request.app)
        )
        return gpt_out(session, gpt, user)


@router.delete("/gpts/{gpt_id}", status_code=204)
def delete(gpt_id: Text, user: CurrentUser, db: Db) -> Response:
    """Remove the GPT everywhere; conversations with it stay readable."""
    with db.session() as session:
        service.delete_gpt(session, access.find(session, gpt_id, user, "edit"))
    return Response(status_code=204)


@router.post("/gpts/{gpt_id}/publish", response_model=VersionNumberOut)
def publish(gpt_id: Text, body: PublishIn, user: CurrentUser, db: Db, settings: AppSettings):
    """Freeze the draft as the next version, which goes live."""
    with db.session() as session:
        gpt = access.find(session, gpt_id, user, "edit")
        plan_rules.before_change(session, user, settings, gpt, visibility=None, publishing=True)
        version = service.publish(session, gpt, author=user, note=body.note)
        return {"version": version.number}


@router.get("/gpts/{gpt_id}/versions", response_model=list[VersionOut])
def versions(gpt_id: Text, user: CurrentUser, db: Db):
    """Published versions, newest first (editors only: old versions hold the instructions)."""
    with db.session() as session:
        rows = history.versions(session, access.find(session, gpt_id, user, "edit"))
    return [
        VersionOut(number=v.number, note=v.note, created_at=v.created_at, live=v.live, author=PersonOut(handle=v.author_handle, display_name=v.author_name))
        for v in rows
    ]


@router.get("/gpts/{gpt_id}/diff", response_model=list[ChangeOut])
def diff(gpt_id: Text, user: CurrentUser, db: Db, before: Id, after: Id):
    """Field-by-field changes from version `before` to version `after`."""
    from agora.gpts.content import GptContent

    with db.session() as session:
        gpt = access.find(session, gpt_id, user, "edit")
        old = GptContent.model_validate(history.version(session, gpt, before).content)
        new = GptContent.model_validate(history.version(session, gpt, after).content)
    return [ChangeOut(path=c.path, before=c.before, after=c.after) for c in history.diff(old, new)]


@router.post("/gpts/{gpt_id}/rollback", response_model=VersionNumberOut)
def rollback(gpt_id: Text, body: RollbackIn, user: CurrentUser, db: Db, settings: AppSettings):
    """Publish an old version's content again as a new version."""
    with db.session() as session:
        gpt = access.find(session, gpt_id, user, "edit")
        plan_rules.before_change(session, user, settings, gpt, visibility=None, publishing=True)
        version = service.rollback(session, gpt, author=user, number=body.version, note=body.note)
        return {"version": version.number}


@router.post("/gpts/{gpt_id}/fork", status_code=201, response_model=CreatedOut)
def fork(gpt_id: Text, user: CurrentUser, db: Db, settings: AppSettings):
    """A private copy to build on, when the builder allows forks; it credits the source."""
    with db.session() as session:
        source = access.find(session, gpt_id, user)
        plan_rules.before_create(session, user, settings, visibility="private")
        copy = service.fork(session, source, user=user)
        return {"id": copy.id}


@router.post("/gpts/{gpt_id}/avatar", response_model=AvatarOut)
@accepts_bodies_up_to(avatars.MAX_REQUEST_BYTES)
def upload_avatar(gpt_id: Text, user: CurrentUser, db: Db, settings: AppSettings, file: UploadFile = File(...)):
    """Upload a PNG, JPEG or WebP picture (at most 2 MB) as the draft's avatar."""
    data = file.file.read(avatars.MAX_BYTES + 1)  # one byte more is enough to know it is too big
    with db.session() as session:
        gpt = access.find(session, gpt_id, user, "edit")
        avatar = avatars.store(data, home=settings.home, size=file.size)
        service.update_draft(session, gpt, changes={"avatar": avatar})
    return {"avatar": avatar}


@router.get("/gpts/{gpt_id}/export")
def export(gpt_id: Text, viewer: Viewer, db: Db, settings: AppSettings) -> JSONResponse:
    """The GPT as an `agora.gpt` document (docs/gpt-format.md), as a file download."""
    with db.session() as session:
        gpt = access.find(session, gpt_id, viewer)
        document = export_document(session, gpt, viewer=viewer, settings=settings)
    return JSONResponse(document, headers={"Content-Disposition": f'attachment; filename="{gpt_id}.agora.json"'})


@router.post("/gpts/import", status_code=201, response_model=ImportedOut)
@accepts_bodies_up_to(importing.MAX_DOCUMENT_BYTES)
async def import_gpts(request: Request, user: CurrentUser, db: Db, settings: AppSettings):
    """Import a JSON document sent as the body: an Agora export, a LobeHub agent or an Open WebUI
    model export (detected). Errors name the offending value by JSON pointer."""
    raw = await request.body()
    return await run_in_threadpool(import_document, raw, user=user, db=db, settings=settings)


def import_document(raw: bytes, *, user: User, db, settings) -> dict:
    """Shared by the API and the My GPTs page: parse all, then create all in one transaction."""
    parsed = importing.parse(importing.load_json(raw))
    with db.session() as session:
        for item in parsed:
            plan_rules.before_create(session, user, settings, visibility=item.visibility)
        ids = [importing.create(session, item, owner=user, home=settings.home).id for item in parsed]
    return {"format": parsed[0].format, "ids": ids}


@router.get("/me/gpts", response_model=list[MyGptOut])
def my_gpts(user: CurrentUser, db: Db):
    """The GPTs you build, last edited first."""
    with db.session() as session:
        return [MyGptOut(**{k: getattr(g, k) for k in MyGptOut.model_fields}) for g in listing.mine(session, user)]


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
    )
