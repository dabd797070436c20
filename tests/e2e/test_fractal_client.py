"""The real fractal-client CLIs (2.17.0 and 2.18.2) against a live qfractal server."""

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.databases import empty_database
from tests.e2e.fractal_client import CLIENT_VERSIONS, FractalCLI, client_executable
from tests.e2e.live_server import ADMIN, LiveServer, live_server, server_env

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    folder = tmp_path_factory.mktemp("live")
    with empty_database(folder) as url, live_server(server_env(folder / "data", url)) as live:
        yield live


@pytest.fixture(params=CLIENT_VERSIONS)
def fractal(request: pytest.FixtureRequest, server: LiveServer, tmp_path: Path) -> FractalCLI:
    return FractalCLI(
        executable=client_executable(request.param),
        server=server.base_url,
        cache_dir=tmp_path / "fractal-cache",
        user=ADMIN[0],
        password=ADMIN[1],
    )


def _suffix(fractal: FractalCLI) -> str:
    """Names unique per client version, since both share one server."""
    return fractal.executable.parents[1].name.replace("fractal-client-", "v")


def test_version_and_whoami(fractal: FractalCLI) -> None:
    version = fractal.ok("version")
    assert "url: " + fractal.server in version
    assert "version: 0.1.0" in version
    me = fractal.json("user", "whoami")
    assert me["email"] == ADMIN[0]
    assert me["is_superuser"] is True


def test_users_and_groups(fractal: FractalCLI, tmp_path: Path) -> None:
    email = f"user-{_suffix(fractal)}@example.org"
    registered = fractal.json("user", "register", email, "secret", str(tmp_path / "home"))
    assert registered["email"] == email
    assert registered["is_verified"] is True
    assert registered["project_dir"] == str(tmp_path / "home")
    assert email in [u["email"] for u in fractal.json("user", "list")]

    newcomer = fractal.as_user(email, "secret")
    assert newcomer.json("user", "whoami")["id"] == registered["id"]

    group = fractal.json("group", "new", f"group-{_suffix(fractal)}")
    with_user = fractal.json("group", "add-user", str(group["id"]), str(registered["id"]))
    assert with_user["user_ids"] == [registered["id"]]
    listed = {g["name"] for g in fractal.json("group", "list")}
    assert {"All", group["name"]} <= listed


def test_projects(fractal: FractalCLI) -> None:
    name = f"project-{_suffix(fractal)}"
    project = fractal.json("project", "new", name)
    assert project["name"] == name
    assert project["id"] in [p["id"] for p in fractal.json("project", "list")]
    assert fractal.json("project", "show", str(project["id"])) == project
    renamed = fractal.json("project", "edit", str(project["id"]), "--new-name", name + "-x")
    assert renamed["name"] == name + "-x"
    fractal.ok("project", "delete", str(project["id"]))
    assert project["id"] not in [p["id"] for p in fractal.json("project", "list")]
