"""Server settings: the only place that reads the environment.

Every field can be set as an environment variable with the ``QFRACTAL_`` prefix
(``QFRACTAL_DATABASE_URL``, ``QFRACTAL_DATA_DIR``, ...) or in a ``.env`` file in the
working directory.
"""

from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy.engine import make_url

MIN_JWT_SECRET_LENGTH = 32


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="QFRACTAL_", env_file=".env", extra="ignore", frozen=True
    )

    data_dir: Path = Field(
        default=Path("data"),
        description="Folder for the SQLite database, job folders and task environments.",
    )
    database_url: str | None = Field(
        default=None,
        description=(
            "SQLAlchemy URL of the database, e.g. postgresql://user@host:5432/qfractal. "
            "Default: a SQLite file `qfractal.db` in the data directory."
        ),
    )
    jwt_secret: SecretStr | None = Field(
        default=None,
        description=(
            "Key that signs access tokens (at least 32 characters). Default: a random key "
            "created once and kept in `<data_dir>/jwt-secret` (mode 0600)."
        ),
    )
    jwt_expire_seconds: int = Field(
        default=8 * 3600, gt=0, description="Lifetime of bearer tokens from /auth/token/login/."
    )
    cookie_expire_seconds: int = Field(
        default=24 * 3600, gt=0, description="Lifetime of the browser cookie from /auth/login/."
    )
    cookie_secure: bool = Field(default=False, description="Send the login cookie only over HTTPS.")
    default_group_name: str = Field(
        default="All", min_length=1, description="Group that every user belongs to."
    )
    admin_email: str | None = Field(
        default=None, description="E-mail of the first superuser, created by `qfractal init`."
    )
    admin_password: SecretStr | None = Field(
        default=None, description="Password of the first superuser, used by `qfractal init`."
    )
    data_auth_scheme: Literal["none", "viewer-paths", "users-folders"] = Field(
        default="viewer-paths",
        description=(
            "What /auth/current-user/allowed-viewer-paths/ returns: nothing (`none`), the "
            "user's project folders plus their groups' viewer paths (`viewer-paths`), or "
            "`<data_base_folder>/<profile username>` (`users-folders`)."
        ),
    )
    data_base_folder: str | None = Field(
        default=None, description="Base folder of the `users-folders` data-auth scheme."
    )
    log_level: str = Field(default="INFO", description="Logging level of the server.")
    password_hash_memory_kib: int = Field(
        default=65536,
        ge=64,
        description=(
            "argon2id memory cost (KiB) of new password hashes. Lower it only for tests: "
            "cheaper hashes are cheaper to crack."
        ),
    )

    @field_validator("data_dir")
    @classmethod
    def _absolute_data_dir(cls, value: Path) -> Path:
        return value.expanduser().resolve()

    @field_validator("jwt_secret")
    @classmethod
    def _long_enough_secret(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and len(value.get_secret_value()) < MIN_JWT_SECRET_LENGTH:
            raise ValueError(f"must be at least {MIN_JWT_SECRET_LENGTH} characters long")
        return value

    @property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{self.data_dir / 'qfractal.db'}"

    @property
    def safe_database_url(self) -> str:
        """The database URL with its password masked, for logs and /api/settings/."""
        return make_url(self.resolved_database_url).render_as_string(hide_password=True)

    @property
    def jobs_dir(self) -> Path:
        return self.data_dir / "jobs"

    @property
    def tasks_dir(self) -> Path:
        return self.data_dir / "tasks"

    @property
    def projects_dir(self) -> Path:
        return self.data_dir / "projects"
