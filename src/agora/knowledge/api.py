"""The knowledge JSON API: a GPT draft's files (upload, list, remove) and retrieval as the GPT would do it (editors only)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, File, Form, Query, Request, Response, UploadFile
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, Field

from agora.db import begin_writing
from agora.gpts import access
from agora.inputs import Id, Text
from agora.knowledge import downloads, files, retrieval
from agora.web.body_limit import accepts_bodies_up_to
from agora.web.deps import AppSettings, CurrentUser, Db
from agora.web.json_route import JsonRoute

router = APIRouter(prefix="/api", tags=["knowledge"], route_class=JsonRoute)
# The most a request may carry: the largest file AGORA_KNOWLEDGE_MAX_FILE_BYTES allows, plus the form around it.
MAX_REQUEST_BYTES = 512 * 1024 * 1024 + 64 * 1024


class UploadedOut(BaseModel):
    id: int
    status: str = Field(description="queued, parsing, embedding, ready or failed")


class FileOut(BaseModel):
    id: int
    name: str
    kind: str = Field(description="pdf, docx, html, csv, json, markdown or text, told by the content")
    size: int = Field(description="bytes")
    status: str = Field(description="queued, parsing, embedding, ready or failed")
    progress: float = Field(description="0 to 1: the share of the file's chunks embedded (1 when ready)")
    chunks_done: int
    chunks_total: int
    pages: int
    error: str = Field(description="why it failed, or why it waits (the embedding server down); empty otherwise")


class HitOut(BaseModel):
    file_id: int
    file_name: str
    page: int | None = Field(description="1-based page (PDF); null for formats without pages")
    text: str
    score: float = Field(description="reciprocal-rank fusion of the keyword and vector ranks")


class SearchOut(BaseModel):
    items: list[HitOut]


@router.post("/gpts/{gpt_id}/files", status_code=201, response_model=UploadedOut)
@accepts_bodies_up_to(MAX_REQUEST_BYTES)
def upload(gpt_id: Text, request: Request, user: CurrentUser, db: Db, settings: AppSettings, file: UploadFile = File(...),
           chunk_tokens: Annotated[int | None, Form(ge=1, le=100_000)] = None,
           chunk_overlap: Annotated[int | None, Form(ge=0, le=100_000)] = None):
    """Add a file to the GPT's draft (PDF, DOCX, HTML, CSV, JSON, Markdown or text, told by its content); it is ingested in the
    background: follow its status in the list. It is cut as the GPT's draft says (`knowledge_chunk_tokens` and
    `knowledge_chunk_overlap`, by default 800 and 400); `chunk_tokens` and `chunk_overlap` cut this one file otherwise."""
    with db.session() as session:  # refused early, before the file is copied
        gpt = access.find(session, gpt_id, user, "edit")
        files.chunking(settings, gpt, chunk_tokens, chunk_overlap)
        files.refuse_when_full(session, gpt, settings)
    received = files.receive(file.file, name=file.filename or "", settings=settings)
    with db.session() as session:
        begin_writing(session)
        added, document = files.attach(session, access.find(session, gpt_id, user, "edit"), received, settings=settings,
                                       chunk_tokens=chunk_tokens, chunk_overlap=chunk_overlap)
        file_id, status = added.id, document.status
    if (worker := getattr(request.app.state, "knowledge_worker", None)) is not None:
        worker.wake()
    return {"id": file_id, "status": status}


@router.get("/gpts/{gpt_id}/files", response_model=list[FileOut])
def list_files(gpt_id: Text, user: CurrentUser, db: Db):
    """The draft's files with their ingestion status, oldest first."""
    with db.session() as session:
        gpt = access.find(session, gpt_id, user, "edit")
        return [FileOut(**vars(files.view(file, document))) for file, document in files.draft_files(session, gpt.id)]


@router.delete("/gpts/{gpt_id}/files/{file_id}", status_code=204)
def remove_file(gpt_id: Text, file_id: Id, user: CurrentUser, db: Db) -> Response:
    """Take the file off the draft; published versions that hold it keep answering from it."""
    with db.session() as session:
        begin_writing(session)
        files.remove(session, access.find(session, gpt_id, user, "edit"), file_id)
    return Response(status_code=204)


@router.get("/gpts/{gpt_id}/files/{file_id}/download", response_class=StreamingResponse,
            responses={200: {"description": "The file as uploaded, as an attachment", "content": {"application/octet-stream": {}}}})
def download(gpt_id: Text, file_id: Id, user: CurrentUser, db: Db, settings: AppSettings) -> StreamingResponse:
    """A file of the GPT's published version, for anyone who may use the GPT, when its builder lets users download its files
    (off by default; never for a GPT with hidden instructions). 404 otherwise. Chat citations link here."""
    with db.session() as session:
        found = downloads.find(session, gpt_id, file_id, user)
    headers = {"Content-Disposition": downloads.disposition(found.name), "Content-Length": str(found.size),
               "X-Content-Type-Options": "nosniff", "Cache-Control": "private, no-store"}
    return StreamingResponse(downloads.open_bytes(found, settings), media_type=downloads.media_type(found.kind), headers=headers)


@router.get("/gpts/{gpt_id}/knowledge/search", response_model=SearchOut)
def search(gpt_id: Text, user: CurrentUser, db: Db, settings: AppSettings, q: Annotated[Text, Query(max_length=2000)] = "",
           limit: Annotated[int, Query(ge=1, le=50)] = 8):
    """The draft's passages for `q`, ranked as a reply would get them, with file, page and score (editors only)."""
    with db.session() as session:
        gpt = access.find(session, gpt_id, user, "edit")
        hits = retrieval.search(session, gpt_id=gpt.id, version=None, query=q, limit=limit, settings=settings)
    return {"items": [HitOut(file_id=h.file_id, file_name=h.file_name, page=h.page, text=h.text, score=h.score) for h in hits]}
