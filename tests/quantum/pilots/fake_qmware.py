"""A fake QMware API on 127.0.0.1 for the tests (`qmware` fixture).

It checks the key headers (401 otherwise), records every request, and really runs the
OpenQASM 2 text it receives: `qiskit.qasm2.loads`, then Aer with the shots of the
request's `programParameters`. A job answers RUNNING for a few polls, then SUCCESS with
`out.value` = `[{"result": [{"number", "hits"}, ...]}]` (or the status a test asks for).
"""

import contextlib
import itertools
import json
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

KEY, KEY_ID = "test-key", "test-key-id"


@dataclass
class Recorded:
    method: str
    path: str
    headers: dict[str, str]
    body: Any


@dataclass
class FakeQmware:
    """The fake API's state; tests change its answers before running the pilot."""

    url: str = ""
    running_polls: int = 2
    failing_polls: int = 0
    """The first polls of each job answer 503 (a passing failure)."""
    final_status: str = "SUCCESS"
    error_message: str = "QASM error: unknown gate 'foo'"
    health: tuple[int, Any] = (200, {"status": "UP"})
    out_value: Any = None
    """When set, SUCCESS answers this `out.value` instead of the simulated one."""
    requests: list[Recorded] = field(default_factory=list)
    jobs: dict[str, dict[str, Any]] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)
    ids: Iterator[int] = field(default_factory=lambda: itertools.count(1))

    def polls(self, job_id: str) -> int:
        return sum(1 for r in self.requests if r.path == f"/v0/jobs/{job_id}")

    def submitted(self) -> list[Any]:
        return [r.body for r in self.requests if r.path == "/v0/requests"]

    def create(self, body: dict[str, Any]) -> str:
        shots = next(int(p["value"]) for p in body["programParameters"] if p["name"] == "shots")
        with self.lock:
            job_id = f"job-{next(self.ids)}"
            self.jobs[job_id] = {"polls": 0, "code": body["code"]["code"], "shots": shots}
        return job_id

    def poll(self, job_id: str) -> tuple[int, dict[str, Any]]:
        """The HTTP status and body of one poll of the job."""
        with self.lock:
            job = self.jobs.get(job_id)
            if job is None:
                return 404, {"message": "no such job"}
            job["polls"] += 1
            if job["polls"] <= self.failing_polls:
                return 503, {"message": "busy"}
            if job["polls"] <= self.failing_polls + self.running_polls:
                return 200, {"id": job_id, "status": "RUNNING"}
        if self.final_status == "SUCCESS":
            value = self.out_value
            if value is None:  # simulated once the job succeeds (a child process: slow)
                value = [{"result": simulate(job["code"], job["shots"])}]
            out = {"type": "application/json", "value": json.dumps(value)}
            return 200, {"id": job_id, "status": "SUCCESS", "out": out}
        return 200, {"id": job_id, "status": self.final_status, "message": self.error_message}


_SIMULATE = """
import json, sys
from qiskit import qasm2, transpile
from qiskit_aer import AerSimulator

circuit = qasm2.loads(sys.stdin.read())
simulator = AerSimulator()
result = simulator.run(transpile(circuit, simulator), shots=int(sys.argv[1])).result()
counts = result.data(0).get("counts", {})
print(json.dumps([{"number": int(key, 16), "hits": hits} for key, hits in counts.items()]))
"""


def simulate(qasm2: str, shots: int) -> list[dict[str, int]]:
    """Aer's counts of the program, each outcome an integer over the classical bits.

    Computed in a child process: Qiskit called from this server's request threads
    crashed the test process (a segfault inside qiskit) once other tests had used it.
    """
    done = subprocess.run(
        [sys.executable, "-c", _SIMULATE, str(shots)],
        input=qasm2,
        capture_output=True,
        text=True,
        check=True,
        timeout=300,
    )
    return json.loads(done.stdout)


class _Handler(BaseHTTPRequestHandler):
    server: "_Server"

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        self._handle("GET")

    def do_POST(self) -> None:
        self._handle("POST")

    def _handle(self, method: str) -> None:
        fake = self.server.fake
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        body = json.loads(raw) if raw else None
        with fake.lock:
            headers = {name.lower(): value for name, value in self.headers.items()}
            fake.requests.append(Recorded(method, self.path, headers, body))
        if method == "GET" and self.path == "/health":
            self._send(*fake.health)
        elif not self.path.startswith("/v0/"):
            self._send(404, {"message": "not found"})
        elif self.headers.get("X-API-KEY") != KEY or self.headers.get("X-API-KEY-ID") != KEY_ID:
            self._send(401, {"message": "invalid API key"})
        elif method == "POST" and self.path == "/v0/requests":
            self._send(200, {"jobCreated": True, "id": fake.create(body)})
        elif method == "GET" and self.path.startswith("/v0/jobs/"):
            self._send(*fake.poll(self.path.removeprefix("/v0/jobs/")))
        else:
            self._send(404, {"message": "not found"})

    def _send(self, status: int, body: Any) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, fake: FakeQmware) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.fake = fake


@contextlib.contextmanager
def running_fake_qmware() -> Iterator[FakeQmware]:
    """A fake QMware API serving on 127.0.0.1 (a free port) until the block ends."""
    fake = FakeQmware()
    server = _Server(fake)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    fake.url = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        yield fake
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


@pytest.fixture
def qmware(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeQmware]:
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy"):
        monkeypatch.delenv(name, raising=False)
    with running_fake_qmware() as fake:
        yield fake
