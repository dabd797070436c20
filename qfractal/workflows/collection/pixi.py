"""Pixi collection (`{pkg}-{version}.tar.gz` sources built with pixi).

Only the checks are implemented: a resource without pixi versions in `tasks_pixi_config`
is told so, and a configured one is told that this server cannot run pixi yet. Both are
422 answers with a message, never a half-made task group.
"""

import re
from typing import NoReturn

from sqlalchemy.ext.asyncio import AsyncSession

from qfractal.auth.models import User
from qfractal.errors import InvalidInput
from qfractal.workflows.collection.resource import user_task_resource

_ARCHIVE = re.compile(r"^(?P<name>[A-Za-z0-9._-]+)-(?P<version>[A-Za-z0-9.+!_-]+)\.tar\.gz$")


async def request_collection(
    session: AsyncSession, user: User, *, filename: str, pixi_version: str | None
) -> NoReturn:
    resource = await user_task_resource(session, user)
    versions = resource.pixi.get("versions") or {}
    if not versions:
        raise InvalidInput(
            f"Pixi task collection is not available on resource {resource.name!r}: its "
            "tasks_pixi_config has no pixi versions."
        )
    if not _ARCHIVE.match(filename):
        raise InvalidInput(
            f"Pixi archives must be named '{{package}}-{{version}}.tar.gz', got {filename!r}."
        )
    chosen = pixi_version or resource.pixi.get("default_version")
    if chosen not in versions:
        raise InvalidInput(
            f"Pixi version {chosen} is not configured on resource {resource.name!r} "
            f"(available: {', '.join(sorted(versions))})."
        )
    raise InvalidInput("This server cannot build pixi environments yet; collect a wheel instead.")
