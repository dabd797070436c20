"""What task collection needs to know about the user's compute resource."""

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from qfractal.auth.models import User
from qfractal.compute.service import get_resource, resource_id_of_user
from qfractal.errors import InvalidInput


@dataclass(frozen=True)
class TaskResource:
    """The task settings of one compute resource, read once per request."""

    id: int
    name: str
    type: str
    tasks_dir: str
    pythons: dict[str, str]
    default_python: str | None
    pip_cache_dir: str | None
    pixi: dict[str, Any] = field(default_factory=dict)

    def python(self, version: str | None) -> tuple[str, str]:
        """(version, base interpreter) for `version`, or for the default version if None."""
        chosen = version or self.default_python
        if chosen is None or chosen not in self.pythons:
            available = ", ".join(sorted(self.pythons)) or "none"
            raise InvalidInput(
                f"Python version {chosen} is not available for task collection on resource "
                f"{self.name!r} (available: {available})."
            )
        return chosen, self.pythons[chosen]

    def group_path(self, user: User, pkg_name: str, version: str) -> str:
        """The folder of a collected task group; each user installs into their own area."""
        return str(Path(self.tasks_dir, str(user.id), pkg_name, version))

    def check_local(self) -> None:
        if self.type == "slurm_ssh":
            raise InvalidInput(
                f"Resource {self.name!r} is reached over SSH: collecting tasks on a remote "
                "host is not supported; install the package there and use custom collection."
            )


async def user_task_resource(session: AsyncSession, user: User) -> TaskResource:
    return await task_resource(session, await resource_id_of_user(session, user))


async def task_resource(session: AsyncSession, resource_id: int) -> TaskResource:
    resource = await get_resource(session, resource_id)
    config = resource.tasks_python_config or {}
    return TaskResource(
        id=resource.id,
        name=resource.name,
        type=resource.type,
        tasks_dir=resource.tasks_local_dir,
        pythons={str(k): str(v) for k, v in (config.get("versions") or {}).items()},
        default_python=config.get("default_version"),
        pip_cache_dir=config.get("pip_cache_dir"),
        pixi=dict(resource.tasks_pixi_config or {}),
    )
