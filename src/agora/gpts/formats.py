"""Reading GPTs written by other tools: LobeHub agents and Open WebUI models.

Each reader returns plain content fields plus, for each field, the JSON pointer of the
source value, so a refused value is reported where the user can find it in their file.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from agora.errors import InvalidInput
from agora.gpts.content import is_emoji_avatar
from agora.i18n import gettext as _

# The LobeHub index's 14 categories, mapped onto Agora's default set (the bundled demo catalogue
# is a LobeHub index too, and reads them from here).
CATEGORY_MAP = {
    "programming": "programming",
    "copywriting": "writing",
    "education": "education",
    "design": "design",
    "academic": "research",
    "general": "productivity",
    "life": "lifestyle",
    "career": "career",
    "translation": "translation",
    "emotions": "lifestyle",
    "marketing": "marketing",
    "entertainment": "entertainment",
    "games": "games",
    "office": "productivity",
}


@dataclass
class Foreign:
    """Content fields read from a foreign file, and where each came from."""

    fields: dict[str, Any]
    pointers: dict[str, str]
    avatar_data_url: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)


def is_lobehub_source(data: Any) -> bool:
    return isinstance(data, dict) and isinstance(data.get("meta"), dict) and isinstance(data.get("config"), dict)


def is_lobehub_record(data: Any) -> bool:
    """One line of the LobeHub index export (``identifier`` plus ``en``/``fr`` texts)."""
    return isinstance(data, dict) and "identifier" in data and isinstance(data.get("en"), dict)


def is_open_webui(data: Any) -> bool:
    if isinstance(data, list):
        return bool(data) and all(is_open_webui(item) for item in data)
    return isinstance(data, dict) and "name" in data and ("params" in data or "base_model_id" in data)


def from_lobehub_source(data: dict, base: str = "") -> Foreign:
    meta, config = data["meta"], data["config"]
    params = _object(config.get("params"), f"{base}/config/params")
    reader = _Reader(base)
    reader.take("name", meta, "title", "/meta/title", required=True)
    reader.take("description", meta, "description", "/meta/description")
    reader.take("instructions", config, "systemRole", "/config/systemRole")
    reader.take("welcome_message", config, "openingMessage", "/config/openingMessage")
    reader.take("starters", config, "openingQuestions", "/config/openingQuestions")
    reader.take("tags", meta, "tags", "/meta/tags")
    reader.take("temperature", params, "temperature", "/config/params/temperature")
    reader.take("top_p", params, "top_p", "/config/params/top_p")
    reader.fields["avatar"] = _emoji(meta.get("avatar"))
    reader.fields["category"] = CATEGORY_MAP.get(str(meta.get("category")), "productivity")
    return Foreign(reader.fields, reader.pointers)


def from_lobehub_record(data: dict, base: str = "") -> Foreign:
    reader = _Reader(base)
    for language in ("en", "fr"):
        texts = _object(data.get(language), f"{base}/{language}")
        prefix = "" if language == "en" else "localized.fr."
        for target, source in (
            ("name", "title"),
            ("description", "description"),
            ("instructions", "instructions"),
            ("welcome_message", "opening_message"),
            ("starters", "conversation_starters"),
        ):
            reader.take(prefix + target, texts, source, f"/{language}/{source}", required=not prefix and target == "name")
    reader.take("tags", data, "tags", "/tags")
    reader.fields["avatar"] = _emoji(data.get("avatar"))
    reader.fields["category"] = CATEGORY_MAP.get(str(data.get("category")), "productivity")
    french = {k.removeprefix("localized.fr."): reader.fields.pop(k) for k in list(reader.fields) if k.startswith("localized.")}
    if french.get("name"):  # the index leaves "fr" empty for assistants nobody translated
        reader.fields["localized"] = {"fr": french}
    return Foreign(reader.fields, reader.pointers)


def from_open_webui(data: dict, base: str = "") -> Foreign:
    meta = _object(data.get("meta"), f"{base}/meta")
    params = _object(data.get("params"), f"{base}/params")
    reader = _Reader(base)
    reader.take("name", data, "name", "/name", required=True)
    reader.take("description", meta, "description", "/meta/description")
    reader.take("instructions", params, "system", "/params/system")
    reader.take("temperature", params, "temperature", "/params/temperature")
    reader.take("top_p", params, "top_p", "/params/top_p")
    prompts = meta.get("suggestion_prompts") or []
    if not isinstance(prompts, list):
        raise InvalidInput(_("%(field)s must be a list.", field=f"{base}/meta/suggestion_prompts"), field=f"{base}/meta/suggestion_prompts")
    reader.fields["starters"] = [p.get("content", "") if isinstance(p, dict) else p for p in prompts]
    reader.pointers["starters"] = f"{base}/meta/suggestion_prompts"
    tags = meta.get("tags") or []
    reader.fields["tags"] = [t.get("name", "") if isinstance(t, dict) else t for t in tags] if isinstance(tags, list) else tags
    reader.pointers["tags"] = f"{base}/meta/tags"
    image = meta.get("profile_image_url")
    data_url = image if isinstance(image, str) and image.startswith("data:image/") else None
    reader.fields["avatar"] = "🤖"  # a URL (often Open WebUI's own favicon) is not fetched
    reader.pointers["avatar"] = f"{base}/meta/profile_image_url"
    capabilities = meta.get("capabilities")
    if not isinstance(capabilities, dict):
        capabilities = {}
    reader.fields["capabilities"] = {
        "web_search": bool(capabilities.get("web_search")),
        "knowledge": bool(meta.get("knowledge")),
        "actions": bool(meta.get("toolIds")),
        "maps": False,
    }
    return Foreign(reader.fields, reader.pointers, avatar_data_url=data_url)


class _Reader:
    def __init__(self, base: str) -> None:
        self.base = base
        self.fields: dict[str, Any] = {}
        self.pointers: dict[str, str] = {}

    def take(self, target: str, source: dict, key: str, pointer: str, *, required: bool = False) -> None:
        value = source.get(key)
        if value is None:
            if required:
                raise InvalidInput(_("%(field)s is required.", field=self.base + pointer), field=self.base + pointer)
            return
        self.fields[target] = value
        self.pointers[target.replace(".", "/")] = self.base + pointer


def _object(value: Any, pointer: str) -> dict:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise InvalidInput(_("%(field)s must be a JSON object.", field=pointer), field=pointer)
    return value


def _emoji(avatar: Any) -> str:
    """Remote picture URLs are not fetched (a store page must not call other hosts)."""
    return avatar if isinstance(avatar, str) and is_emoji_avatar(avatar) else "🤖"
