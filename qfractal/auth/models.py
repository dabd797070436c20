"""Tables of the identity shared by both faces."""

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from qfractal.db.base import Base
from qfractal.db.types import utc_now


class User(Base):
    __tablename__ = "user_account"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(320), unique=True)
    """Stored lower-case, so uniqueness and login are case-insensitive."""
    hashed_password: Mapped[str] = mapped_column(String(1024))
    is_active: Mapped[bool] = mapped_column(default=True)
    is_superuser: Mapped[bool] = mapped_column(default=False)
    is_verified: Mapped[bool] = mapped_column(default=False)
    project_dirs: Mapped[list[str]] = mapped_column(default=list)
    """fractal-server 2.17 has one `project_dir`, 2.18 a list; both are served from this."""
    slurm_accounts: Mapped[list[str]] = mapped_column(default=list)
    profile_id: Mapped[int | None] = mapped_column(
        ForeignKey("profile.id", ondelete="RESTRICT"), index=True
    )
    timestamp_created: Mapped[datetime] = mapped_column(default=utc_now)


class UserGroup(Base):
    __tablename__ = "user_group"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(255), unique=True)
    viewer_paths: Mapped[list[str]] = mapped_column(default=list)
    timestamp_created: Mapped[datetime] = mapped_column(default=utc_now)


class LinkUserGroup(Base):
    __tablename__ = "link_user_group"

    group_id: Mapped[int] = mapped_column(
        ForeignKey("user_group.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[int] = mapped_column(
        ForeignKey("user_account.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    timestamp_created: Mapped[datetime] = mapped_column(default=utc_now)


class RevokedToken(Base):
    """Tokens ended by logout before their expiry (rows are pruned once expired)."""

    __tablename__ = "revoked_token"

    jti: Mapped[str] = mapped_column(String(64), primary_key=True)
    expires_at: Mapped[datetime] = mapped_column(index=True)
