"""Page reading: a URL the model (or the person, through it) gives is fetched through the outbound guard and reduced to its
main text by trafilatura, without menus, footers and scripts, so the model reads the article and not the page around it."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import trafilatura

from agora import outbound
from agora.config import Settings
from agora.i18n import gettext as _
from agora.tools import services
from agora.tools.base import Link, ToolContext, ToolFailed, ToolResult

MAX_PAGE_BYTES = 3 * 1024 * 1024  # larger pages are cut here before extraction: extraction's time grows with the page
MAX_URL = 2000
HTML_TYPES = ("text/html", "application/xhtml+xml")
TEXT_TYPES = ("text/plain", "text/markdown", "text/csv", "application/json")


class ReadPage:
    name = "read_page"
    description = ("Fetches a web page by its URL and returns its title and main text (without menus and ads). Use it to read a page "
                   "the user names or a search result in full. Cite it as a Markdown link: [title](url).")
    parameters = {  # noqa: RUF012 - never changed; the Tool protocol declares it a plain attribute
        "type": "object",
        "properties": {"url": {"type": "string", "description": "The page's full address, starting with https:// or http://"}},
        "required": ["url"],
    }
    consequential = False
    timeout_seconds = 30.0
    max_result_chars = 12000

    def __init__(self, settings: Settings, workspace_domains: tuple[str, ...] | None = None) -> None:
        self.settings = settings
        self.workspace_domains = workspace_domains  # the GPT's workspace's list, when it keeps one

    def title(self) -> str:
        return _("Page reading")

    async def run(self, arguments: dict[str, Any], context: ToolContext) -> ToolResult:
        url = arguments.get("url")
        if not isinstance(url, str) or not url.strip():
            raise ToolFailed(_("Give the address of the page to read."))
        url = url.strip()
        if len(url) > MAX_URL:
            raise ToolFailed(_("The address is longer than %(max)s characters.", max=MAX_URL))
        final_url, media_type, body, encoding = await self._fetch(url, context.language)
        if media_type in HTML_TYPES or not media_type:
            title, text = await asyncio.to_thread(_extract, body, final_url)
        elif media_type in TEXT_TYPES:
            title, text = final_url, body.decode(encoding or "utf-8", errors="replace")
        else:
            raise ToolFailed(_("%(url)s is a %(type)s file, not a page Agora can read as text.", url=final_url, type=media_type))
        if not text.strip():
            raise ToolFailed(_("%(url)s has no text Agora could find (a page drawn by JavaScript, perhaps).", url=final_url))
        content = f"Title: {title}\nURL: {final_url}\n\n{text.strip()}"
        return ToolResult(content=content, summary=f"{title} ({final_url})", sources=(Link(title, final_url),))

    async def _fetch(self, url: str, language: str) -> tuple[str, str, bytes, str | None]:
        headers = {"User-Agent": services.user_agent(self.settings), "Accept": "text/html,application/xhtml+xml,text/plain;q=0.9,*/*;q=0.5",
                   "Accept-Language": language}
        try:
            async with outbound.async_client(self.settings, workspace_domains=self.workspace_domains, headers=headers, timeout=20) as http, \
                    http.stream("GET", url) as response:
                body = bytearray()
                async for chunk in response.aiter_bytes():
                    body += chunk
                    if len(body) >= MAX_PAGE_BYTES:
                        break  # the start of a huge page is still worth reading
        except outbound.Refused as refused:
            raise ToolFailed(str(refused)) from None
        except httpx.TooManyRedirects:
            raise ToolFailed(_("%(url)s redirects more than %(max)s times.", url=url, max=outbound.MAX_REDIRECTS)) from None
        except httpx.TimeoutException:
            raise ToolFailed(_("%(url)s did not answer in time.", url=url)) from None
        except httpx.HTTPError as error:
            raise ToolFailed(_("Could not fetch %(url)s: %(reason)s", url=url, reason=str(error) or type(error).__name__)) from None
        if response.status_code != 200:
            raise ToolFailed(_("%(url)s answered HTTP %(status)s.", url=url, status=response.status_code))
        media_type = response.headers.get("content-type", "").split(";", 1)[0].strip().lower()
        return str(response.url), media_type, bytes(body), response.charset_encoding


def _extract(body: bytes, url: str) -> tuple[str, str]:
    """The page's title and main text (Markdown-like, tables kept); the URL as title when it has none."""
    document = trafilatura.bare_extraction(body, url=url, with_metadata=True, include_tables=True, include_comments=False)
    if document is None:
        return url, ""
    title = getattr(document, "title", None) or url
    return " ".join(str(title).split())[:300], str(getattr(document, "text", "") or "")
