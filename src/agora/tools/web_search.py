"""Web search: a query sent to the operator's SearxNG (its JSON API) or to Brave Search's API, results given to the model
with their titles, URLs and snippets, and listed under the reply as links (the model is asked to cite them as links too)."""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from typing import Any

from agora.config import Settings
from agora.i18n import gettext as _
from agora.tools import services
from agora.tools.base import Link, ToolContext, ToolFailed, ToolResult

BRAVE_URL = "https://api.search.brave.com/res/v1/web/search"
MAX_QUERY = 400
SNIPPET_CHARS = 300
TAGS = re.compile(r"<[^>]{0,200}>")


@dataclass(frozen=True)
class Hit:
    title: str
    url: str
    snippet: str


def configured(settings: Settings) -> bool:
    return bool(settings.web_search_backend)


class WebSearch:
    name = "web_search"
    description = ("Searches the web and returns the top results with their titles, URLs and snippets. Use it for recent events, facts you "
                   "are unsure of, or anything the user asks to look up. Cite the results you use as Markdown links: [title](url).")
    parameters = {  # noqa: RUF012 - never changed; the Tool protocol declares it a plain attribute
        "type": "object",
        "properties": {"query": {"type": "string", "description": "What to search for, as you would type it in a search engine"}},
        "required": ["query"],
    }
    consequential = False
    timeout_seconds = 20.0
    max_result_chars = 6000

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    def title(self) -> str:
        return _("Web search")

    async def run(self, arguments: dict[str, Any], context: ToolContext) -> ToolResult:
        query = arguments.get("query")
        if not isinstance(query, str) or not query.strip():
            raise ToolFailed(_("Give the search query as text."))
        query = " ".join(query.split())[:MAX_QUERY]
        if self.settings.web_search_backend == "brave":
            hits = await _brave(query, context.language, self.settings)
        else:
            hits = await _searxng(query, context.language, self.settings)
        hits = hits[: self.settings.web_search_results]
        if not hits:
            return ToolResult(content=f"No results for “{query}”.", summary=_("no results for “%(query)s”", query=query))
        lines = [f"Results for “{query}” (cite the ones you use as Markdown links):"]
        lines += [f"[{n}] {hit.title}\nURL: {hit.url}\n{hit.snippet}" for n, hit in enumerate(hits, 1)]
        summary = _("“%(query)s”: %(count)s results", query=query, count=len(hits))
        return ToolResult(content="\n\n".join(lines), summary=summary, sources=tuple(Link(hit.title, hit.url) for hit in hits))


async def _searxng(query: str, language: str, settings: Settings) -> list[Hit]:
    url = settings.web_search_url.rstrip("/") + "/search"
    params = {"q": query, "format": "json", "language": language, "safesearch": 1, "pageno": 1}
    try:
        document = await services.get_json(url, service="SearxNG", settings=settings, params=params)
    except services.ServiceRefused as failed:
        if failed.status == 403:
            # SearxNG answers 403 to format=json unless its settings.yml lists json under search.formats.
            raise ToolFailed(_("SearxNG refused to answer in JSON: its operator must add json to search.formats in settings.yml.")) from None
        raise
    return _hits(document.get("results") if isinstance(document, dict) else None, text_key="content")


async def _brave(query: str, language: str, settings: Settings) -> list[Hit]:
    headers = {"X-Subscription-Token": settings.web_search_api_key or ""}
    params = {"q": query, "count": settings.web_search_results, "search_lang": language, "safesearch": "moderate"}
    document = await services.get_json(settings.web_search_url or BRAVE_URL, service="Brave Search", settings=settings, params=params, headers=headers)
    web = document.get("web") if isinstance(document, dict) else None
    return _hits(web.get("results") if isinstance(web, dict) else [], text_key="description")


def _hits(results: Any, *, text_key: str) -> list[Hit]:
    if not isinstance(results, list):
        raise ToolFailed(_("The search service answered without a list of results."))
    hits: list[Hit] = []
    seen: set[str] = set()
    for result in results:
        if not isinstance(result, dict):
            continue
        url, title = result.get("url"), result.get("title")
        if not isinstance(url, str) or not url.startswith(("https://", "http://")) or url in seen:
            continue  # a result with no web address cannot be cited
        seen.add(url)
        hits.append(Hit(_clean(title if isinstance(title, str) and title.strip() else url, 200), url, _clean(str(result.get(text_key) or ""), SNIPPET_CHARS)))
    return hits


def _clean(text: str, limit: int) -> str:
    # Brave marks the matched words with <strong>; both services may send entities.
    flat = " ".join(html.unescape(TAGS.sub("", text)).split())
    return flat if len(flat) <= limit else flat[: limit - 1].rsplit(" ", 1)[0] + "…"
