"""The outbound guard: every server-side request to an address someone other than the operator chose goes through it.

    from agora import outbound
    outbound.check_url(url)                       # Refused unless it could be fetched now
    with outbound.client(settings) as http: ...   # an httpx.Client, each connection judged
    async with outbound.async_client(settings, workspace_domains=...) as http: ...

Refused (an httpx.TransportError) carries a `code` and a message for people. The rules are in
agora.outbound.policy, the addresses never reached in agora.outbound.addresses; docs/actions.md
("Outbound guard") describes them for operators.
"""

from agora.outbound.policy import Policy, Refused, clean_domains
from agora.outbound.transport import MAX_REDIRECTS, async_client, check_url, client, policy

__all__ = ["MAX_REDIRECTS", "Policy", "Refused", "async_client", "check_url", "clean_domains", "client", "policy"]
