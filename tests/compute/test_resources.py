"""/admin/v2/resource/ routes, as a superuser (fractal-server 2.17 wire format).

The body builders and the create helpers at the top are shared with the profile
and database-constraint tests of this folder.
"""

from datetime import datetime
from typing import Any

import httpx
import pytest

from tests.conftest import Account

RESOURCES = "/admin/v2/resource/"
PROFILES = "/admin/v2/profile/"
MAX_ID = 2**31 - 1

READ_FIELDS = {
    "id",
    "type",
    "name",
    "timestamp_created",
    "host",
    "jobs_local_dir",
    "jobs_runner_config",
    "jobs_slurm_python_worker",
    "jobs_poll_interval",
    "tasks_local_dir",
    "tasks_python_config",
    "tasks_pixi_config",
}


# --- body builders ------------------------------------------------------------------


def python_config(**overrides: Any) -> dict[str, Any]:
    """A TasksPythonSettings with every field given, so it reads back unchanged."""
    return {
        "default_version": "3.12",
        "versions": {"3.11": "/tmp/python/3.11/bin/python", "3.12": "/tmp/python/3.12/bin/python"},
        "pip_cache_dir": "/tmp/pip-cache",
        **overrides,
    }


def slurm_config_set(partition: str, **overrides: Any) -> dict[str, Any]:
    """A SlurmConfigSet with every field given, so it reads back unchanged."""
    return {
        "partition": partition,
        "cpus_per_task": 1,
        "mem": "100M",
        "constraint": "intel",
        "gres": "gpu:1",
        "exclude": "node1",
        "nodelist": "node2",
        "time": "01:00:00",
        "account": "lab",
        "extra_lines": ["#SBATCH --comment=test"],
        "gpus": "1",
        **overrides,
    }


def batching_config(**overrides: Any) -> dict[str, Any]:
    return {
        "target_num_jobs": 2,
        "max_num_jobs": 4,
        "target_cpus_per_job": 1,
        "max_cpus_per_job": 2,
        "target_mem_per_job": 200,
        "max_mem_per_job": "500M",
        **overrides,
    }


def slurm_runner_config(**overrides: Any) -> dict[str, Any]:
    """A JobRunnerConfigSLURM with every field given."""
    return {
        "default_slurm_config": slurm_config_set("main"),
        "gpu_slurm_config": slurm_config_set("gpu", mem=4000),
        "batching_config": batching_config(),
        "user_local_exports": {"CELLPOSE_LOCAL_MODELS_PATH": "cellpose"},
        **overrides,
    }


def _resource(name: str, type_: str, **fields: Any) -> dict[str, Any]:
    return {
        "type": type_,
        "name": name,
        "host": None,
        "jobs_local_dir": f"/tmp/{name}/jobs",
        "jobs_slurm_python_worker": None,
        "jobs_poll_interval": 7,
        "tasks_local_dir": f"/tmp/{name}/tasks",
        "tasks_python_config": python_config(),
        "tasks_pixi_config": {},
        **fields,
    }


def local_resource(name: str, **overrides: Any) -> dict[str, Any]:
    return _resource(
        name, "local", **{"jobs_runner_config": {"parallel_tasks_per_job": 2}} | overrides
    )


def slurm_sudo_resource(name: str, **overrides: Any) -> dict[str, Any]:
    fields = {
        "jobs_runner_config": slurm_runner_config(),
        "jobs_slurm_python_worker": "/tmp/worker/bin/python",
        **overrides,
    }
    return _resource(name, "slurm_sudo", **fields)


def slurm_ssh_resource(name: str, **overrides: Any) -> dict[str, Any]:
    return slurm_sudo_resource(
        name, **{"type": "slurm_ssh", "host": "cluster.example.org"} | overrides
    )


def without(body: dict[str, Any], *keys: str) -> dict[str, Any]:
    return {k: v for k, v in body.items() if k not in keys}


def local_profile(name: str, **overrides: Any) -> dict[str, Any]:
    return {"name": name, "resource_type": "local", **overrides}


def slurm_sudo_profile(name: str, **overrides: Any) -> dict[str, Any]:
    return {"name": name, "resource_type": "slurm_sudo", "username": f"{name}-user", **overrides}


def slurm_ssh_profile(name: str, **overrides: Any) -> dict[str, Any]:
    return {
        "name": name,
        "resource_type": "slurm_ssh",
        "username": f"{name}-user",
        "ssh_key_path": f"/tmp/keys/{name}",
        "jobs_remote_dir": f"/tmp/remote/{name}/jobs",
        "tasks_remote_dir": f"/tmp/remote/{name}/tasks",
        **overrides,
    }


# --- request helpers ----------------------------------------------------------------


async def create_resource(
    client: httpx.AsyncClient, admin: Account, body: dict[str, Any]
) -> dict[str, Any]:
    response = await client.post(RESOURCES, json=body, headers=admin.headers)
    assert response.status_code == 201, response.text
    return response.json()


async def create_profile(
    client: httpx.AsyncClient, admin: Account, resource_id: int, body: dict[str, Any]
) -> dict[str, Any]:
    response = await client.post(
        f"{RESOURCES}{resource_id}/profile/", json=body, headers=admin.headers
    )
    assert response.status_code == 201, response.text
    return response.json()


async def get_json(client: httpx.AsyncClient, admin: Account, path: str) -> Any:
    response = await client.get(path, headers=admin.headers)
    assert response.status_code == 200, response.text
    return response.json()


def assert_not_found(response: httpx.Response) -> None:
    assert response.status_code == 404, response.text
    assert isinstance(response.json()["detail"], str)


def assert_rule_broken(response: httpx.Response, *words: str) -> None:
    """A business-rule 422: `detail` is a sentence, not a list of field errors."""
    assert response.status_code == 422, response.text
    detail = response.json()["detail"]
    assert isinstance(detail, str), detail
    for word in words:
        assert word in detail, detail


def assert_invalid_field(response: httpx.Response, field: str) -> None:
    """A validation 422 whose detail[].loc names `field`."""
    assert response.status_code == 422, response.text
    detail = response.json()["detail"]
    assert isinstance(detail, list), detail
    locations = [error["loc"] for error in detail]
    assert any(field in loc for loc in locations), locations


def assert_resource_read(read: dict[str, Any], sent: dict[str, Any]) -> None:
    """ResourceRead shape, with every field equal to what was sent."""
    assert set(read) == READ_FIELDS
    assert isinstance(read["id"], int)
    assert datetime.fromisoformat(read["timestamp_created"]).tzinfo is not None
    assert without(read, "id", "timestamp_created") == sent


# --- create and read ----------------------------------------------------------------

BUILDERS = [local_resource, slurm_sudo_resource, slurm_ssh_resource]


@pytest.mark.parametrize("builder", BUILDERS, ids=lambda b: b.__name__)
async def test_create_resource_of_each_type(
    client: httpx.AsyncClient, admin: Account, builder: Any
) -> None:
    body = builder("cluster")
    created = await create_resource(client, admin, body)
    assert_resource_read(created, body)
    assert created["type"] == body["type"]

    read = await get_json(client, admin, f"{RESOURCES}{created['id']}/")
    assert read == created


async def test_slurm_ssh_resource_keeps_its_host(client: httpx.AsyncClient, admin: Account) -> None:
    created = await create_resource(client, admin, slurm_ssh_resource("ssh", host="10.0.0.1"))
    read = await get_json(client, admin, f"{RESOURCES}{created['id']}/")
    assert read["host"] == "10.0.0.1"
    assert read["jobs_slurm_python_worker"] == "/tmp/worker/bin/python"


async def test_optional_fields_get_defaults(client: httpx.AsyncClient, admin: Account) -> None:
    body = without(slurm_sudo_resource("minimal"), "host", "jobs_poll_interval")
    body["jobs_runner_config"] = without(
        body["jobs_runner_config"], "gpu_slurm_config", "user_local_exports"
    )
    created = await create_resource(client, admin, body)
    assert created["jobs_runner_config"]["gpu_slurm_config"] is None
    assert created["jobs_runner_config"]["user_local_exports"] == {}
    assert created["jobs_poll_interval"] == 5
    assert created["host"] is None
    assert await get_json(client, admin, f"{RESOURCES}{created['id']}/") == created


async def test_list_and_get_resources(client: httpx.AsyncClient, admin: Account) -> None:
    assert await get_json(client, admin, RESOURCES) == []
    created = [
        await create_resource(client, admin, builder(f"r{i}")) for i, builder in enumerate(BUILDERS)
    ]

    listed = await get_json(client, admin, RESOURCES)
    assert sorted(listed, key=lambda r: r["id"]) == created
    for resource in created:
        assert await get_json(client, admin, f"{RESOURCES}{resource['id']}/") == resource


async def test_get_unknown_resource_is_404(client: httpx.AsyncClient, admin: Account) -> None:
    created = await create_resource(client, admin, local_resource("only"))
    assert_not_found(await client.get(f"{RESOURCES}{created['id'] + 1}/", headers=admin.headers))


@pytest.mark.parametrize("method", ["GET", "PUT", "DELETE"])
async def test_resource_id_beyond_32_bits_is_422(
    client: httpx.AsyncClient, admin: Account, method: str
) -> None:
    body = local_resource("big") if method == "PUT" else None
    response = await client.request(
        method, f"{RESOURCES}{MAX_ID + 1}/", json=body, headers=admin.headers
    )
    assert_invalid_field(response, "resource_id")
    assert_not_found(
        await client.request(method, f"{RESOURCES}{MAX_ID}/", json=body, headers=admin.headers)
    )


# --- validation ---------------------------------------------------------------------

INVALID_BODIES = {
    "ssh_without_host": (without(slurm_ssh_resource("x"), "host"), "host"),
    "sudo_without_worker": (
        without(slurm_sudo_resource("x"), "jobs_slurm_python_worker"),
        "jobs_slurm_python_worker",
    ),
    "ssh_without_worker": (
        slurm_ssh_resource("x", jobs_slurm_python_worker=None),
        "jobs_slurm_python_worker",
    ),
    "ssh_with_empty_host": (slurm_ssh_resource("x", host=" "), "host"),
    "local_with_host": (local_resource("x", host="cluster.example.org"), "host"),
    "local_with_worker": (
        local_resource("x", jobs_slurm_python_worker="/tmp/worker"),
        "jobs_slurm_python_worker",
    ),
    "relative_jobs_local_dir": (local_resource("x", jobs_local_dir="jobs"), "jobs_local_dir"),
    "relative_tasks_local_dir": (
        slurm_sudo_resource("x", tasks_local_dir="tasks/here"),
        "tasks_local_dir",
    ),
    "default_version_not_listed": (
        local_resource("x", tasks_python_config=python_config(default_version="3.13")),
        "tasks_python_config",
    ),
    "python_version_not_allowed": (
        local_resource(
            "x", tasks_python_config=python_config(versions={"2.7": "/usr/bin/python2"})
        ),
        "versions",
    ),
    "relative_python_interpreter": (
        local_resource("x", tasks_python_config=python_config(versions={"3.12": "python3"})),
        "versions",
    ),
    "unknown_key_in_local_runner_config": (
        local_resource("x", jobs_runner_config={"parallel_tasks": 1}),
        "parallel_tasks",
    ),
    "unknown_key_in_slurm_runner_config": (
        slurm_sudo_resource("x", jobs_runner_config=slurm_runner_config(shebang="#!/bin/sh")),
        "shebang",
    ),
    "unknown_key_in_slurm_config_set": (
        slurm_sudo_resource(
            "x",
            jobs_runner_config=slurm_runner_config(
                default_slurm_config=slurm_config_set("main", qos="high")
            ),
        ),
        "qos",
    ),
    "slurm_runner_config_on_local": (
        local_resource("x", jobs_runner_config=slurm_runner_config()),
        "default_slurm_config",
    ),
    "batching_config_missing_field": (
        slurm_ssh_resource(
            "x",
            jobs_runner_config=slurm_runner_config(
                batching_config=without(batching_config(), "max_num_jobs")
            ),
        ),
        "max_num_jobs",
    ),
    "missing_batching_config": (
        slurm_sudo_resource(
            "x", jobs_runner_config=without(slurm_runner_config(), "batching_config")
        ),
        "batching_config",
    ),
    "zero_cpus_per_task": (
        slurm_sudo_resource(
            "x",
            jobs_runner_config=slurm_runner_config(
                default_slurm_config=slurm_config_set("main", cpus_per_task=0)
            ),
        ),
        "cpus_per_task",
    ),
    "zero_poll_interval": (slurm_sudo_resource("x", jobs_poll_interval=0), "jobs_poll_interval"),
    "negative_poll_interval": (local_resource("x", jobs_poll_interval=-1), "jobs_poll_interval"),
    "zero_parallel_tasks_per_job": (
        local_resource("x", jobs_runner_config={"parallel_tasks_per_job": 0}),
        "parallel_tasks_per_job",
    ),
    "empty_name": (local_resource("  "), "name"),
}


@pytest.mark.parametrize(("body", "field"), INVALID_BODIES.values(), ids=INVALID_BODIES.keys())
async def test_invalid_resource_is_422_naming_the_field(
    client: httpx.AsyncClient, admin: Account, body: dict[str, Any], field: str
) -> None:
    assert_invalid_field(await client.post(RESOURCES, json=body, headers=admin.headers), field)
    assert await get_json(client, admin, RESOURCES) == []


@pytest.mark.parametrize(("body", "field"), INVALID_BODIES.values(), ids=INVALID_BODIES.keys())
async def test_invalid_put_is_422_and_changes_nothing(
    client: httpx.AsyncClient, admin: Account, body: dict[str, Any], field: str
) -> None:
    created = await create_resource(client, admin, slurm_sudo_resource("keep"))
    path = f"{RESOURCES}{created['id']}/"
    assert_invalid_field(await client.put(path, json=body, headers=admin.headers), field)
    assert await get_json(client, admin, path) == created


@pytest.mark.parametrize(
    ("body", "error_type"),
    [
        (local_resource("x", type="kubernetes"), "union_tag_invalid"),
        (without(local_resource("x"), "type"), "union_tag_not_found"),
    ],
    ids=["unknown_type", "missing_type"],
)
async def test_bad_resource_type_is_422_naming_the_discriminator(
    client: httpx.AsyncClient, admin: Account, body: dict[str, Any], error_type: str
) -> None:
    """The type picks the schema, so pydantic (and fractal-server) report it at loc ["body"]."""
    response = await client.post(RESOURCES, json=body, headers=admin.headers)
    assert response.status_code == 422, response.text
    [error] = response.json()["detail"]
    assert error["loc"] == ["body"]
    assert error["type"] == error_type
    assert "'type'" in error["msg"]
    assert await get_json(client, admin, RESOURCES) == []


async def test_duplicate_resource_name_is_422(client: httpx.AsyncClient, admin: Account) -> None:
    first = await create_resource(client, admin, local_resource("shared"))
    response = await client.post(
        RESOURCES, json=slurm_sudo_resource("shared"), headers=admin.headers
    )
    assert_rule_broken(response, "shared")
    assert await get_json(client, admin, RESOURCES) == [first]


# --- overwrite ----------------------------------------------------------------------


async def test_put_overwrites_every_field(client: httpx.AsyncClient, admin: Account) -> None:
    created = await create_resource(client, admin, slurm_sudo_resource("before"))
    path = f"{RESOURCES}{created['id']}/"
    body = slurm_sudo_resource(
        "after",
        jobs_local_dir="/tmp/elsewhere/jobs",
        jobs_poll_interval=30,
        jobs_runner_config=slurm_runner_config(
            gpu_slurm_config=None, batching_config=batching_config(max_num_jobs=9)
        ),
        tasks_python_config=python_config(default_version="3.11", pip_cache_dir=None),
    )

    response = await client.put(path, json=body, headers=admin.headers)
    assert response.status_code == 200, response.text
    updated = response.json()
    assert_resource_read(updated, body)
    assert (updated["id"], updated["timestamp_created"]) == (
        created["id"],
        created["timestamp_created"],
    )
    assert await get_json(client, admin, path) == updated
    assert await get_json(client, admin, RESOURCES) == [updated]


async def test_put_keeping_its_own_name_is_allowed(
    client: httpx.AsyncClient, admin: Account
) -> None:
    created = await create_resource(client, admin, local_resource("same"))
    body = local_resource("same", jobs_poll_interval=60)
    response = await client.put(f"{RESOURCES}{created['id']}/", json=body, headers=admin.headers)
    assert response.status_code == 200, response.text
    assert response.json()["jobs_poll_interval"] == 60


async def test_put_to_another_resources_name_is_422(
    client: httpx.AsyncClient, admin: Account
) -> None:
    await create_resource(client, admin, local_resource("taken"))
    mine = await create_resource(client, admin, local_resource("mine"))
    path = f"{RESOURCES}{mine['id']}/"

    response = await client.put(path, json=local_resource("taken"), headers=admin.headers)
    assert_rule_broken(response, "taken")
    assert await get_json(client, admin, path) == mine


async def test_put_unknown_resource_is_404(client: httpx.AsyncClient, admin: Account) -> None:
    response = await client.put(
        f"{RESOURCES}12345/", json=local_resource("x"), headers=admin.headers
    )
    assert_not_found(response)
    assert await get_json(client, admin, RESOURCES) == []


@pytest.mark.parametrize(
    ("old", "new"),
    [
        (local_resource, slurm_sudo_resource),
        (slurm_sudo_resource, slurm_ssh_resource),
        (slurm_ssh_resource, local_resource),
    ],
    ids=["local-to-sudo", "sudo-to-ssh", "ssh-to-local"],
)
async def test_put_may_change_type_while_no_profile_exists(
    client: httpx.AsyncClient, admin: Account, old: Any, new: Any
) -> None:
    created = await create_resource(client, admin, old("shape-shifter"))
    path = f"{RESOURCES}{created['id']}/"
    body = new("shape-shifter")

    response = await client.put(path, json=body, headers=admin.headers)
    assert response.status_code == 200, response.text
    assert_resource_read(response.json(), body)
    assert_resource_read(await get_json(client, admin, path), body)


async def test_put_changing_type_while_a_profile_exists_is_422(
    client: httpx.AsyncClient, admin: Account
) -> None:
    created = await create_resource(client, admin, local_resource("pinned"))
    path = f"{RESOURCES}{created['id']}/"
    profile = await create_profile(client, admin, created["id"], local_profile("p"))

    response = await client.put(path, json=slurm_sudo_resource("pinned"), headers=admin.headers)
    assert_rule_broken(response, "profile")
    assert await get_json(client, admin, path) == created
    assert await get_json(client, admin, f"{PROFILES}{profile['id']}/") == profile

    # The same type is still fine.
    same_type = local_resource("pinned", jobs_poll_interval=11)
    response = await client.put(path, json=same_type, headers=admin.headers)
    assert response.status_code == 200, response.text
    assert_resource_read(await get_json(client, admin, path), same_type)


# --- delete -------------------------------------------------------------------------


async def test_delete_unused_resource(client: httpx.AsyncClient, admin: Account) -> None:
    kept = await create_resource(client, admin, local_resource("kept"))
    gone = await create_resource(client, admin, slurm_ssh_resource("gone"))
    path = f"{RESOURCES}{gone['id']}/"

    response = await client.delete(path, headers=admin.headers)
    assert response.status_code == 204, response.text
    assert response.content == b""

    assert_not_found(await client.get(path, headers=admin.headers))
    assert_not_found(await client.delete(path, headers=admin.headers))
    assert await get_json(client, admin, RESOURCES) == [kept]


async def test_delete_resource_used_by_a_profile_is_422(
    client: httpx.AsyncClient, admin: Account
) -> None:
    created = await create_resource(client, admin, slurm_sudo_resource("busy"))
    path = f"{RESOURCES}{created['id']}/"
    profile = await create_profile(client, admin, created["id"], slurm_sudo_profile("p"))

    assert_rule_broken(await client.delete(path, headers=admin.headers), "profile")
    assert await get_json(client, admin, path) == created
    assert await get_json(client, admin, f"{path}profile/") == [profile]

    # Once the profile is gone, the resource can go too.
    response = await client.delete(f"{PROFILES}{profile['id']}/", headers=admin.headers)
    assert response.status_code == 204, response.text
    response = await client.delete(path, headers=admin.headers)
    assert response.status_code == 204, response.text
    assert await get_json(client, admin, RESOURCES) == []


async def test_ordinary_user_cannot_create_resources(
    client: httpx.AsyncClient, admin: Account, alice: Account
) -> None:
    response = await client.post(RESOURCES, json=local_resource("x"), headers=alice.headers)
    assert response.status_code == 403, response.text
    assert await get_json(client, admin, RESOURCES) == []
