"""What the outbound guard allows: schemes, ports, the operator's allow and deny lists, a workspace's own domain list.

A URL is judged twice: by name before anything is sent (`Policy.check_url`, and again for
each redirect hop), then by address when a connection is opened (`Policy.resolve`), once,
and the connection goes to the address that was judged, so a name cannot answer a public
address to the check and a private one to the connection (DNS rebinding).
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import httpx

from agora.config import Settings
from agora.i18n import gettext as _
from agora.outbound.addresses import parse, refusal

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
# host, port -> the addresses it resolves to, as text (socket.getaddrinfo's answer by default).
Resolver = Callable[[str, int], Sequence[str]]
SCHEMES = ("http", "https")
DEFAULT_PORTS = {"http": 80, "https": 443}


class Refused(httpx.TransportError):
    """The guard would not let this request out; `code` says which rule, the message says it to people.

    A transport error, so code that already handles a failed fetch (httpx.HTTPError) reports it
    as one, with this message; code that must tell the two apart catches Refused first.
    """

    def __init__(self, message: str, *, code: str, url: str = "") -> None:
        super().__init__(message)
        self.code = code  # scheme, port, denied_host, private_address, workspace_domain, unresolvable, userinfo
        self.url = url


def system_resolver(host: str, port: int) -> list[str]:
    """The addresses the system's resolver gives `host` (an IP literal in any notation libc reads comes back as itself)."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise Refused(_("%(host)s does not resolve.", host=host), code="unresolvable") from exc
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


@dataclass(frozen=True)
class HostList:
    """Host names (exact, or `*.example.com` for its subdomains) and networks (CIDR or one address)."""

    names: frozenset[str] = frozenset()
    suffixes: tuple[str, ...] = ()  # ".example.com" for *.example.com
    networks: tuple[Network, ...] = ()

    @classmethod
    def parse(cls, text: str, *, setting: str) -> HostList:
        names: set[str] = set()
        suffixes: list[str] = []
        networks: list[Network] = []
        for item in (part.strip().lower().rstrip(".") for part in text.split(",")):
            if not item:
                continue
            try:
                networks.append(ipaddress.ip_network(item.strip("[]"), strict=False))
                continue
            except ValueError:
                pass
            if item.startswith("*."):
                suffixes.append(item[1:])
            elif "/" in item or ":" in item or " " in item:
                raise ValueError(f"{setting}: {item!r} is neither a host name, *.domain, an address nor a CIDR network")
            else:
                names.add(item)
        return cls(frozenset(names), tuple(suffixes), tuple(networks))

    def __bool__(self) -> bool:
        return bool(self.names or self.suffixes or self.networks)

    def has_name(self, host: str) -> bool:
        return host in self.names or any(host.endswith(suffix) for suffix in self.suffixes)

    def has_address(self, address: str) -> bool:
        ip = parse(address)
        return ip is not None and any(ip.version == network.version and ip in network for network in self.networks)


def _ports(text: str) -> frozenset[int] | None:
    if text.strip() == "*":
        return None
    try:
        ports = frozenset(int(part) for part in text.split(",") if part.strip())
    except ValueError:
        raise ValueError(f"AGORA_OUTBOUND_PORTS: {text!r} must be comma-separated port numbers, or *") from None
    if any(not 0 < port < 65536 for port in ports):
        raise ValueError(f"AGORA_OUTBOUND_PORTS: {text!r} has a port outside 1-65535")
    return ports


def clean_domains(domains: Iterable[str]) -> tuple[str, ...]:
    """A workspace's allowed domains as stored: lower-case names without scheme, port, path or a leading *."""
    cleaned: list[str] = []
    for raw in domains:
        domain = raw.strip().lower().removeprefix("https://").removeprefix("http://").split("/", 1)[0].removeprefix("*.").rstrip(".")
        if domain and domain not in cleaned:
            cleaned.append(domain)
    return tuple(cleaned)


@dataclass(frozen=True)
class Policy:
    """One request's rules: the operator's settings plus, for a workspace that has one, its domain list."""

    allow: HostList = field(default_factory=HostList)
    deny: HostList = field(default_factory=HostList)
    ports: frozenset[int] | None = frozenset({80, 443})  # None: any port
    https_only: bool = False
    # A workspace's list: when set, only these domains and their subdomains (never a private address all the same).
    workspace_domains: tuple[str, ...] | None = None
    resolver: Resolver = system_resolver

    @classmethod
    def from_settings(cls, settings: Settings, *, workspace_domains: Iterable[str] | None = None,
                      resolver: Resolver | None = None) -> Policy:
        domains = clean_domains(workspace_domains) if workspace_domains is not None else ()
        return cls(
            allow=HostList.parse(settings.outbound_allow_hosts, setting="AGORA_OUTBOUND_ALLOW_HOSTS"),
            deny=HostList.parse(settings.outbound_deny_hosts, setting="AGORA_OUTBOUND_DENY_HOSTS"),
            ports=_ports(settings.outbound_ports),
            https_only=settings.outbound_https_only,
            workspace_domains=domains or None,
            resolver=resolver or system_resolver,
        )

    def check_url(self, url: str | httpx.URL) -> httpx.URL:
        """The URL parsed, if its scheme, port and host name pass; Refused saying why otherwise (addresses are checked on connect)."""
        text = str(url)
        try:
            parsed = httpx.URL(text)
        except (httpx.InvalidURL, TypeError) as exc:
            raise Refused(_("%(url)s is not a valid URL.", url=text), code="scheme", url=text) from exc
        scheme = parsed.scheme
        allowed_schemes = ("https",) if self.https_only else SCHEMES
        if scheme not in allowed_schemes:
            raise Refused(_("Only %(schemes)s addresses can be fetched, not %(url)s.", schemes=" and ".join(f"{s}://" for s in allowed_schemes), url=text),
                          code="scheme", url=text)
        if urlsplit(text).username is not None:
            # user:password@ in a URL the model or a page wrote is a way to smuggle credentials or confuse parsers.
            raise Refused(_("Addresses with a user name or password in them are not fetched: %(url)s", url=text), code="userinfo", url=text)
        host = parsed.host.lower().rstrip(".")
        if not host:
            raise Refused(_("%(url)s has no host.", url=text), code="scheme", url=text)
        port = parsed.port or DEFAULT_PORTS[scheme]
        self._check_name(host, text)
        if self.ports is not None and port not in self.ports and not self._allowed(host):
            raise Refused(_("Port %(port)s is not one Agora fetches from (%(ports)s).", port=port, ports=", ".join(map(str, sorted(self.ports)))),
                          code="port", url=text)
        return parsed

    def _allowed(self, host: str) -> bool:
        return self.allow.has_name(host) or self.allow.has_address(host)

    def _check_name(self, host: str, url: str) -> None:
        if self.deny.has_name(host) or self.deny.has_address(host):
            raise Refused(_("%(host)s is on this server's list of hosts never fetched.", host=host), code="denied_host", url=url)
        if self.workspace_domains is not None and not any(host == d or host.endswith("." + d) for d in self.workspace_domains):
            raise Refused(_("%(host)s is not among the domains your workspace allows: %(domains)s.", host=host, domains=", ".join(self.workspace_domains)),
                          code="workspace_domain", url=url)

    def resolve(self, host: str, port: int) -> list[str]:
        """The addresses to connect to for host:port, each judged; Refused when any is not allowed (resolved once, here)."""
        host = host.lower().rstrip(".").strip("[]")
        self._check_name(host, host)
        addresses = list(self.resolver(host, port))
        if not addresses:
            raise Refused(_("%(host)s does not resolve.", host=host), code="unresolvable", url=host)
        name_allowed = self._allowed(host)
        for address in addresses:
            if self.deny.has_address(address):
                raise Refused(_("%(host)s is on this server's list of hosts never fetched.", host=host), code="denied_host", url=host)
            ip = parse(address)
            if ip is None:
                raise Refused(_("%(host)s resolved to %(address)s, which is not an IP address.", host=host, address=address), code="unresolvable", url=host)
            why = refusal(ip)
            # Every address must pass: a name answering one public and one private address is refused whole.
            if why is not None and not (name_allowed or self.allow.has_address(address)):
                raise Refused(_("%(host)s is a %(kind)s address (%(address)s); Agora only fetches from the public internet.",
                                host=host, kind=why, address=str(ip)), code="private_address", url=host)
        return addresses
