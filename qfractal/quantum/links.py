"""Absolute links of the quantum face's resources (qunicorn's `self`, `deplyoment`, ...).

Built from the request's base URL (scheme, host and the ASGI root path), so links stay
right behind a proxy that sets the root path.
"""

from typing import Annotated

from fastapi import Depends, Request

from qfractal.quantum.errors import PREFIX


class Links:
    """Absolute URLs under `/quantum`; every collection URL ends with a slash."""

    def __init__(self, base_url: str) -> None:
        self.root = base_url.rstrip("/") + PREFIX + "/"

    @classmethod
    def of(cls, request: Request) -> "Links":
        return cls(str(request.base_url))

    def _url(self, *parts: object) -> str:
        return self.root + "".join(f"{part}/" for part in parts)

    def providers(self) -> str:
        return self._url("provider")

    def provider(self, provider_id: int) -> str:
        return self._url("provider", provider_id)

    def devices(self, *, provider_id: int | None = None) -> str:
        url = self._url("devices")
        return url if provider_id is None else f"{url}?provider={provider_id}"

    def device(self, device_id: int) -> str:
        return self._url("devices", device_id)

    def deployments(self) -> str:
        return self._url("deployments")

    def deployment(self, deployment_id: int) -> str:
        return self._url("deployments", deployment_id)

    def deployment_jobs(self, deployment_id: int) -> str:
        return self._url("deployments", deployment_id, "jobs")

    def program(self, deployment_id: int, program_id: int) -> str:
        return self._url("deployments", deployment_id, "programs", program_id)

    def jobs(self) -> str:
        return self._url("jobs")

    def job(self, job_id: int) -> str:
        return self._url("jobs", job_id)

    def result(self, job_id: int, result_id: int) -> str:
        return self._url("jobs", job_id, "results", result_id)

    def absolute(self, path: str) -> str:
        """An absolute URL of a path of the server outside `/quantum` (`/docs`)."""
        return self.root[: -len(PREFIX) - 1] + path


LinksDep = Annotated[Links, Depends(Links.of)]
"""The request's links, for shaping responses."""
