"""Which pilot runs a program on a cloud device, with which credentials.

The credentials travel with the program to the pool worker (in its request, never in
its environment): the IBM token of the job request or, without one, the server's; the
server's AWS and QMware settings (qunicorn ignored the request token for QMware too).
"""

from dataclasses import asdict, dataclass
from typing import Any

from qfractal.config import Settings
from qfractal.quantum.enums import ProviderName
from qfractal.quantum.pilots.braket_cloud import AwsCredentials, run_braket_cloud
from qfractal.quantum.pilots.ibm import run_ibm
from qfractal.quantum.pilots.qmware import QmwareAccount, run_qmware
from qfractal.quantum.results.errors import UnsupportedProgram
from qfractal.quantum.results.layout import layout_of_program
from qfractal.quantum.results.types import SampleResult
from qfractal.quantum.transpilers import Language, ProgramForms


@dataclass(frozen=True)
class CloudAccess:
    provider: ProviderName
    ibm_token: str | None = None
    ibm_instance: str | None = None
    aws: AwsCredentials | None = None
    qmware: QmwareAccount | None = None

    def to_json(self) -> dict[str, Any]:
        return {**asdict(self), "provider": self.provider.value}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> "CloudAccess":
        return cls(
            provider=ProviderName(data["provider"]),
            ibm_token=data["ibm_token"],
            ibm_instance=data["ibm_instance"],
            aws=AwsCredentials(**data["aws"]) if data["aws"] else None,
            qmware=QmwareAccount(**data["qmware"]) if data["qmware"] else None,
        )


def _secret(value: Any) -> str | None:
    return value.get_secret_value() if value is not None else None


def cloud_access(provider: str, *, token: str | None, settings: Settings) -> CloudAccess:
    """The access of a job on `provider`'s cloud: `token` is the job request's."""
    name = ProviderName(provider)
    if name is ProviderName.IBM:
        return CloudAccess(
            name, ibm_token=token or _secret(settings.ibm_token), ibm_instance=settings.ibm_instance
        )
    if name is ProviderName.AWS:
        key, secret = _secret(settings.aws_access_key_id), _secret(settings.aws_secret_access_key)
        aws = None
        if key and secret and settings.aws_s3_bucket:
            aws = AwsCredentials(
                access_key_id=key,
                secret_access_key=secret,
                region=settings.aws_region,
                s3_bucket=settings.aws_s3_bucket,
                s3_prefix=settings.aws_s3_prefix,
            )
        return CloudAccess(name, aws=aws)
    if name is ProviderName.QMWARE:
        key, key_id = _secret(settings.qmware_api_key), _secret(settings.qmware_api_key_id)
        qmware = None
        if settings.qmware_url and key and key_id:
            qmware = QmwareAccount(url=settings.qmware_url, api_key=key, api_key_id=key_id)
        return CloudAccess(name, qmware=qmware)
    return CloudAccess(name)


def run_cloud(
    access: CloudAccess, forms: ProgramForms, *, device_name: str, shots: int
) -> SampleResult:
    """Run the program on `device_name` of `access.provider`'s cloud (blocking: a pool
    worker waits for the provider's answer)."""
    if access.provider is ProviderName.IBM:
        _, circuit = forms.to(Language.QISKIT)
        return run_ibm(
            circuit,
            device_name=device_name,
            shots=shots,
            token=access.ibm_token,
            instance=access.ibm_instance,
        )
    layout = layout_of_program(forms)
    if access.provider is ProviderName.AWS:
        _, braket_circuit = forms.to(Language.BRAKET)
        return run_braket_cloud(
            braket_circuit,
            device_name=device_name,
            shots=shots,
            layout=layout,
            credentials=access.aws,
        )
    if access.provider is ProviderName.QMWARE:
        _, text = forms.to(Language.QASM2)
        return run_qmware(
            text, device_name=device_name, shots=shots, layout=layout, account=access.qmware
        )
    raise UnsupportedProgram(f"{access.provider.value} has no cloud devices")
