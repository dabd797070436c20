"""Custom collection: register the tasks of a package that is already installed.

Nothing is installed. The package folder is given, or found by running the given
interpreter in a subprocess (the server never imports user packages itself).
"""

import os
from collections.abc import Sequence
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncSession

from qfractal.auth.models import User
from qfractal.errors import InvalidInput
from qfractal.workflows.collection import commands
from qfractal.workflows.collection.manifest import ManifestError, build_tasks, check_executables
from qfractal.workflows.collection.resource import user_task_resource
from qfractal.workflows.collection.schemas import TaskCollectCustom
from qfractal.workflows.models import Task
from qfractal.workflows.tasks import access
from qfractal.workflows.tasks.service import create_other_group

FIND_PACKAGE_TIMEOUT = 60.0

# Run by the user's interpreter: print the folder of an importable package, without
# importing it (parents of a dotted name are imported, in that subprocess only).
_FIND_PACKAGE = (
    "import importlib.util, sys\n"
    "spec = importlib.util.find_spec(sys.argv[1])\n"
    "locations = spec.submodule_search_locations if spec else None\n"
    "print(list(locations)[0] if locations else '')\n"
)


async def find_package_root(python: str, package_name: str) -> str:
    argv = [python, "-c", _FIND_PACKAGE, package_name]
    try:
        result = await commands.run(argv, timeout=FIND_PACKAGE_TIMEOUT)
    except commands.CommandFailed as exc:
        raise InvalidInput(f"Cannot locate package {package_name!r} with {python}: {exc}") from exc
    root = result.stdout.strip()
    if not root:
        raise InvalidInput(f"{python} cannot find a package named {package_name!r}.")
    return root


def _check_interpreter(python: str) -> None:
    if not (os.path.isfile(python) and os.access(python, os.X_OK)):
        raise InvalidInput(f"python_interpreter {python} is not an executable file.")


async def _local_package_root(data: TaskCollectCustom) -> str:
    """The package folder on this machine, checked: it exists with every executable."""
    _check_interpreter(data.python_interpreter)
    package_root = data.package_root or await find_package_root(
        data.python_interpreter, data.package_name or ""
    )
    if not Path(package_root).is_dir():
        raise InvalidInput(f"package_root {package_root} is not a folder.")
    try:
        check_executables(data.manifest, Path(package_root))
    except ManifestError as exc:
        raise InvalidInput(str(exc)) from exc
    return package_root


async def collect_custom(
    session: AsyncSession,
    user: User,
    *,
    data: TaskCollectCustom,
    sharing: access.Sharing,
) -> Sequence[Task]:
    """Register the manifest's tasks, run by `python_interpreter` from the package folder.

    On a `slurm_ssh` resource the package is on the remote host, which is not inspected:
    `package_root` must be given, and the interpreter and executables are taken as they
    are (as fractal-server does).
    """
    resource = await user_task_resource(session, user)
    if resource.type == "slurm_ssh":
        if data.package_root is None:
            raise InvalidInput(
                f"Resource {resource.name!r} is reached over SSH: give package_root, the "
                "package's folder on the remote host (it is not looked up there)."
            )
        package_root = data.package_root
    else:
        package_root = await _local_package_root(data)
    group = await create_other_group(
        session, user, sharing, resource_id=resource.id, pkg_name=data.label, version=data.version
    )
    tasks = build_tasks(
        data.manifest,
        python=data.python_interpreter,
        package_dir=package_root,
        version=data.version,
        task_group_id=group.id,
    )
    session.add_all(tasks)
    await session.flush()
    return tasks
