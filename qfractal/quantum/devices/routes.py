"""Routes `/quantum/provider/` and `/quantum/devices/`: visible to every logged-in user."""

from typing import Annotated, Any

from fastapi import APIRouter, Body, Header, Query
from pydantic import AfterValidator

from qfractal.auth.dependencies import CurrentUser, SettingsDep
from qfractal.auth.schemas import no_nul
from qfractal.db.session import SessionDep
from qfractal.ids import MAX_ID, id_path, id_query
from qfractal.quantum.devices import service
from qfractal.quantum.devices.schemas import (
    DeviceRead,
    DeviceStatus,
    ProviderRead,
    SeedRefreshBody,
    SimpleDevice,
    TokenBody,
)
from qfractal.quantum.errors import PREFIX
from qfractal.quantum.links import LinksDep
from qfractal.quantum.schemas import error_responses

router = APIRouter(prefix=PREFIX, tags=["Quantum providers and devices"])

ProviderId = Annotated[int, id_path("ID of a quantum provider")]
DeviceId = Annotated[int, id_path("ID of a quantum device")]
ProviderQuery = Annotated[int, id_query("ID of a quantum provider")]
ProviderNameQuery = Annotated[
    str | None,
    Query(max_length=64, description="Provider name (IBM, AWS, RIGETTI, QMWARE), any case."),
    AfterValidator(lambda value: value if value is None else no_nul(value)),
]
TokenHeader = Annotated[
    str | None,
    Header(alias="X-Qunicorn-Provider-Token", description="The user's provider token."),
]
SeedTokenHeader = Annotated[
    str | None,
    Header(
        alias="XQunicornProviderToken",
        description="The same token under the header name qunicorn v1.0.4 really reads.",
    ),
]


@router.get("/provider/", response_model=list[ProviderRead], responses=error_responses())
async def list_providers(
    user: CurrentUser, session: SessionDep, links: LinksDep, name: ProviderNameQuery = None
) -> list[ProviderRead]:
    """The providers with the languages their pilots take; `?name=` picks one by name."""
    providers = await service.list_providers(session, name=name)
    return [ProviderRead.of(provider, links) for provider in providers]


@router.get("/provider/{provider_id}/", response_model=ProviderRead, responses=error_responses(404))
async def get_provider(
    provider_id: ProviderId, user: CurrentUser, session: SessionDep, links: LinksDep
) -> ProviderRead:
    """One provider."""
    return ProviderRead.of(await service.get_provider(session, provider_id), links)


@router.get("/devices/", response_model=list[SimpleDevice], responses=error_responses())
async def list_devices(
    user: CurrentUser,
    session: SessionDep,
    links: LinksDep,
    provider: Annotated[int | None, id_query("Only devices of this provider (ID).")] = None,
    min_qubits: Annotated[
        int | None,
        Query(
            alias="min-qubits",
            ge=-MAX_ID,
            le=MAX_ID,
            description="At least this many qubits; devices without a limit (-1) pass.",
        ),
    ] = None,
    is_simulator: Annotated[bool | None, Query(alias="is-simulator")] = None,
    is_local: Annotated[bool | None, Query(alias="is-local")] = None,
) -> list[SimpleDevice]:
    """The devices that pass every filter given."""
    devices = await service.list_devices(
        session,
        provider_id=provider,
        min_qubits=min_qubits,
        is_simulator=is_simulator,
        is_local=is_local,
    )
    return [SimpleDevice.of(device, links) for device in devices]


_REFRESH_ERRORS = error_responses(400, 404, 501, 502)


@router.post("/devices/", response_model=list[SimpleDevice], responses=_REFRESH_ERRORS)
async def refresh_devices(
    provider: ProviderQuery,
    user: CurrentUser,
    session: SessionDep,
    settings: SettingsDep,
    links: LinksDep,
    body: Annotated[TokenBody | None, Body()] = None,
) -> list[SimpleDevice]:
    """Update the provider's device list from the provider; returns its devices.

    IBM only: the runtime's fake devices (noisy local simulations) and, with the body's
    token or the server's, the account's backends. Other providers: 501.
    """
    found = await service.get_provider(session, provider)
    token = body.token if body else None
    devices = await service.refresh_devices(session, found, token=token, settings=settings)
    return [SimpleDevice.of(device, links) for device in devices]


@router.put(
    "/devices/",
    response_model=list[SimpleDevice],
    responses=_REFRESH_ERRORS,
    deprecated=True,
)
async def refresh_devices_seed(
    body: SeedRefreshBody,
    user: CurrentUser,
    session: SessionDep,
    settings: SettingsDep,
    links: LinksDep,
) -> list[SimpleDevice]:
    """2023 form of `POST /quantum/devices/?provider=`: the provider by name in the body."""
    found = await service.get_provider_by_name(session, body.provider_name)
    devices = await service.refresh_devices(session, found, token=body.token, settings=settings)
    return [SimpleDevice.of(device, links) for device in devices]


@router.get("/devices/{device_id}/", response_model=DeviceRead, responses=error_responses(404))
async def get_device(
    device_id: DeviceId, user: CurrentUser, session: SessionDep, links: LinksDep
) -> DeviceRead:
    """One device, with its provider."""
    return DeviceRead.of(await service.get_device(session, device_id), links)


_STATUS_ERRORS = error_responses(400, 404, 501, 502)


@router.get("/devices/{device_id}/status/", response_model=DeviceStatus, responses=_STATUS_ERRORS)
async def get_device_status(
    device_id: DeviceId,
    user: CurrentUser,
    session: SessionDep,
    settings: SettingsDep,
    token: TokenHeader = None,
    seed_token: SeedTokenHeader = None,
) -> DeviceStatus:
    """Whether the device takes jobs. Local devices always do; a cloud device is asked of
    its provider with the token header (IBM, else the server's QFRACTAL_IBM_TOKEN) or the
    server's account (AWS, QMware). 400 when that is missing, 502 when the provider fails."""
    device = await service.get_device(session, device_id)
    available = await service.device_status(device, token=token or seed_token, settings=settings)
    return DeviceStatus(available=available)


@router.get(
    "/devices/{device_id}/calibration/",
    response_model=dict[str, Any],
    responses=_STATUS_ERRORS,
)
async def get_device_calibration(
    device_id: DeviceId,
    user: CurrentUser,
    session: SessionDep,
    settings: SettingsDep,
    token: TokenHeader = None,
    seed_token: SeedTokenHeader = None,
) -> dict[str, Any]:
    """Calibration data: an IBM device's configuration (Aer's own for `aer_simulator`;
    cloud devices need a token as for the status); 501 for providers without calibration
    data (AWS, RIGETTI, QMWARE)."""
    device = await service.get_device(session, device_id)
    return await service.device_calibration(device, token=token or seed_token, settings=settings)


async def post_device_status(
    device_id: DeviceId,
    body: TokenBody,
    user: CurrentUser,
    session: SessionDep,
    settings: SettingsDep,
) -> DeviceStatus:
    """Deprecated form of GET `status/` with the token in the body."""
    device = await service.get_device(session, device_id)
    available = await service.device_status(device, token=body.token, settings=settings)
    return DeviceStatus(available=available)


async def post_device_calibration(
    device_id: DeviceId,
    body: TokenBody,
    user: CurrentUser,
    session: SessionDep,
    settings: SettingsDep,
) -> dict[str, Any]:
    """Deprecated form of GET `calibration/` with the token in the body."""
    device = await service.get_device(session, device_id)
    return await service.device_calibration(device, token=body.token, settings=settings)


# qunicorn v1.0.4 has these with a trailing slash, the 2023 API without.
for _suffix in ("/", ""):
    router.add_api_route(
        "/devices/{device_id}/status" + _suffix,
        post_device_status,
        methods=["POST"],
        response_model=DeviceStatus,
        responses=_STATUS_ERRORS,
        deprecated=True,
    )
    router.add_api_route(
        "/devices/{device_id}/calibration" + _suffix,
        post_device_calibration,
        methods=["POST"],
        response_model=dict[str, Any],
        responses=_STATUS_ERRORS,
        deprecated=True,
    )
