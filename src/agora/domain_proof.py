"""Proving control of a domain: the claimant serves a token Agora gave them at
https://DOMAIN/.well-known/NAME, and Agora fetches it for real.

Builders prove their website this way (a badge on their cards), workspaces their email
domains (single sign-on, "SSO only"). The fetch goes through the outbound guard
(agora.outbound), so the check cannot probe the network Agora runs in; a host the operator
allowlisted (AGORA_OUTBOUND_ALLOW_HOSTS) may also be named with its port, host:port.
"""

from __future__ import annotations

import re
import secrets
import ssl

import httpx

from agora import outbound
from agora.config import Settings
from agora.errors import InvalidInput
from agora.i18n import gettext as _

DOMAIN = re.compile(r"^(?=.{1,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")
HOST_PORT = re.compile(r"^([a-z0-9.-]+):(\d{1,5})$")


def new_token() -> str:
    return "agora-verify-" + secrets.token_urlsafe(24)


def clean_domain(domain: str, settings: Settings) -> str:
    """The domain as stored: lower-cased, without scheme or slash; InvalidInput naming `domain` otherwise."""
    domain = domain.strip().lower().removeprefix("https://").removeprefix("http://").rstrip("/")
    match = HOST_PORT.match(domain)
    if match and outbound.policy(settings).allow.has_name(match.group(1)):
        return domain  # host:port, only for a host the operator allowlisted (an on-premises site, tests)
    if not DOMAIN.match(domain):
        raise InvalidInput(_("Enter a domain name like example.com, without a path."), field="domain")
    return domain


def fetch_token(domain: str, settings: Settings, well_known: str) -> str:
    """What https://DOMAIN{well_known} serves (its first 1,000 characters); InvalidInput saying why not."""
    url = f"https://{domain}{well_known}"
    ca_bundle = settings.builder_verification_ca_bundle
    verify_tls: ssl.SSLContext | bool = ssl.create_default_context(cafile=ca_bundle) if ca_bundle else True
    try:
        # No redirects: the token must be served by the domain itself.
        with outbound.client(settings, verify=verify_tls, timeout=10, follow_redirects=False) as http:
            response = http.get(url)
    except outbound.Refused as refused:
        raise InvalidInput(str(refused), field="domain") from refused
    except httpx.HTTPError as exc:
        raise InvalidInput(_("Could not fetch %(url)s: %(reason)s", url=url, reason=str(exc) or type(exc).__name__), field="domain") from exc
    if response.status_code != 200:
        raise InvalidInput(_("%(url)s answered HTTP %(status)d; it must answer 200 with your token.", url=url, status=response.status_code), field="domain")
    return response.text[:1000]
