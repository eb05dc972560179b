"""Alembic migrations, inside the package so that an installed Agora can migrate its own database."""
