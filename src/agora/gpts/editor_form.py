"""The editor page's form: parsing it into content, and content back into form values."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from starlette.datastructures import FormData, UploadFile

from agora.gpts.avatars import MAX_BYTES
from agora.gpts.content import LANGUAGES, MAX_STARTERS, GptContent

CAPABILITIES = ("web_search", "maps", "knowledge", "actions", "calculator")
TRANSLATED = ("name", "description", "instructions", "welcome_message")


@dataclass
class EditorForm:
    changes: dict[str, Any]
    visibility: str
    allow_forks: bool
    note: str
    action: str  # "save" or "publish"
    avatar_upload: bytes | None
    avatar_size: int | None = None


def other_language(language: str) -> str:
    return next(code for code in LANGUAGES if code != language)


def parse(form: FormData) -> EditorForm:
    text = lambda key: str(form.get(key) or "")  # noqa: E731 - a tiny local reader
    language = text("language") if text("language") in LANGUAGES else "en"
    translation: dict[str, Any] = {field: text(f"tr_{field}") for field in TRANSLATED}
    translation["starters"] = [str(s) for s in form.getlist("tr_starters")]
    changes: dict[str, Any] = {
        "name": text("name"),
        "description": text("description"),
        "instructions": text("instructions"),
        "welcome_message": text("welcome_message"),
        "starters": [str(s) for s in form.getlist("starters")],
        # A typed emoji wins over the uploaded picture the form carries along.
        "avatar": text("avatar").strip() or text("avatar_current") or "🤖",
        "category": text("category"),
        "tags": [tag.strip() for tag in text("tags").split(",") if tag.strip()],
        "language": language,
        "localized": {other_language(language): translation} if any(translation.values()) else {},
        "capabilities": {cap: form.get(f"cap_{cap}") == "on" for cap in CAPABILITIES},
        "model": text("model") or None,
        "temperature": _number(text("temperature")),
        "top_p": _number(text("top_p")),
        "hide_instructions": form.get("hide_instructions") == "on",
        "knowledge_downloads": form.get("knowledge_downloads") == "on",
        "leak_filter": form.get("leak_filter") == "on",
        "knowledge_chunk_tokens": _whole(text("knowledge_chunk_tokens")),
        "knowledge_chunk_overlap": _whole(text("knowledge_chunk_overlap")),
    }
    upload = form.get("avatar_file")
    data, size = None, None
    if isinstance(upload, UploadFile) and upload.filename:
        data, size = upload.file.read(MAX_BYTES + 1), upload.size  # one byte more tells it is too big
    return EditorForm(
        changes=changes,
        visibility=text("visibility") or "private",
        allow_forks=form.get("allow_forks") == "on",
        note=text("note"),
        action="publish" if text("action") == "publish" else "save",
        avatar_upload=data,
        avatar_size=size,
    )


def values_of(content: GptContent | dict[str, Any], *, visibility: str, allow_forks: bool) -> dict[str, Any]:
    """What the form fields show, from saved content or from a refused submission."""
    data = content.model_dump(mode="json") if isinstance(content, GptContent) else content
    language = data.get("language", "en")
    translation = (data.get("localized") or {}).get(other_language(language)) or {}
    starters = list(data.get("starters") or [])
    tr_starters = list(translation.get("starters") or [])
    return {
        **data,
        "starters": (starters + [""] * MAX_STARTERS)[: max(MAX_STARTERS, len(starters))],
        "tags": ", ".join(data.get("tags") or []),
        "translation": {**{f: translation.get(f, "") for f in TRANSLATED},
                        "starters": (tr_starters + [""] * MAX_STARTERS)[: max(MAX_STARTERS, len(tr_starters))]},
        "other_language": other_language(language),
        "visibility": visibility,
        "allow_forks": allow_forks,
    }


def form_field(error_field: str | None) -> str:
    """The form control an error is about (``starters.2`` -> starters, ``localized.fr.name`` -> tr_name)."""
    if not error_field:
        return "form"
    parts = error_field.split(".")
    if parts[0] == "localized" and len(parts) > 2:
        return "tr_" + parts[2]
    if parts[0] == "capabilities":
        return "capabilities"
    return parts[0]


def _number(value: str) -> float | str:
    """A float when it reads as one; otherwise the text, which validation then refuses by name."""
    if not value.strip():
        return 1.0
    try:
        return float(value.replace(",", "."))  # French keyboards type a decimal comma
    except ValueError:
        return value


def _whole(value: str) -> int | str | None:
    """None when left empty (the store's default); an int when it reads as one; otherwise the text, refused by name."""
    value = value.strip().replace(" ", "").replace("\u202f", "").replace(",", "")  # "1 000", "1,000": thousands as people type them
    if not value:
        return None
    return int(value) if value.isdigit() else value
