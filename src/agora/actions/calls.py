"""One call to an action's operation: the request built from the model's arguments, sent through the outbound guard,
the answer read to size.

The hosted product's limits: 45 seconds per call, request and response bodies of at most
100,000 characters (a longer answer is cut, and the model told so), text and JSON only, no
header beyond the action's authentication. An API that keeps failing (unreachable, timing
out, answering 5xx or 429) is left alone for a while (`Backoff`): three failures in a row
and Agora waits 30 seconds before calling it again, doubling up to 10 minutes while it
still fails, so a broken API is not hammered by every conversation using the GPT.
"""

from __future__ import annotations

import asyncio
import json
import threading
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import httpx

from agora.actions import transport
from agora.actions.openapi import BODY, Operation
from agora.config import Settings
from agora.i18n import gettext as _

TIMEOUT_SECONDS = 45.0
MAX_BODY_CHARS = 100_000
FAILURES_BEFORE_BACKOFF = 3
FIRST_BACKOFF_SECONDS = 30.0
LONGEST_BACKOFF_SECONDS = 600.0
USER_AGENT = "Agora-Actions/1 (+https://github.com/agora)"


@dataclass(frozen=True)
class Auth:
    """How an action's calls authenticate: `type` none, api_key or oauth; the key (for oauth, the person's access token,
    sent as a bearer token) goes in a header (`scheme` bearer, basic or custom, the header then being `name`) or in
    the query parameter `name`."""

    type: str = "none"
    place: str = "header"
    name: str = "Authorization"
    scheme: str = "bearer"
    key: str | None = None


class CallRefused(Exception):
    """A call that was not made, or whose answer cannot be read: `code` says why, `status` is the test endpoint's answer."""

    def __init__(self, message: str, *, code: str, status: int = 422) -> None:
        super().__init__(message)
        self.message, self.code, self.status = message, code, status


@dataclass(frozen=True)
class Answer:
    status: int
    content_type: str
    text: str
    cut: bool  # the body was longer than MAX_BODY_CHARS: `text` is its beginning

    def is_json(self) -> bool:
        kind = self.content_type.split(";")[0].strip().lower()
        return kind == "application/json" or kind.endswith("+json")

    def body(self) -> Any:
        """The answer as the Test button shows it: parsed when it is whole JSON, else its text."""
        if self.is_json() and not self.cut:
            try:
                return json.loads(self.text)
            except ValueError:
                return self.text
        return self.text

    def for_model(self) -> str:
        # Said to the model in English, like the rest of what it reads from Agora.
        note = f"\n[The response was cut: only its first {MAX_BODY_CHARS:,} characters are shown.]" if self.cut else ""
        return f"HTTP {self.status}\n{self.text}{note}"


class Backoff:
    """Which actions' APIs failed repeatedly, and until when they are left alone. In-process: each worker judges what it saw."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._failures: dict[str, int] = {}
        self._until: dict[str, float] = {}

    def check(self, action_id: str) -> None:
        with self._lock:
            left = self._until.get(action_id, 0.0) - time.monotonic()
        if left > 0:
            raise CallRefused(_("This API failed %(count)s times in a row; Agora tries it again in %(seconds)s seconds.",
                                count=self._failures.get(action_id, 0), seconds=int(left) + 1), code="backing_off", status=503)

    def failed(self, action_id: str) -> None:
        with self._lock:
            count = self._failures[action_id] = self._failures.get(action_id, 0) + 1
            if count >= FAILURES_BEFORE_BACKOFF:
                wait = min(FIRST_BACKOFF_SECONDS * 2 ** (count - FAILURES_BEFORE_BACKOFF), LONGEST_BACKOFF_SECONDS)
                self._until[action_id] = time.monotonic() + wait

    def succeeded(self, action_id: str) -> None:
        with self._lock:
            self._failures.pop(action_id, None)
            self._until.pop(action_id, None)


BACKOFF = Backoff()


def build(operation: Operation, arguments: dict[str, Any], auth: Auth) -> httpx.Request:
    """The request for `arguments` (the model's, or the Test button's); CallRefused naming the argument that is wrong."""
    known = {parameter["name"] for parameter in operation.parameters} | ({BODY} if operation.body is not None else set())
    unknown = sorted(set(arguments) - known)
    if unknown:
        raise CallRefused(_("Unknown argument(s): %(names)s. This operation takes: %(known)s.", names=", ".join(unknown),
                            known=", ".join(sorted(known)) or _("nothing")), code="invalid_arguments")
    path, query = _placed(operation, arguments)
    headers = {"Accept": "application/json, text/*;q=0.9", "User-Agent": USER_AGENT}
    content: bytes | None = None
    if operation.body is not None and arguments.get(BODY) is not None:
        text = json.dumps(arguments[BODY], ensure_ascii=False)
        if len(text) > MAX_BODY_CHARS:
            raise CallRefused(_("The request body is longer than %(max)s characters.", max=f"{MAX_BODY_CHARS:,}"), code="too_large")
        content, headers["Content-Type"] = text.encode(), "application/json"
    elif operation.body_required:
        raise CallRefused(_("The argument “%(name)s” (the request's JSON body) is required.", name=BODY), code="invalid_arguments")
    if auth.type in ("api_key", "oauth") and auth.key:
        if auth.place == "query":
            query.append((auth.name, auth.key))
        elif auth.scheme == "custom":
            headers[auth.name] = auth.key
        else:
            headers["Authorization"] = f"{'Basic' if auth.scheme == 'basic' else 'Bearer'} {auth.key}"
    return httpx.Request(operation.method, operation.server + path, params=query, headers=headers, content=content)


def _placed(operation: Operation, arguments: dict[str, Any]) -> tuple[str, list[tuple[str, str | int | float | bool | None]]]:
    """The path with its parameters in place, and the query's (name, value) pairs (a list repeats its name)."""
    path = operation.path
    query: list[tuple[str, str | int | float | bool | None]] = []
    for parameter in operation.parameters:
        value = arguments.get(parameter["name"])
        if value is None:
            if parameter["required"]:
                raise CallRefused(_("The argument “%(name)s” is required.", name=parameter["name"]), code="invalid_arguments")
            continue
        if parameter["in"] == "path":
            path = path.replace("{" + parameter["name"] + "}", quote(_text(value), safe=""))
        else:
            query.extend((parameter["name"], _text(item)) for item in (value if isinstance(value, list) else [value]))
    return path, query


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


async def call(action_id: str, operation: Operation, arguments: dict[str, Any], auth: Auth, settings: Settings | None) -> Answer:
    """Make the call; CallRefused when it was not made (bad arguments, the guard, a backoff) or failed without an answer."""
    BACKOFF.check(action_id)
    request = build(operation, arguments, auth)
    try:
        async with asyncio.timeout(TIMEOUT_SECONDS), transport.client(settings, timeout=TIMEOUT_SECONDS) as http:
            response = await http.send(request, stream=True)
            try:
                answer = await _read(response)
            finally:
                await response.aclose()
    except transport.Refused as refused:  # the guard's: nothing was sent, nothing failed upstream
        raise CallRefused(str(refused), code=f"outbound_{refused.code}", status=422) from None
    except (TimeoutError, httpx.TimeoutException):
        BACKOFF.failed(action_id)
        raise CallRefused(_("The API did not answer within %(seconds)s seconds.", seconds=int(TIMEOUT_SECONDS)), code="timeout",
                          status=504) from None
    except httpx.TooManyRedirects:
        raise CallRefused(_("The API redirected more than %(max)s times.", max=transport.MAX_REDIRECTS), code="redirects", status=502) from None
    except httpx.HTTPError as error:
        BACKOFF.failed(action_id)
        raise CallRefused(_("The API could not be reached: %(reason)s", reason=str(error) or type(error).__name__), code="unreachable",
                          status=502) from None
    if answer.status >= 500 or answer.status == 429:
        BACKOFF.failed(action_id)
    else:
        BACKOFF.succeeded(action_id)
    return answer


async def _read(response: httpx.Response) -> Answer:
    kind = response.headers.get("content-type", "")
    bare = kind.split(";")[0].strip().lower()
    readable = not bare or bare.startswith("text/") or bare in ("application/json", "application/xml") or bare.endswith(("+json", "+xml"))
    if not readable:
        raise CallRefused(_("The API answered %(status)s with %(type)s; Agora reads only text and JSON.", status=response.status_code, type=bare),
                          code="unsupported_type", status=502)
    pieces: list[str] = []
    size, cut = 0, False
    async for piece in response.aiter_text():
        pieces.append(piece)
        size += len(piece)
        if size > MAX_BODY_CHARS:  # stop reading: what is beyond is never looked at
            cut = True
            break
    text = "".join(pieces)
    return Answer(response.status_code, kind, text[:MAX_BODY_CHARS] if cut else text, cut)
