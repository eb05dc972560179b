"""Knowledge fixtures: documents written here (PDFs with text on known pages, Word files), and waiting for ingestion."""

from __future__ import annotations

import io
import time

import docx
import pytest
from fpdf import FPDF
from PIL import Image

from tests.gpts.conftest import Builder, make_builder  # noqa: F401  (the fixture, for these tests)

FILLER = ("Agora keeps its records in order and every team reads the guide before starting work on a new project. ")


def pdf(pages: list[str]) -> bytes:
    """A PDF whose page i holds pages[i] (with some filler, as real pages have)."""
    document = FPDF()
    document.set_font("helvetica", size=11)
    for text in pages:
        document.add_page()
        document.multi_cell(0, 6, text + "\n\n" + FILLER)
    return bytes(document.output())


def image_pdf() -> bytes:
    """A PDF of one scanned page: an image and no text."""
    picture = io.BytesIO()
    Image.new("RGB", (200, 200), (120, 120, 120)).save(picture, format="PNG")
    picture.seek(0)
    document = FPDF()
    document.add_page()
    document.image(picture, x=10, y=10, w=100)
    return bytes(document.output())


def word(paragraphs: list[str]) -> bytes:
    document = docx.Document()
    for text in paragraphs:
        document.add_paragraph(text)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


PAGES = [
    "Chapter one. The Lighthouse Company was founded in the harbour town of Brightwater.",
    "Chapter two. Staff receive twenty-five days of paid holiday each year, booked through the portal.",
    "Chapter three. The emergency generator is tested every Tuesday at 7 am by the night keeper, Marguerite Okafor.",
    "Chapter four. Visitors must sign the register at the front desk and wear a badge.",
]


def upload(builder: Builder, gpt_id: str, name: str, data: bytes, **form):
    return builder.post(f"/api/gpts/{gpt_id}/files", files={"file": (name, data, "application/octet-stream")}, data=form or None)


def wait_until_settled(builder: Builder, gpt_id: str, *, timeout: float = 90) -> list[dict]:
    """The draft's files once none is queued or on its way (ready or failed)."""
    deadline = time.monotonic() + timeout
    while True:
        listed = builder.client.get(f"/api/gpts/{gpt_id}/files").json()
        if all(f["status"] in ("ready", "failed") for f in listed) or time.monotonic() > deadline:
            return listed
        time.sleep(0.2)


@pytest.fixture
def builder(make_builder) -> Builder:
    return make_builder()


@pytest.fixture
def quiet_workers(server):
    """The test server's own ingestion threads stopped, so the test drives jobs itself; started again after."""
    worker = server.app.state.knowledge_worker
    worker.stop()
    yield
    server.app.state.knowledge_worker = type(worker)(server.database, server.settings).start()
