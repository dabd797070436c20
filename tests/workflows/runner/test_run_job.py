"""Jobs of the mock task package, submitted through the API and run by the job engine
with real subprocesses: images, type filters, history, accounting and the job folder.
Each test runs on both engines (`both_engines`)."""

import json
import zipfile
from pathlib import Path

import httpx
from fastapi import FastAPI

from tests.conftest import Account
from tests.workflows.runner.conftest import both_engines
from tests.workflows.runner.helpers import (
    add_images,
    add_wftask,
    dataset_images,
    history,
    make_setup,
    run_job,
)

pytestmark = both_engines


async def test_a_workflow_of_every_task_type(
    app: FastAPI,
    client: httpx.AsyncClient,
    user: Account,
    mock_tasks: dict[str, int],
    tmp_path: Path,
) -> None:
    setup = await make_setup(client, user, tmp_path)
    wftasks = [
        await add_wftask(
            client,
            user,
            setup,
            mock_tasks["create_ome_zarr_compound"],
            args_non_parallel={"num_images": 3},
        ),
        await add_wftask(client, user, setup, mock_tasks["MIP_compound"]),
        await add_wftask(client, user, setup, mock_tasks["illumination_correction"]),
        await add_wftask(client, user, setup, mock_tasks["generic_task"]),
        await add_wftask(
            client,
            user,
            setup,
            mock_tasks["create_images"],
            args_non_parallel={"num_images": 1, "prefix": "extra"},
        ),
    ]

    job = await run_job(client, user, setup)

    assert job["status"] == "done", job["log"]
    plate = f"{setup.zarr_dir}/plate.zarr"
    mip = f"{setup.zarr_dir}/plate_mip.zarr"
    wells = [("A", "01"), ("A", "02"), ("A", "03")]
    images = await dataset_images(client, user, setup)
    assert list(images) == [
        *(f"{plate}/{row}/{col}/0" for row, col in wells),
        *(f"{mip}/{row}/{col}/0" for row, col in wells),
        f"{setup.zarr_dir}/extra_0.zarr",
    ]
    for row, col in wells:
        assert images[f"{plate}/{row}/{col}/0"] == {
            "zarr_url": f"{plate}/{row}/{col}/0",
            "origin": None,
            "attributes": {"well": f"{row}{col}", "plate": "plate.zarr"},
            "types": {"3D": True},
        }
        assert images[f"{mip}/{row}/{col}/0"] == {
            "zarr_url": f"{mip}/{row}/{col}/0",
            "origin": f"{plate}/{row}/{col}/0",
            "attributes": {"well": f"{row}{col}", "plate": "plate.zarr", "corrected": True},
            "types": {"3D": False, "illumination_correction": True},
        }
        assert Path(f"{mip}/{row}/{col}/0/.zattrs").is_file()  # made by the task
    assert images[f"{setup.zarr_dir}/extra_0.zarr"]["attributes"] == {"index": 0}

    # The log, then the folder zipped and removed.
    log = job["log"]
    assert 'START workflow "wf"' in log and 'END workflow "wf"' in log
    assert 'START task 1 "MIP_compound" (compound): 3 input image(s) of 3' in log
    assert 'END task 2 "illumination_correction": 3 call(s), 0 failed' in log
    folder = Path(job["working_dir"])
    assert not folder.exists()
    with zipfile.ZipFile(f"{folder}.zip") as archive:
        names = set(archive.namelist())
        init_args = json.loads(archive.read("1_mip_compound/non_par--args.json"))
        compute_args = json.loads(archive.read("1_mip_compound/par-000000-0000002-args.json"))
        assert archive.read("workflow.log").decode() == log
    assert {
        "0_create_ome_zarr_compound/non_par--log.txt",
        "3_generic_task/non_par--metadiff.json",
    } <= names
    assert init_args == {
        "zarr_urls": [f"{plate}/{row}/{col}/0" for row, col in wells],
        "zarr_dir": setup.zarr_dir,
    }
    assert compute_args == {
        "zarr_url": f"{plate}/A/03/0",
        "init_args": {"new_zarr_url": f"{mip}/A/03/0"},
    }

    # History: a run per task, units as fractal-server makes them, image statuses.
    found = await history(app)
    assert [run.workflowtask_id for run in found.runs] == [wftask["id"] for wftask in wftasks]
    assert [run.status for run in found.runs] == ["done"] * 5
    assert [run.num_available_images for run in found.runs] == [0, 3, 3, 3, 0]
    assert found.runs[1].workflowtask_dump["task"]["name"] == "MIP_compound"
    assert found.runs[1].task_group_dump["pkg_name"] == "qfractal-tasks-mock"
    units = [found.units[run.id] for run in found.runs]
    assert [len(run_units) for run_units in units] == [4, 4, 3, 1, 1]
    assert {unit.status for run_units in units for unit in run_units} == {"done"}
    assert units[0][0].zarr_urls == []  # a converter's init
    assert units[1][0].zarr_urls == [f"{plate}/{row}/{col}/0" for row, col in wells]
    assert units[1][1].logfile == f"{folder}/1_mip_compound/par-000000-0000000-log.txt"
    assert found.cache == {
        **{(wftasks[1]["id"], f"{plate}/{r}/{c}/0"): "done" for r, c in wells},
        **{(wftasks[2]["id"], f"{mip}/{r}/{c}/0"): "done" for r, c in wells},
        **{(wftasks[3]["id"], f"{mip}/{r}/{c}/0"): "done" for r, c in wells},
    }
    assert [(r.num_tasks, r.num_new_images) for r in found.accounting] == [
        (4, 3),
        (4, 3),
        (3, 0),
        (1, 0),
        (1, 1),
    ]
    assert {record.user_id for record in found.accounting} == {user.id}


async def test_job_filters_apply_at_every_task(
    client: httpx.AsyncClient, user: Account, mock_tasks: dict[str, int], tmp_path: Path
) -> None:
    setup = await make_setup(client, user, tmp_path)
    await add_images(
        client,
        user,
        setup,
        [
            {
                "zarr_url": f"{setup.zarr_dir}/{i}.zarr",
                "attributes": {"i": i},
                "types": {"3D": i < 4},
            }
            for i in range(5)
        ],
    )
    await add_wftask(client, user, setup, mock_tasks["illumination_correction"])
    await add_wftask(
        client,
        user,
        setup,
        mock_tasks["unset_attribute"],
        args_parallel={"attribute": "i"},
        type_filters={"illumination_correction": True},
    )

    job = await run_job(
        client, user, setup, attribute_filters={"i": [1, 2, 4]}, type_filters={"3D": True}
    )

    assert job["status"] == "done", job["log"]
    images = await dataset_images(client, user, setup)
    touched = {f"{setup.zarr_dir}/{i}.zarr" for i in (1, 2)}
    for url, image in images.items():
        if url in touched:
            # corrected by the first task; then selected by the attribute filter again
            # (the second task runs on the images as the first left them).
            assert image["types"] == {"3D": True, "illumination_correction": True}
            assert image["attributes"] == {"corrected": True}
        else:
            assert "illumination_correction" not in image["types"]
            assert "corrected" not in image["attributes"]
    assert "2 input image(s) of 4 with matching types" in job["log"]


async def test_removed_and_inserted_images(
    app: FastAPI,
    client: httpx.AsyncClient,
    user: Account,
    mock_tasks: dict[str, int],
    tmp_path: Path,
) -> None:
    setup = await make_setup(client, user, tmp_path)
    urls = [f"{setup.zarr_dir}/{i}.zarr" for i in range(3)]
    await add_images(client, user, setup, [{"zarr_url": url} for url in urls])
    first = await add_wftask(client, user, setup, mock_tasks["illumination_correction"])
    await add_wftask(
        client, user, setup, mock_tasks["remove_images"], args_non_parallel={"only": urls[:2]}
    )
    await add_wftask(
        client,
        user,
        setup,
        mock_tasks["insert_single_image"],
        args_non_parallel={"name": "new.zarr", "attributes": {"kind": "new"}, "is_3d": False},
    )

    job = await run_job(client, user, setup)

    assert job["status"] == "done", job["log"]
    images = await dataset_images(client, user, setup)
    assert list(images) == [urls[2], f"{setup.zarr_dir}/new.zarr"]
    assert images[f"{setup.zarr_dir}/new.zarr"]["attributes"] == {"kind": "new"}
    assert images[f"{setup.zarr_dir}/new.zarr"]["types"] == {"3D": False}
    found = await history(app)
    # The removed images have no status left, for any workflow task.
    assert [url for (wftask_id, url) in found.cache if wftask_id == first["id"]] == [urls[2]]
    assert all(url not in urls[:2] for (_, url) in found.cache)


async def test_removing_an_unknown_image_fails_the_job(
    app: FastAPI,
    client: httpx.AsyncClient,
    user: Account,
    mock_tasks: dict[str, int],
    tmp_path: Path,
) -> None:
    setup = await make_setup(client, user, tmp_path)
    url = f"{setup.zarr_dir}/0.zarr"
    await add_images(client, user, setup, [{"zarr_url": url}])
    ghost = f"{setup.zarr_dir}/ghost.zarr"
    await add_wftask(
        client, user, setup, mock_tasks["remove_images"], args_non_parallel={"only": [ghost]}
    )
    await add_wftask(client, user, setup, mock_tasks["generic_task"])

    job = await run_job(client, user, setup)

    assert job["status"] == "failed"
    assert (
        f"JOB ERROR in job {job['id']}:\nCannot remove missing image (zarr_url={ghost})."
        in (job["log"])
    )
    assert job["end_timestamp"] is not None
    assert list(await dataset_images(client, user, setup)) == [url]
    found = await history(app)
    (run,) = found.runs  # the next task never started
    assert run.status == "failed"
    assert [unit.status for unit in found.units[run.id]] == ["failed"]
    assert found.accounting == []
