"""Tests of OpenAPI actions (agora.actions)."""
