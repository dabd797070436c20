"""QMware's pilot: run one OpenQASM 2 program on QMware's remote simulators.

Devices `dev` (code type `qasm2`) and `dev-gpu` (`qasm2-gpu`), reached through QMware's
HTTP API with the server's account (settings QFRACTAL_QMWARE_URL, QFRACTAL_QMWARE_API_KEY,
QFRACTAL_QMWARE_API_KEY_ID); as in qunicorn, a job's own provider token is not used.

1. POST `{url}/v0/requests` with the program and its shots → `{"jobCreated": true, "id"}`;
2. GET `{url}/v0/jobs/{id}`, the waits between polls growing by 1.2 up to
   `max_poll_seconds`, while the job is WAITING, PREPARING or RUNNING; ERROR, TIMEOUT,
   CANCELED or any other status fails the program;
3. SUCCESS carries `out.value`, a JSON string `[{"result": [{"number", "hits"}, ...]}]`.

Every request sends the headers `X-API-KEY` and `X-API-KEY-ID` (the names qunicorn's
QMware pilot uses; our reference summary does not give them). `/health` is asked
without them.

Blocking (sync httpx, sleeps): call `run_qmware` in a pool worker, never in the server's
event loop. QMware's API has no cancel: a cancelled job's pool worker is killed, and
the remote job runs on (and is forgotten).
"""

import json
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

import httpx

from qfractal.errors import InvalidInput
from qfractal.quantum.pilots.errors import (
    CloudError,
    MissingCredentials,
    UnknownCloudDevice,
)
from qfractal.quantum.results.layout import ClassicalLayout
from qfractal.quantum.results.types import SampleResult

CODE_TYPES = {"dev": "qasm2", "dev-gpu": "qasm2-gpu"}
"""QMware's code type of an OpenQASM 2 program, per device."""
PENDING = frozenset({"WAITING", "PREPARING", "RUNNING"})
FAILED = frozenset({"ERROR", "TIMEOUT", "CANCELED"})
SUCCESS = "SUCCESS"

BACKOFF = 1.2
"""Each wait between two polls is this much longer than the previous one."""
MAX_POLL_FAILURES = 5
"""Consecutive polls that may fail for a passing reason (no connection, 5xx, 429)."""
TTL_AFTER_FINISHED_MS = 20 * 60 * 1000
"""How long QMware keeps a finished job's result for us to fetch."""
HTTP_TIMEOUT = httpx.Timeout(30.0, connect=10.0)
HEALTH_TIMEOUT = httpx.Timeout(10.0)
JOB_NAME = "qfractal"
SETTINGS = "QFRACTAL_QMWARE_URL, QFRACTAL_QMWARE_API_KEY and QFRACTAL_QMWARE_API_KEY_ID"


@dataclass(frozen=True)
class QmwareAccount:
    """Where QMware's API is and the key it knows us by (the key stays out of reprs)."""

    url: str
    api_key: str = field(repr=False)
    api_key_id: str = field(repr=False)

    @property
    def headers(self) -> dict[str, str]:
        return {"X-API-KEY": self.api_key, "X-API-KEY-ID": self.api_key_id}

    def endpoint(self, path: str) -> str:
        return f"{self.url.rstrip('/')}{path}"


def run_qmware(
    qasm2: str,
    *,
    device_name: str,
    shots: int,
    layout: ClassicalLayout,
    account: QmwareAccount | None,
    poll_seconds: float = 1.0,
    max_poll_seconds: float = 60.0,
    timeout: float = 24 * 3600,
) -> SampleResult:
    """Run an OpenQASM 2 program on QMware's `device_name` and return its counts.

    `layout` is the program's (`layout_from_qiskit` of its Qiskit circuit). QMware reports
    each outcome as an integer (`number`) over the flat classical bits. ASSUMED, as in
    Qiskit: classical bit 0 is its least significant bit (qunicorn split `dev-gpu`
    numbers that way, first register in the low bits; no QMware document confirms it).
    Only one combined result list is understood: several lists (qunicorn read `dev`
    answers as one list per register) are refused rather than guessed at.

    Args:
        poll_seconds: the first wait before polling the job; then 1.2 times longer each
            time, up to `max_poll_seconds`.
        timeout: give up after this many seconds (also sent as QMware's execution limit).

    Raises:
        UnknownCloudDevice: a device other than `dev` and `dev-gpu`.
        InvalidInput: bad `shots`.
        MissingCredentials: no account, or one with an empty field.
        CloudError: an HTTP error, a job ended ERROR/TIMEOUT/CANCELED (or in an unknown
            status), an answer that cannot be read, or `timeout` passed.
    """
    code_type = CODE_TYPES.get(device_name)
    if code_type is None:
        raise UnknownCloudDevice(
            f"unknown QMware device '{device_name}' (known: {', '.join(CODE_TYPES)})"
        )
    if isinstance(shots, bool) or not isinstance(shots, int) or shots < 1:
        raise InvalidInput(f"shots must be a positive integer, not {shots!r}")
    account = checked_account(account)
    where = f"QMware device '{device_name}'"
    deadline = time.monotonic() + timeout
    body = {
        "name": JOB_NAME,
        "maxExecutionTimeInMs": int(timeout * 1000),
        "ttlAfterFinishedInMs": TTL_AFTER_FINISHED_MS,
        "code": {"type": code_type, "code": qasm2},
        "selectionParameters": [],
        "programParameters": [{"name": "shots", "value": str(shots)}],
    }
    with httpx.Client(headers=account.headers, timeout=HTTP_TIMEOUT) as client:
        job_id = _submit(client, account, body, where)
        job = _wait(
            client,
            account.endpoint(f"/v0/jobs/{quote(job_id, safe='')}"),
            where=f"{where}, job {job_id}",
            poll_seconds=poll_seconds,
            max_poll_seconds=max_poll_seconds,
            deadline=deadline,
            timeout=timeout,
        )
    counts = _counts(job, layout, f"{where}, job {job_id}")
    extra = {"backend": device_name, "qmwareJobId": job_id}
    return SampleResult(counts, shots, layout.registers, extra)


def qmware_status(account: QmwareAccount) -> bool:
    """Whether QMware's API is up: GET `/health` answers 2xx (and, if its JSON body has
    a `status`, it is "UP"). False if it cannot be reached."""
    try:
        response = httpx.get(account.endpoint("/health"), timeout=HEALTH_TIMEOUT)
    except (httpx.HTTPError, httpx.InvalidURL):
        return False
    if not response.is_success:
        return False
    try:
        body = response.json()
    except ValueError:
        return True
    status = body.get("status") if isinstance(body, dict) else None
    return status is None or str(status).upper() == "UP"


def checked_account(account: QmwareAccount | None) -> QmwareAccount:
    if account is None:
        raise MissingCredentials(f"QMware's account is not configured: set {SETTINGS}")
    missing = [
        name
        for name, value in (
            ("QFRACTAL_QMWARE_URL", account.url),
            ("QFRACTAL_QMWARE_API_KEY", account.api_key),
            ("QFRACTAL_QMWARE_API_KEY_ID", account.api_key_id),
        )
        if not value
    ]
    if missing:
        raise MissingCredentials(f"QMware's account is incomplete: set {', '.join(missing)}")
    return account


def _submit(client: httpx.Client, account: QmwareAccount, body: dict[str, Any], where: str) -> str:
    """POST the program (never retried: a retry could start it twice); its job id."""
    try:
        response = client.post(account.endpoint("/v0/requests"), json=body)
    except (httpx.HTTPError, httpx.InvalidURL) as exc:
        raise CloudError(f"{where}: cannot submit the program: {_describe(exc)}") from None
    answer = _json(response, where, "submitting the program")
    if not isinstance(answer, dict):
        raise CloudError(f"{where}: unreadable answer to the submission")
    if answer.get("jobCreated") is not True:
        reason = _reason(answer)
        raise CloudError(f"{where}: the job was not created" + (f": {reason}" if reason else ""))
    job_id = answer.get("id")
    if isinstance(job_id, bool) or not isinstance(job_id, str | int) or job_id == "":
        raise CloudError(f"{where}: the submission's answer has no job id")
    return str(job_id)


def _wait(
    client: httpx.Client,
    url: str,
    *,
    where: str,
    poll_seconds: float,
    max_poll_seconds: float,
    deadline: float,
    timeout: float,
) -> dict[str, Any]:
    """Poll the job until SUCCESS; its last answer."""
    delay = poll_seconds
    failures = 0
    while True:
        time.sleep(max(0.0, min(time.monotonic() + delay, deadline) - time.monotonic()))
        if time.monotonic() >= deadline:
            raise CloudError(f"{where}: no result after {timeout:g} s")
        delay = min(delay * BACKOFF, max_poll_seconds)
        try:
            response = client.get(url)
        except httpx.TransportError as exc:
            passing = _describe(exc)
        else:
            if response.status_code >= 500 or response.status_code == 429:
                passing = f"HTTP {response.status_code}"
            else:
                job = _json(response, where, "polling the job")
                status = job.get("status") if isinstance(job, dict) else None
                if status == SUCCESS:
                    return job
                if status in FAILED:
                    reason = _reason(job)
                    raise CloudError(f"{where} ended {status}" + (f": {reason}" if reason else ""))
                if status not in PENDING:
                    raise CloudError(f"{where}: unknown job status {_short(repr(status))}")
                failures = 0
                continue
        failures += 1
        if failures >= MAX_POLL_FAILURES:
            raise CloudError(f"{where}: polling failed {failures} times in a row: {passing}")


def _counts(job: dict[str, Any], layout: ClassicalLayout, where: str) -> dict[str, int]:
    """The counts of a SUCCESS answer, keyed by `layout`."""
    out = job.get("out")
    value = out.get("value") if isinstance(out, dict) else None
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            raise CloudError(f"{where}: the result is not JSON") from None
    if not isinstance(value, list) or not value:
        raise CloudError(f"{where}: the answer has no result")
    if len(value) != 1:
        raise CloudError(
            f"{where}: the answer has {len(value)} result lists; only one combined list"
            " is understood"
        )
    entries = value[0].get("result") if isinstance(value[0], dict) else None
    if not isinstance(entries, list):
        raise CloudError(f"{where}: the answer has no result list")
    if not layout.registers:
        return {}
    limit = 1 << layout.num_clbits
    raw: dict[int, int] = {}
    for entry in entries:
        number = entry.get("number") if isinstance(entry, dict) else None
        hits = entry.get("hits") if isinstance(entry, dict) else None
        if not (_is_int(number) and 0 <= number < limit and _is_int(hits) and hits >= 0):
            raise CloudError(f"{where}: unreadable outcome {_short(json.dumps(entry))}")
        if hits:
            raw[number] = raw.get(number, 0) + hits
    return layout.counts_from_integers(raw)


def _json(response: httpx.Response, where: str, what: str) -> Any:
    """The JSON body of a 2xx answer; otherwise a CloudError naming the status."""
    if not response.is_success:
        detail = _short(response.text)
        raise CloudError(
            f"{where}: {what} failed: HTTP {response.status_code}"
            + (f" {response.reason_phrase}" if response.reason_phrase else "")
            + (f": {detail}" if detail else "")
        )
    try:
        return response.json()
    except ValueError:
        raise CloudError(f"{where}: {what}: the answer is not JSON") from None


def _reason(answer: dict[str, Any]) -> str:
    """What an answer says went wrong, if anything."""
    for key in ("message", "error", "errorMessage"):
        if isinstance(answer.get(key), str) and answer[key].strip():
            return _short(answer[key])
    out = answer.get("out")
    if isinstance(out, dict) and isinstance(out.get("value"), str):
        return _short(out["value"])
    return ""


def _describe(exc: Exception) -> str:
    text = _short(str(exc))
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def _short(text: str, limit: int = 300) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)
