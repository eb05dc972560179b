"""The inventory's one setting: which admin inherits the GPTs of a member who leaves or is deactivated."""

from __future__ import annotations

from sqlalchemy import ForeignKey
from sqlalchemy.orm import Mapped, mapped_column

from agora.db import Base


class GptHeir(Base):
    """A team's chosen heir; without one (or once they are no longer a manager) the team's first owner inherits."""

    __tablename__ = "gpt_heirs"

    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
