"""Bodies of `/quantum/provider/` and `/quantum/devices/` (qunicorn v1.0.4 shape)."""

from typing import Annotated

from pydantic import AfterValidator, Field

from qfractal.auth.schemas import no_nul
from qfractal.quantum.enums import ProviderName
from qfractal.quantum.links import Links
from qfractal.quantum.models import Device, Provider
from qfractal.quantum.schemas import CamelModel, CamelOut, LanguageName
from qfractal.quantum.transpilers.languages import Language


class ProviderRead(CamelOut):
    id: int
    name: ProviderName
    with_token: bool
    supported_languages: list[LanguageName]
    self_link: str = Field(alias="self")
    devices: str
    """Link to the provider's devices."""

    @classmethod
    def of(cls, provider: Provider, links: Links) -> "ProviderRead":
        return cls(
            id=provider.id,
            name=ProviderName(provider.name),
            with_token=provider.with_token,
            supported_languages=[Language(row.language) for row in provider.languages],
            self_link=links.provider(provider.id),
            devices=links.devices(provider_id=provider.id),
        )


class SimpleDevice(CamelOut):
    id: int
    device_name: str
    provider_name: ProviderName
    self_link: str = Field(alias="self")

    @classmethod
    def of(cls, device: Device, links: Links) -> "SimpleDevice":
        return cls(
            id=device.id,
            device_name=device.name,
            provider_name=ProviderName(device.provider.name),
            self_link=links.device(device.id),
        )


class DeviceRead(CamelOut):
    id: int
    name: str
    num_qubits: int
    """-1: no fixed limit."""
    is_simulator: bool
    is_local: bool
    provider: ProviderRead
    self_link: str = Field(alias="self")

    @classmethod
    def of(cls, device: Device, links: Links) -> "DeviceRead":
        return cls(
            id=device.id,
            name=device.name,
            num_qubits=device.num_qubits,
            is_simulator=device.is_simulator,
            is_local=device.is_local,
            provider=ProviderRead.of(device.provider, links),
            self_link=links.device(device.id),
        )


class DeviceStatus(CamelOut):
    available: bool


Token = Annotated[str, Field(max_length=4096), AfterValidator(no_nul)]


class TokenBody(CamelModel):
    """`{token}` (qunicorn's DeviceRequestDto); 2023 clients also send `providerName`,
    which is not needed: the device or the `provider` parameter says it."""

    token: Token | None = None
    provider_name: ProviderName | None = None


class SeedRefreshBody(CamelModel):
    """`PUT /quantum/devices/` of the 2023 API: the provider by name."""

    provider_name: ProviderName
    token: Token | None = None
