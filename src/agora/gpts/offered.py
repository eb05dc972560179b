"""The models the operator offers, which a builder may pick instead of the default."""

from __future__ import annotations

import logging

from fastapi import FastAPI

log = logging.getLogger("agora.gpts")


def offered_models(app: FastAPI) -> list[str]:
    """Asked of the configured provider once per application; [] when it cannot say."""
    if not hasattr(app.state, "offered_models"):
        from agora.providers import registry

        try:
            app.state.offered_models = list(registry.create(app.state.settings.chat_provider, app.state.settings).models())
        except Exception as error:  # a misconfigured provider must not break the editor
            log.warning("could not list the provider's models", extra={"error": str(error)})
            app.state.offered_models = []
    return app.state.offered_models
