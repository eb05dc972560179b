""""Test connection" in the admin page: a real request to the server's /models with the key.

Done with plain HTTP rather than through the provider, so that the answer can say exactly
what went wrong (the address, the status, the server's own message) and which of the
configured models the server does not list.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import httpx

from agora.i18n import gettext as _

MAX_DETAIL = 300


@dataclass(frozen=True)
class ProbeResult:
    ok: bool
    message: str
    listed: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)  # configured, but not in the server's list


def probe(*, base_url: str, api_key: str | None, timeout: float, models: list[str]) -> ProbeResult:
    url = base_url.rstrip("/") + "/models"
    headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
    try:
        response = httpx.get(url, headers=headers, timeout=timeout)
    except httpx.TimeoutException:
        return ProbeResult(False, _("The model server at %(url)s did not answer in %(seconds)s s.", url=base_url, seconds=f"{timeout:g}"))
    except httpx.HTTPError as error:
        return ProbeResult(False, _("Could not reach the model server at %(url)s: %(detail)s", url=base_url, detail=_detail(error)))
    if response.status_code != 200:
        return ProbeResult(False, _("The model server at %(url)s refused the request (HTTP %(status)s): %(detail)s",
                                    url=base_url, status=response.status_code, detail=_server_message(response)))
    try:
        listed = [str(entry["id"]) for entry in response.json()["data"]]
    except (ValueError, KeyError, TypeError):
        return ProbeResult(False, _("The server at %(url)s answered, but not with a list of models: is this the API's base URL?", url=base_url))
    missing = [m for m in models if m not in listed]
    return ProbeResult(True, _("Connected to %(url)s: the server lists %(count)s models.", url=base_url, count=len(listed)), listed, missing)


def _server_message(response: httpx.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return response.text.strip()[:MAX_DETAIL] or response.reason_phrase
    inner = body.get("error") if isinstance(body, dict) else None
    message = inner.get("message") if isinstance(inner, dict) else inner or (body.get("message") if isinstance(body, dict) else None)
    return str(message or body)[:MAX_DETAIL]


def _detail(error: httpx.HTTPError) -> str:
    return (str(error) or type(error).__name__)[:MAX_DETAIL]


def probe_installed(kind: str, settings) -> ProbeResult:
    """Kinds other than "openai" have no /models to ask: build the provider and ask it instead."""
    from agora.providers import registry

    try:
        models = list(registry.create(kind, settings).models())
    except Exception as error:  # noqa: BLE001 - a plugin's failure is the answer the admin is looking for
        return ProbeResult(False, _("The %(kind)s provider failed: %(detail)s", kind=kind, detail=str(error)[:MAX_DETAIL]))
    return ProbeResult(True, _("The %(kind)s provider is installed and offers %(count)s models.", kind=kind, count=len(models)), models)
