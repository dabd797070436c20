"""Server settings: the only place that reads the environment.

Every field can be set as an environment variable with the ``QFRACTAL_`` prefix
(``QFRACTAL_DATABASE_URL``, ``QFRACTAL_DATA_DIR``, ...) or in a ``.env`` file in the
working directory.
"""

from pathlib import Path
from typing import Annotated, Literal, Self

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict
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
    engine: Literal["embedded", "celery"] = Field(
        default="embedded",
        description=(
            "Where background jobs run: worker tasks inside `qfractal serve` (`embedded`), or "
            "Celery workers started by `qfractal worker` (`celery`)."
        ),
    )
    engine_workers: int = Field(
        default=2,
        ge=1,
        description=(
            "Jobs run at once by the embedded engine; default concurrency of `qfractal worker`."
        ),
    )
    engine_heartbeat_seconds: float = Field(
        default=5,
        gt=0,
        description=(
            "How often a running job renews its lease and checks for a stop request; also "
            "how often engines look for queued work and sweep lost jobs."
        ),
    )
    engine_lease_seconds: float = Field(
        default=60,
        gt=0,
        description=(
            "A running job whose heartbeat is older than this is failed as lost (its worker "
            "died); a stopped job that has not ended after this long is cancelled."
        ),
    )
    engine_handler_modules: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description=(
            "Comma-separated Python modules imported at start-up that register job handlers, "
            "in addition to the built-in ones (plug-ins, tests)."
        ),
    )
    celery_broker_url: SecretStr = Field(
        default=SecretStr("redis://127.0.0.1:6379/0"),
        description="Broker of the `celery` engine: a redis:// or amqp:// (RabbitMQ) URL.",
    )
    celery_queue: str = Field(
        default="qfractal",
        min_length=1,
        description="Celery queue of the engine's tasks: one per server sharing a broker.",
    )

    ibm_token: SecretStr | None = Field(
        default=None,
        description="IBM Quantum token for IBM cloud devices, when a job request gives none.",
    )
    ibm_instance: str | None = Field(
        default=None, description="IBM Quantum instance (CRN) of IBM cloud jobs; default: any."
    )
    aws_access_key_id: SecretStr | None = Field(
        default=None, description="AWS access key of Braket cloud jobs."
    )
    aws_secret_access_key: SecretStr | None = Field(
        default=None, description="AWS secret key of Braket cloud jobs."
    )
    aws_region: str = Field(default="us-east-1", description="AWS region of Braket cloud jobs.")
    aws_s3_bucket: str | None = Field(
        default=None, description="S3 bucket where Braket writes the results of cloud tasks."
    )
    aws_s3_prefix: str = Field(default="qfractal", description="Key prefix of those results.")
    qmware_url: str | None = Field(default=None, description="Base URL of QMware's API.")
    qmware_api_key: SecretStr | None = Field(default=None, description="QMware API key.")
    qmware_api_key_id: SecretStr | None = Field(default=None, description="QMware API key id.")

    @field_validator("engine_handler_modules", mode="before")
    @classmethod
    def _split_modules(cls, value: object) -> object:
        if isinstance(value, str):
            return [name.strip() for name in value.split(",") if name.strip()]
        return value

    @model_validator(mode="after")
    def _heartbeat_within_lease(self) -> Self:
        if self.engine_heartbeat_seconds >= self.engine_lease_seconds:
            raise ValueError("engine_heartbeat_seconds must be shorter than engine_lease_seconds")
        return self

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
