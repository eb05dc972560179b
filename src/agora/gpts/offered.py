"""The models the operator offers, which a builder may pick instead of the default."""

from __future__ import annotations

import logging

from fastapi import FastAPI

log = logging.getLogger("agora.gpts")


def offered_models(app: FastAPI) -> list[str]:
    """Asked of the chat's providers each time (an admin may add or remove some); [] when they cannot say."""
    from agora.providers import catalog

    try:
        return list(catalog.chat_provider(app.state).models())
    except Exception as error:  # noqa: BLE001 - a misconfigured provider must not break the editor
        log.warning("could not list the provider's models", extra={"error": str(error)})
        return []
