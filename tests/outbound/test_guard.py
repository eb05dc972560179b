"""The outbound guard: every private target in the table refused, in every notation, by name, by redirect and by rebinding."""

from __future__ import annotations

import asyncio
import ssl

import httpx
import pytest
import trustme

from agora import outbound
from agora.config import Settings
from agora.outbound.policy import Policy, Refused
from tests.outbound.servers import PUBLIC, AsyncRoutingBackend, Resolver, RoutingBackend, Server


def settings(**overrides: object) -> Settings:
    return Settings(_env_file=None, **overrides)  # type: ignore[arg-type]


# Every way people and parsers write an address that is not on the public internet.
PRIVATE_TARGETS = [
    "http://127.0.0.1/", "http://127.0.0.2/", "http://127.1/", "http://2130706433/", "http://0x7f000001/", "http://0x7f.1/",
    "http://0177.0.0.1/", "http://017700000001/", "http://0x7f.0.0.1/", "http://127.000.000.001/",
    "http://localhost/", "http://LOCALHOST./", "http://0.0.0.0/", "http://0/", "http://[::]/", "http://[::1]/",
    "http://[0:0:0:0:0:0:0:1]/", "http://[::ffff:127.0.0.1]/", "http://[::ffff:7f00:1]/", "http://[0:0:0:0:0:ffff:127.0.0.1]/",
    "http://[::127.0.0.1]/", "http://[64:ff9b::7f00:1]/", "http://[2002:7f00:1::]/", "http://[2001:0:4136:e378:8000:63bf:3fff:fdd2]/",
    "http://10.0.0.1/", "http://10.255.255.255/", "http://172.16.0.1/", "http://172.31.255.254/", "http://192.168.0.1/",
    "http://169.254.169.254/latest/meta-data/", "http://[::ffff:169.254.169.254]/", "http://[::ffff:a9fe:a9fe]/", "http://[fe80::1]/",
    "http://100.64.0.1/", "http://100.127.255.254/", "http://[fc00::1]/", "http://[fd12:3456:789a::1]/", "http://[fec0::1]/",
    "http://224.0.0.1/", "http://239.255.255.250/", "http://[ff02::1]/", "http://255.255.255.255/", "http://240.0.0.1/",
    "http://198.18.0.1/", "http://192.0.0.8/", "https://127.0.0.1/", "https://[::1]:443/",
]


@pytest.mark.parametrize("url", PRIVATE_TARGETS)
def test_every_private_target_is_refused(url: str) -> None:
    with pytest.raises(Refused) as refused:
        outbound.check_url(url, settings())
    assert refused.value.code in {"private_address", "scheme", "unresolvable"}, refused.value
    # And a request never leaves: the client refuses the same before connecting (httpx itself refuses
    # to parse a few notations, such as 0177.0.0.1, before the guard sees them).
    with outbound.client(settings()) as http, pytest.raises((Refused, httpx.InvalidURL)):
        http.get(url)


@pytest.mark.parametrize("url", ["http://127.0.0.1/", "http://2130706433/", "http://[::ffff:127.0.0.1]/", "http://[::1]/", "http://0.0.0.0/"])
def test_an_address_refused_is_named_with_what_it_is(url: str) -> None:
    with pytest.raises(Refused, match="address") as refused:
        outbound.check_url(url, settings())
    assert refused.value.code == "private_address"


def test_a_public_address_passes() -> None:
    resolver = Resolver({"example.org": [PUBLIC]})
    assert outbound.check_url("https://example.org/path?q=1", settings(), resolver=resolver).host == "example.org"
    assert outbound.check_url(f"http://{PUBLIC}/", settings()).host == PUBLIC
    assert outbound.check_url("https://[2606:4700:4700::1111]/", settings()).port is None


@pytest.mark.parametrize("answer", [["10.0.0.5"], ["192.168.1.10"], ["::1"], ["fd00::1"], ["::ffff:10.0.0.1"], [PUBLIC, "10.0.0.5"]])
def test_a_name_resolving_to_a_private_address_is_refused(answer: list[str]) -> None:
    resolver = Resolver({"intranet.example.com": answer})
    with pytest.raises(Refused) as refused:
        outbound.check_url("https://intranet.example.com/", settings(), resolver=resolver)
    assert refused.value.code == "private_address"


@pytest.mark.parametrize(("url", "code"), [
    ("ftp://example.org/", "scheme"), ("file:///etc/passwd", "scheme"), ("gopher://example.org/", "scheme"),
    ("javascript:alert(1)", "scheme"), ("http://user:secret@example.org/", "userinfo"), ("http://example.org:8080/", "port"),
    ("https://example.org:22/", "port"), ("not a url", "scheme"),
])
def test_schemes_ports_and_credentials(url: str, code: str) -> None:
    with pytest.raises(Refused) as refused:
        outbound.check_url(url, settings(), resolver=Resolver({"example.org": [PUBLIC]}))
    assert refused.value.code == code


def test_the_operators_ports_and_https_only() -> None:
    resolver = Resolver({"example.org": [PUBLIC]})
    assert outbound.check_url("http://example.org:8080/", settings(outbound_ports="8080"), resolver=resolver)
    assert outbound.check_url("http://example.org:8081/", settings(outbound_ports="*"), resolver=resolver)
    with pytest.raises(Refused) as refused:
        outbound.check_url("http://example.org/", settings(outbound_https_only=True), resolver=resolver)
    assert refused.value.code == "scheme"


def test_the_allow_list_lets_hosts_and_networks_through_on_any_port() -> None:
    resolver = Resolver({"api.internal": ["10.1.2.3"], "db.internal": ["10.9.9.9"], "x.corp.example": ["172.20.0.1"]})
    allowing = settings(outbound_allow_hosts="api.internal, 10.9.0.0/16, *.corp.example, 127.0.0.1")
    for url in ["http://api.internal:9000/", "http://db.internal/", "http://x.corp.example/", "http://127.0.0.1:5000/"]:
        assert outbound.check_url(url, allowing, resolver=resolver)
    with pytest.raises(Refused):
        outbound.check_url("http://corp.example.internal/", allowing, resolver=Resolver({"corp.example.internal": ["10.0.0.1"]}))
    with pytest.raises(Refused):  # 127.0.0.1 as written is allowed, not every spelling of loopback
        outbound.check_url("http://[::1]/", allowing)


def test_the_deny_list_wins() -> None:
    resolver = Resolver({"tracker.evil.test": [PUBLIC], "evil.test": [PUBLIC], "fine.test": ["93.184.215.99"]})
    denying = settings(outbound_deny_hosts="*.evil.test, 93.184.215.0/24", outbound_allow_hosts="tracker.evil.test")
    for url in ["http://tracker.evil.test/", "http://fine.test/", f"http://{PUBLIC}/"]:
        with pytest.raises(Refused) as refused:
            outbound.check_url(url, denying, resolver=resolver)
        assert refused.value.code == "denied_host", url


def test_a_workspaces_domain_list_narrows_and_never_widens() -> None:
    resolver = Resolver({"api.example.org": [PUBLIC], "example.org": [PUBLIC], "example.com": [PUBLIC], "intranet.example.org": ["10.0.0.1"]})
    domains = ["https://Example.org/", "*.example.org"]
    assert outbound.check_url("https://api.example.org/", settings(), workspace_domains=domains, resolver=resolver)
    assert outbound.check_url("https://example.org/", settings(), workspace_domains=domains, resolver=resolver)
    with pytest.raises(Refused) as refused:
        outbound.check_url("https://example.com/", settings(), workspace_domains=domains, resolver=resolver)
    assert refused.value.code == "workspace_domain"
    with pytest.raises(Refused) as refused:
        outbound.check_url("https://notexample.org/", settings(), workspace_domains=domains, resolver=resolver)
    assert refused.value.code == "workspace_domain"
    with pytest.raises(Refused) as refused:
        outbound.check_url("https://intranet.example.org/", settings(), workspace_domains=domains, resolver=resolver)
    assert refused.value.code == "private_address"


def test_bad_settings_name_the_setting() -> None:
    with pytest.raises(ValueError, match="AGORA_OUTBOUND_ALLOW_HOSTS"):
        Policy.from_settings(settings(outbound_allow_hosts="http://x/y"))
    with pytest.raises(ValueError, match="AGORA_OUTBOUND_PORTS"):
        Policy.from_settings(settings(outbound_ports="80,https"))


@pytest.fixture
def server():
    server = Server()
    yield server
    server.close()


def guarded(resolver: Resolver, backend: RoutingBackend, **overrides: object) -> httpx.Client:
    return outbound.client(settings(outbound_ports="*", **overrides), resolver=resolver, network_backend=backend)


def test_a_request_connects_to_the_address_it_judged_and_keeps_the_name(server: Server) -> None:
    resolver, backend = Resolver({"public.test": [PUBLIC]}), RoutingBackend()
    with guarded(resolver, backend) as http:
        response = http.get(f"http://public.test:{server.port}/ok")
    assert response.text == f"host=public.test:{server.port}"
    assert backend.connected == [PUBLIC] and resolver.asked == ["public.test"]


def test_a_rebinding_name_gets_one_resolution_and_the_connection_uses_it(server: Server) -> None:
    # First answer public, every later one private: the request goes to the first, judged, answer.
    resolver, backend = Resolver({"rebind.test": [[PUBLIC], ["127.0.0.1"], ["127.0.0.1"]]}), RoutingBackend()
    with guarded(resolver, backend) as http:
        assert http.get(f"http://rebind.test:{server.port}/ok").status_code == 200
    assert resolver.asked == ["rebind.test"] and backend.connected == [PUBLIC]
    # A new connection resolves again and is judged again: the private answer is refused, not connected to.
    with guarded(resolver, backend) as http, pytest.raises(Refused) as refused:
        http.get(f"http://rebind.test:{server.port}/ok")
    assert refused.value.code == "private_address" and backend.connected == [PUBLIC]


def test_check_url_then_fetch_is_judged_twice(server: Server) -> None:
    resolver, backend = Resolver({"rebind.test": [[PUBLIC], ["10.0.0.1"]]}), RoutingBackend()
    assert outbound.check_url(f"http://rebind.test:{server.port}/", settings(outbound_ports="*"), resolver=resolver)
    with guarded(resolver, backend) as http, pytest.raises(Refused):
        http.get(f"http://rebind.test:{server.port}/ok")
    assert backend.connected == []


@pytest.mark.parametrize("target", [
    "http://127.0.0.1:{port}/secret", "http://[::ffff:127.0.0.1]:{port}/secret", "http://2130706433:{port}/secret",
    "http://intranet.test:{port}/secret", "http://[::1]:{port}/secret", "file:///etc/passwd", "http://169.254.169.254/latest/meta-data/",
])
def test_a_redirect_to_a_private_target_is_not_followed(server: Server, target: str) -> None:
    resolver, backend = Resolver({"public.test": [PUBLIC], "intranet.test": ["10.0.0.7"]}), RoutingBackend()
    with guarded(resolver, backend) as http, pytest.raises(Refused):
        http.get(f"http://public.test:{server.port}/redirect", params={"to": target.format(port=server.port)})
    assert "/secret" not in server.paths and set(backend.connected) == {PUBLIC}


def test_redirects_to_public_targets_are_followed_three_times_at_most(server: Server) -> None:
    resolver, backend = Resolver({"public.test": [PUBLIC], "other.test": [PUBLIC]}), RoutingBackend()
    with guarded(resolver, backend) as http:
        followed = http.get(f"http://public.test:{server.port}/redirect", params={"to": f"http://other.test:{server.port}/ok"})
        assert followed.text == f"host=other.test:{server.port}"
        with pytest.raises(httpx.TooManyRedirects):
            http.get(f"http://public.test:{server.port}/loop")
    assert server.paths.count("/loop") == outbound.MAX_REDIRECTS + 1


def test_the_allow_list_reaches_loopback_for_real(server: Server) -> None:
    with outbound.client(settings(outbound_allow_hosts="127.0.0.1")) as http:
        assert http.get(f"http://127.0.0.1:{server.port}/ok").status_code == 200
    with outbound.client(settings(outbound_allow_hosts="localhost", outbound_ports="*")) as http, pytest.raises(Refused):
        http.get(f"http://127.0.0.1:{server.port}/ok")  # the name is allowed, not this spelling of its address


def test_tls_is_checked_against_the_name_not_the_address(tmp_path) -> None:
    ca = trustme.CA()
    server_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("public.test").configure_cert(server_context)
    server = Server(tls=server_context)
    client_context = ssl.create_default_context()
    ca.configure_trust(client_context)
    try:
        resolver, backend = Resolver({"public.test": [PUBLIC], "wrong.test": [PUBLIC]}), RoutingBackend()
        with outbound.client(settings(outbound_ports="*"), resolver=resolver, network_backend=backend, verify=client_context) as http:
            assert http.get(f"https://public.test:{server.port}/ok").text == f"host=public.test:{server.port}"
            with pytest.raises(httpx.ConnectError, match="certificate"):
                http.get(f"https://wrong.test:{server.port}/ok")  # same address, a name the certificate is not for
    finally:
        server.close()


def test_the_async_client_is_guarded_the_same_way(server: Server) -> None:
    async def scenario() -> None:
        resolver = Resolver({"public.test": [PUBLIC], "rebind.test": [[PUBLIC], ["192.168.0.1"]]})
        backend = AsyncRoutingBackend()
        async with outbound.async_client(settings(outbound_ports="*"), resolver=resolver, network_backend=backend) as http:
            assert (await http.get(f"http://public.test:{server.port}/ok")).status_code == 200
            with pytest.raises(Refused):
                await http.get(f"http://public.test:{server.port}/redirect", params={"to": f"http://127.0.0.1:{server.port}/secret"})
            assert (await http.get(f"http://rebind.test:{server.port}/ok")).status_code == 200
        async with outbound.async_client(settings(outbound_ports="*"), resolver=resolver, network_backend=backend) as http:
            with pytest.raises(Refused):
                await http.get(f"http://rebind.test:{server.port}/ok")
        assert set(backend.connected) == {PUBLIC}
        async with outbound.async_client(settings()) as http:
            with pytest.raises(Refused):
                await http.get("http://[::ffff:127.0.0.1]/")

    asyncio.run(scenario())
    assert "/secret" not in server.paths
