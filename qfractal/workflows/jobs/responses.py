"""HTTP answers that carry a job's files (shared by the user and admin routes)."""

from fastapi.responses import FileResponse, Response, StreamingResponse
from starlette.concurrency import iterate_in_threadpool

from qfractal.workflows.jobs.files import JobArchive, zip_folder

ZIP = "application/x-zip-compressed"
"""The type fractal-client checks before unzipping a job folder."""


def archive_response(archive: JobArchive) -> Response:
    """The job's zip archive as it is on disk, or its folder zipped while it is sent."""
    if archive.zip_file is not None:
        return FileResponse(archive.zip_file, media_type=ZIP, filename=archive.filename)
    assert archive.folder is not None
    return StreamingResponse(
        iterate_in_threadpool(zip_folder(archive.folder)),
        media_type=ZIP,
        headers={"Content-Disposition": f'attachment; filename="{archive.filename}"'},
    )
