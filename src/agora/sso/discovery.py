"""An OpenID provider's metadata and signing keys, found from its issuer URL (OpenID Connect Discovery 1.0).

Kept for an hour in the application's cache (`ProviderCache`, app.state.caches.sso): a sign-in
costs no discovery round trip. Saving a provider's settings (sso_provider.changed) empties it.
The keys are read again at once (at most every ten seconds) when a token names a key the
cached set lacks, which is how a provider's key rotation reaches Agora.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import httpx
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

from agora import events
from agora.cache import TtlCache
from agora.errors import InvalidInput
from agora.i18n import gettext as _
from agora.sso.errors import SsoFailed

CACHE_SECONDS = 3600
KEYS_REFRESH_SECONDS = 10
TIMEOUT_SECONDS = 10
LOOPBACK = ("localhost", "127.0.0.1", "::1")
# Asymmetric algorithms only: with HS256 the "key" would be the client secret, and "none" is no signature.
ALGORITHMS = ("RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA")


def check_url(url: str, *, field_name: str) -> str:
    """An https URL (plain http only on this machine, for a provider under development); InvalidInput otherwise."""
    parts = urlsplit(url)
    secure = parts.scheme == "https" or (parts.scheme == "http" and parts.hostname in LOOPBACK)
    if not secure or not parts.hostname or parts.query or parts.fragment:
        raise InvalidInput(
            _("%(url)s is not an https:// address without ? or #; identity providers are reached over HTTPS.", url=url or "''"),
            field=field_name,
        )
    return url


@dataclass
class Metadata:
    issuer: str
    authorization_endpoint: str
    token_endpoint: str
    jwks_uri: str
    userinfo_endpoint: str | None
    algorithms: tuple[str, ...]
    fetched_at: float
    keys: KeySet | None = None
    keys_fetched_at: float = 0.0
    lock: threading.Lock = field(default_factory=threading.Lock)


class ProviderCache(TtlCache):
    """Providers' metadata (and their keys) by issuer, for CACHE_SECONDS; emptied when a provider's settings are saved."""

    def __init__(self) -> None:
        super().__init__(CACHE_SECONDS, maxsize=1_000)
        events.subscribe(events.SsoProviderChanged, self._changed, weak=True)

    def _changed(self, changed: events.SsoProviderChanged) -> None:
        self.clear()  # the next sign-in reads the provider as now configured


def metadata(issuer: str, cache: ProviderCache | None, *, fresh: bool = False) -> Metadata:
    """The provider's metadata, from `cache` unless `fresh`; SsoFailed when it cannot be read or names another issuer."""
    found = cache.peek(issuer) if cache is not None and not fresh else None
    if found is not None:
        return found
    document = _get_json(issuer.rstrip("/") + "/.well-known/openid-configuration", issuer)
    if document.get("issuer") != issuer:
        # The spec requires an exact match: a provider answering for another issuer is misconfigured or not the one meant.
        raise SsoFailed(
            _("The identity provider at %(url)s says its issuer is %(actual)s, not %(expected)s: copy its issuer exactly.",
              url=issuer, actual=repr(document.get("issuer")), expected=repr(issuer)),
            reason="issuer_mismatch",
        )
    try:
        endpoints = {name: check_url(str(document[name]), field_name="issuer")
                     for name in ("authorization_endpoint", "token_endpoint", "jwks_uri")}
        userinfo = check_url(str(document["userinfo_endpoint"]), field_name="issuer") if document.get("userinfo_endpoint") else None
    except (KeyError, InvalidInput) as error:
        raise SsoFailed(_("The identity provider at %(url)s publishes incomplete or insecure metadata (%(detail)s).",
                          url=issuer, detail=str(error)), reason="bad_metadata") from error
    offered = document.get("id_token_signing_alg_values_supported") or ["RS256"]
    found = Metadata(issuer, endpoints["authorization_endpoint"], endpoints["token_endpoint"], endpoints["jwks_uri"], userinfo,
                     tuple(a for a in offered if a in ALGORITHMS) or ("RS256",), time.monotonic())
    if cache is not None:
        cache.put(issuer, found)
    return found


def keys(meta: Metadata, *, refresh: bool = False) -> KeySet:
    """The provider's public keys; `refresh` reads them again (a token named a key not in the set)."""
    with meta.lock:
        stale = meta.keys is None or (refresh and time.monotonic() - meta.keys_fetched_at >= KEYS_REFRESH_SECONDS)
        if stale:
            try:
                meta.keys = KeySet.import_key_set(_get_json(meta.jwks_uri, meta.issuer))  # type: ignore[arg-type]
            except (JoseError, ValueError, TypeError) as error:
                raise SsoFailed(_("The identity provider at %(url)s publishes signing keys Agora cannot read.", url=meta.issuer),
                                reason="bad_keys") from error
            meta.keys_fetched_at = time.monotonic()
        assert meta.keys is not None
        return meta.keys


def _get_json(url: str, issuer: str) -> dict[str, Any]:
    try:
        response = httpx.get(url, timeout=TIMEOUT_SECONDS, follow_redirects=False, headers={"Accept": "application/json"})
        response.raise_for_status()
        document = response.json()
    except (httpx.HTTPError, ValueError) as error:
        raise SsoFailed(_("The identity provider at %(url)s did not answer as expected: %(reason)s", url=issuer,
                          reason=str(error) or type(error).__name__), reason="unreachable") from error
    if not isinstance(document, dict):
        raise SsoFailed(_("The identity provider at %(url)s did not answer as expected: %(reason)s", url=issuer,
                          reason="not a JSON object"), reason="unreachable")
    return document
